//! Byte-level byte-pair encoding.

mod backtrack;
pub mod encode;
pub mod merge_list;
mod queue;
pub mod token_table;
pub mod tokenizer;
pub mod train;
pub mod train_parity;
pub mod vocab;

pub use merge_list::MergeList;
pub use tokenizer::{ByteBpeModel, ByteLevelBpe};
pub use vocab::{Rank, Ranks};
