//! Byte-level byte-pair encoding.

mod backtrack;
pub mod encode;
pub mod merges;
mod queue;
pub mod tokenizer;
pub mod train;
pub mod train_parity;
pub mod vocab;

pub use merges::{MergeList, Model};
pub use tokenizer::ByteLevelBpe;
pub use vocab::{Rank, Ranks};
