//! Byte-level byte-pair encoding.

pub mod encode;
pub mod tokenizer;
pub mod vocab;

pub use tokenizer::ByteLevelBpe;
pub use vocab::{Rank, Ranks};
