//! The training data of a Unigram model: how often each word occurs, where a document is
//! cut into sentences (lines), each sentence normalized as SentencePiece does (spaces as
//! `▁`, one in front), and each normalized sentence cut before every `▁` into words
//! (SentencePiece's split_by_whitespace). The Unigram trainer only ever looks at words,
//! so memory grows with the number of distinct words, not with the corpus.
//!
//! Documents are processed in parallel, each into a local map, and the maps are added up
//! (u64 counts), so the result does not depend on the number of threads.

use crate::corpus::{CorpusFile, Utf8Errors};
use crate::corpus::counts::{count_files_by, PreTokenCounts};
use crate::error::Result;
use crate::sentencepiece::normalizer::{lead_len, SpmNormalizer, SPACE_SYMBOL};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Calls `word` for each word of a normalized sentence: a run starting at each `▁`.
pub fn for_each_word(normalized: &str, mut word: impl FnMut(&str)) {
    let bytes = normalized.as_bytes();
    let space = SPACE_SYMBOL.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if i > start && bytes[i..].starts_with(space) {
            word(&normalized[start..i]);
            start = i;
        }
        i += lead_len(bytes[i]).min(bytes.len() - i);
    }
    if start < bytes.len() {
        word(&normalized[start..]);
    }
}

/// Adds the words of the sentences of `documents` to `counts`.
pub fn count_documents<S: AsRef<str> + Sync>(normalizer: &SpmNormalizer, documents: &[S], counts: &mut PreTokenCounts) {
    let locals: Vec<FxHashMap<Box<str>, u64>> = documents
        .par_iter()
        .flat_map_iter(|document| split_evenly(document.as_ref()))
        .map(|text| {
            let mut local: FxHashMap<Box<str>, u64> = FxHashMap::default();
            let mut normalized = Vec::new();
            for line in text.lines() {
                normalized.clear();
                normalizer.normalize(line.as_bytes(), &mut normalized, None);
                let Ok(sentence) = std::str::from_utf8(&normalized) else { continue };
                for_each_word(sentence, |word| match local.get_mut(word) {
                    Some(count) => *count += 1,
                    None => {
                        local.insert(word.into(), 1);
                    }
                });
            }
            local
        })
        .collect();
    for local in locals {
        for (word, count) in local {
            counts.add(&word, count);
        }
    }
}

/// Cuts a large document at line ends into parts of about 1 MB, for parallel work.
fn split_evenly(text: &str) -> Vec<&str> {
    const PART: usize = 1 << 20;
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.len() > PART {
        // Searched as bytes: PART may fall inside a character, a line end never does.
        let cut = rest.as_bytes()[PART..].iter().position(|&b| b == b'\n').map_or(rest.len(), |i| PART + i + 1);
        parts.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

/// Counts the words of corpus files, a few chunks at a time, calling `progress` with the
/// number of file bytes read after each batch; an error from `progress` stops the count.
pub fn count_files(
    files: &[CorpusFile],
    normalizer: &SpmNormalizer,
    errors: Utf8Errors,
    progress: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<PreTokenCounts> {
    count_files_by(files, errors, progress, &mut |counts, batch| {
        count_documents(normalizer, batch, counts);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_start_at_each_space_symbol() {
        let mut words = Vec::new();
        for_each_word("▁the▁cat.▁▁", |w| words.push(w.to_string()));
        assert_eq!(words, ["▁the", "▁cat.", "▁", "▁"]);
    }

    #[test]
    fn splits_large_documents_at_line_ends_whatever_the_characters() {
        let line = "é“quoted”\n".repeat(200_000);
        let parts = split_evenly(&line);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), line);
    }

    #[test]
    fn counts_words_of_lines() {
        let mut counts = PreTokenCounts::new();
        count_documents(&SpmNormalizer::identity(), &["the cat\n  the  dog\n", "cat"], &mut counts);
        assert_eq!(counts.get("▁the"), 2);
        assert_eq!(counts.get("▁cat"), 2);
        assert_eq!(counts.get("▁dog"), 1);
        assert_eq!(counts.total(), 5);
    }
}
