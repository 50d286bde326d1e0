//! Corpora for training: reading files in chunks (`reader.rs`: text, .gz, JSON Lines,
//! invalid UTF-8 handled as asked) and counting what a trainer learns from, in parallel and
//! additively across shards (`counts.rs`).

pub mod counts;
mod reader;

pub use reader::*;
