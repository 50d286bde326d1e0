//! Byte-level byte-pair encoding.

pub mod encode;
mod queue;
pub mod tokenizer;
pub mod vocab;

pub use tokenizer::ByteLevelBpe;
pub use vocab::{Rank, Ranks};
