//! Reading and writing vocabulary files.

pub mod tiktoken;
pub mod sentencepiece;
