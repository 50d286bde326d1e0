//! SentencePiece models: the Unigram language model (Kudo 2018) and SentencePiece's BPE,
//! read from and written to `.model` files, encoded exactly as SentencePiece encodes them.

pub mod encode;
pub mod lattice;
pub mod model;
pub mod seed;
pub mod sentences;
pub mod spm_bpe;
pub mod tokenizer;
pub mod train;
mod word_table;

pub use model::{Algorithm, Piece, PieceModel};
pub use tokenizer::SentencePiece;
