//! Reading and writing vocabulary files.

pub mod hf_json;
pub mod tiktoken;
pub mod sentencepiece;
