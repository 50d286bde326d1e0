//! Trainers for the models of `pipeline`: characters (`chars.rs`), words (`words.rs`),
//! WordPiece (`wordpiece.rs`) and BPE over characters in SentencePiece's manner
//! (`char_bpe.rs`). Byte-level BPE is trained by `bpe::train`, which the WordPiece and
//! character BPE trainers reuse for their merges.
//!
//! Every trainer works in two steps, like BPE training: count the pieces of a corpus
//! (in parallel, additive across shards, see `corpus/counts.rs`), then build the vocabulary from
//! the counts. The pieces counted are exactly the pieces the trained tokenizer's own
//! normalizer and pre-tokenizer cut (`Cutter`), so training and encoding agree. Counts are
//! u64 and every choice breaks ties on a stated total order, so the same corpus gives the
//! same vocabulary whatever the number of threads.
//!
//! Layout of the vocabularies: reserved tokens first (the unknown token and the special
//! tokens, then the 256 byte-fallback tokens where there are some), then what was
//! learned. The special tokens are also added tokens, matched in text before the model.

pub mod char_bpe;
pub mod chars;
pub mod words;
pub mod wordpiece;

use crate::corpus::counts::PreTokenCounts;
use crate::error::{Error, Result};
use crate::pipeline::added_vocabulary::AddedToken;
use crate::pipeline::normalized::Normalized;
use crate::pipeline::normalizers::Normalizer;
use crate::pipeline::pre_tokenizers::{PreToken, PreTokenizer, Text};
use rustc_hash::FxHashMap;
use unicode_segmentation::UnicodeSegmentation;

/// How a trainer cuts documents into the pieces it counts.
#[derive(Clone, Debug)]
pub enum Cutter {
    /// Every character.
    Chars,
    /// Every extended grapheme cluster.
    Graphemes,
    /// A tokenizer's normalizer and pre-tokenizer.
    Pipeline { normalizer: Option<Normalizer>, pre_tokenizer: Option<PreTokenizer> },
}

impl Cutter {
    /// Calls `piece` with each piece of `text`.
    pub fn cut(&self, text: &str, piece: &mut dyn FnMut(&str)) -> Result<()> {
        match self {
            Cutter::Chars => {
                let mut buffer = [0u8; 4];
                text.chars().for_each(|c| piece(c.encode_utf8(&mut buffer)));
            }
            Cutter::Graphemes => text.graphemes(true).for_each(piece),
            Cutter::Pipeline { normalizer, pre_tokenizer } => {
                let track = pre_tokenizer.as_ref().is_some_and(PreTokenizer::needs_alignments);
                let mut normalized = Normalized::new(text, 0, track);
                if let Some(n) = normalizer {
                    n.normalize(&mut normalized)?;
                }
                let mut emit = |p: PreToken<'_>| {
                    match p.text {
                        Text::Chars(s) => piece(s),
                        Text::Bytes(_) => piece(&p.text.display()),
                    }
                    Ok(())
                };
                let whole = PreToken::whole(&normalized);
                match pre_tokenizer {
                    Some(pre) => pre.pre_tokenize(whole, &mut emit)?,
                    None if !normalized.is_empty() => emit(whole)?,
                    None => {}
                }
            }
        }
        Ok(())
    }
}

/// How often each character (or each unit `unit` cuts a piece into) occurs, most frequent
/// first, ties by the unit's text.
pub fn frequencies<'c>(counts: &'c PreTokenCounts, units: impl Fn(&'c str) -> Vec<&'c str>) -> Vec<(&'c str, u64)> {
    let mut total: FxHashMap<&str, u64> = FxHashMap::default();
    for (piece, count) in counts.sorted() {
        for unit in units(piece) {
            *total.entry(unit).or_insert(0) += count;
        }
    }
    let mut sorted: Vec<(&str, u64)> = total.into_iter().collect();
    sorted.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    sorted
}

/// How many of the most frequent units (`sorted` as `frequencies` gives them) cover at
/// least `coverage` of all occurrences (SentencePiece's `character_coverage`).
pub fn covered(sorted: &[(&str, u64)], coverage: f64) -> usize {
    let total: u64 = sorted.iter().map(|&(_, c)| c).sum();
    let needed = (coverage * total as f64).ceil().min(total as f64) as u64;
    let mut running = 0;
    for (k, &(_, count)) in sorted.iter().enumerate() {
        if running >= needed {
            return k;
        }
        running += count;
    }
    sorted.len()
}

/// Checks `character_coverage`.
pub fn check_coverage(coverage: f64) -> Result<()> {
    if !(coverage > 0.0 && coverage <= 1.0) {
        return Err(Error::InvalidArgument(format!(
            "character_coverage must be in (0, 1], not {coverage}; 1 keeps every character, 0.9995 (SentencePiece's \
             default) leaves the rarest to byte fallback or the unknown token"
        )));
    }
    Ok(())
}

/// The reserved tokens at the start of a vocabulary: the special tokens, each once,
/// after `first` (an unknown token, when the model has one) unless they include it.
pub fn reserved(first: Option<&str>, special_tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = first.filter(|f| !special_tokens.iter().any(|t| t == f)).map(str::to_string).into_iter().collect();
    for token in special_tokens {
        if !out.contains(token) {
            out.push(token.clone());
        }
    }
    out
}

/// The reserved tokens as added special tokens (ids 0, 1, ...).
pub fn added_specials(reserved: &[String]) -> Vec<AddedToken> {
    reserved.iter().enumerate().map(|(id, t)| AddedToken::special(t, id as u32)).collect()
}

/// The error for a vocabulary size smaller than what the model must hold.
pub fn too_small(vocab_size: usize, needed: usize, what: &str, hint: &str) -> Error {
    Error::InvalidArgument(format!("vocab_size {vocab_size} is too small: {what} need at least {needed}; {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_keeps_the_most_frequent_units() {
        let sorted = [("a", 50), ("b", 30), ("c", 15), ("d", 5)];
        assert_eq!(covered(&sorted, 1.0), 4);
        assert_eq!(covered(&sorted, 0.95), 3);
        assert_eq!(covered(&sorted, 0.8), 2);
        assert_eq!(covered(&sorted, 0.1), 1);
    }

    #[test]
    fn frequencies_break_ties_on_the_text() {
        let mut counts = PreTokenCounts::new();
        counts.add("ba", 2);
        counts.add("c", 2);
        let chars = frequencies(&counts, |p| p.char_indices().map(|(i, c)| &p[i..i + c.len_utf8()]).collect());
        assert_eq!(chars, [("a", 2), ("b", 2), ("c", 2)]);
    }
}
