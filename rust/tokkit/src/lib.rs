//! tokkit: the tokenization engine (no Python in here; `tokkit-py` is the glue).

pub mod bpe;
pub mod corpus;
pub mod double_array;
pub mod error;
pub mod formats;
#[cfg(test)]
mod fuzz;
pub mod piece_cache;
pub mod pipeline;
mod prefetch;
pub mod pretokenize;
pub mod rows;
pub mod sentencepiece;
pub mod special;
pub mod tokenizer;

pub use error::{Error, Result};
pub use tokenizer::Tokenizer;
