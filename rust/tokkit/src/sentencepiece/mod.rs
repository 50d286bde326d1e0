//! SentencePiece models: the Unigram language model (Kudo 2018) and SentencePiece's BPE,
//! read from and written to `.model` files, encoded exactly as SentencePiece encodes them.

pub mod bpe;
pub mod lattice;
pub mod model;
pub mod normalizer;
pub mod seed;
pub mod sentences;
pub mod tokenizer;
pub mod train;
pub mod viterbi;
mod word_table;

pub use model::{Algorithm, Piece, PieceModel};
pub use tokenizer::SentencePiece;
