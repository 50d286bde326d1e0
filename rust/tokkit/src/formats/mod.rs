//! Reading and writing vocabulary files.

pub mod hf_json;
pub mod native;
pub mod tiktoken;
pub mod sentencepiece;
