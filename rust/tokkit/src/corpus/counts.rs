//! Counting pre-tokens: the first half of training, separable from the second so that
//! shards can be counted apart (on other machines, even) and their counts added.
//!
//! Documents are pre-tokenized in parallel, each into a local map whose keys borrow from
//! the document; the local maps are then added into one map of owned keys. Memory grows
//! with the number of distinct pre-tokens, not with the size of the corpus. Counts are
//! u64, and the result is a sum, so it does not depend on the order of the work or on the
//! number of threads.
//!
//! The trainers of other models count the pieces their own pipeline cuts (a normalizer,
//! then a pipeline pre-tokenizer: `add_documents_with`); those pieces borrow from the
//! normalized text, so each document's local map owns its keys.

use crate::corpus::{ChunkReader, CorpusFile, Utf8Errors};
use crate::error::{Error, Result};
use crate::pretokenize::Splitter;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreTokenCounts {
    counts: FxHashMap<Box<str>, u64>,
}

impl PreTokenCounts {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many distinct pre-tokens.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// How many pre-tokens in all.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn get(&self, piece: &str) -> u64 {
        self.counts.get(piece).copied().unwrap_or(0)
    }

    pub fn add(&mut self, piece: &str, count: u64) {
        match self.counts.get_mut(piece) {
            Some(existing) => *existing += count,
            None => {
                self.counts.insert(piece.into(), count);
            }
        }
    }

    /// Adds another set of counts to this one.
    pub fn merge(&mut self, other: &PreTokenCounts) {
        for (piece, &count) in &other.counts {
            self.add(piece, count);
        }
    }

    /// Pre-tokenizes the documents (in parallel) and counts their pieces.
    pub fn add_documents<S: AsRef<str> + Sync>(&mut self, pre_tokenizer: &Splitter, documents: &[S]) -> Result<()> {
        let locals: Vec<FxHashMap<&str, u64>> = documents
            .par_iter()
            .map(|document| {
                let text = document.as_ref();
                let mut local: FxHashMap<&str, u64> = FxHashMap::default();
                pre_tokenizer.for_each_piece(text, |start, end| *local.entry(&text[start..end]).or_insert(0) += 1)?;
                Ok(local)
            })
            .collect::<Result<_>>()?;
        for local in locals {
            for (piece, count) in local {
                self.add(piece, count);
            }
        }
        Ok(())
    }

    /// Counts the pieces `cut` makes of each document (in parallel); `cut(text, piece)`
    /// calls `piece` for each of them.
    pub fn add_documents_with<S: AsRef<str> + Sync>(&mut self, cut: &Cut<'_>, documents: &[S]) -> Result<()> {
        let locals: Vec<FxHashMap<Box<str>, u64>> = documents
            .par_iter()
            .map(|document| {
                let mut local: FxHashMap<Box<str>, u64> = FxHashMap::default();
                cut(document.as_ref(), &mut |piece| match local.get_mut(piece) {
                    Some(count) => *count += 1,
                    None => {
                        local.insert(piece.into(), 1);
                    }
                })?;
                Ok(local)
            })
            .collect::<Result<_>>()?;
        for local in locals {
            for (piece, count) in local {
                self.add(&piece, count);
            }
        }
        Ok(())
    }

    /// (piece, count) sorted by piece, so that anything built from them is deterministic.
    pub fn sorted(&self) -> Vec<(&str, u64)> {
        let mut items: Vec<(&str, u64)> = self.counts.iter().map(|(p, &c)| (&**p, c)).collect();
        items.sort_unstable();
        items
    }
}

/// Cuts a document into pieces, calling the callback with each (see `add_documents_with`).
pub type Cut<'a> = dyn Fn(&str, &mut dyn FnMut(&str)) -> Result<()> + Sync + 'a;

/// Counts the pre-tokens of corpus files, a few chunks at a time (as many as there are
/// threads), calling `progress` with the number of file bytes read after each batch; an
/// error from `progress` (an interrupt) stops the count.
pub fn count_files(
    files: &[CorpusFile],
    pre_tokenizer: &Splitter,
    errors: Utf8Errors,
    progress: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<PreTokenCounts> {
    count_files_by(files, errors, progress, &mut |counts, batch| counts.add_documents(pre_tokenizer, batch))
}

/// Counts the pieces `cut` makes of the documents of corpus files (as `count_files`).
pub fn count_files_with(
    files: &[CorpusFile],
    cut: &Cut<'_>,
    errors: Utf8Errors,
    progress: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<PreTokenCounts> {
    count_files_by(files, errors, progress, &mut |counts, batch| counts.add_documents_with(cut, batch))
}

/// Counts corpus files a batch of chunks at a time with `add`, calling `progress` with the
/// file bytes read after each batch; an error from either stops the count.
pub(crate) fn count_files_by(
    files: &[CorpusFile],
    errors: Utf8Errors,
    progress: &mut dyn FnMut(u64) -> Result<()>,
    add: &mut dyn FnMut(&mut PreTokenCounts, &[String]) -> Result<()>,
) -> Result<PreTokenCounts> {
    let mut counts = PreTokenCounts::new();
    let batch_size = rayon::current_num_threads().max(1) * 2;
    for file in files {
        let mut reader = ChunkReader::open(file, errors)?;
        let mut reported = 0;
        loop {
            let mut batch = Vec::with_capacity(batch_size);
            while batch.len() < batch_size {
                match reader.next_chunk()? {
                    Some(documents) => batch.extend(documents),
                    None => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            add(&mut counts, &batch)?;
            let read = reader.raw_bytes_read();
            progress(read - reported)?;
            reported = read;
        }
    }
    Ok(counts)
}

/// The error for a corpus with no text in it.
pub fn empty_corpus() -> Error {
    Error::EmptyCorpus(
        "the corpus has no text to train on (the files are empty or the iterable yielded nothing); \
         check the paths and globs you passed"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pieces_of_documents() {
        let pre = Splitter::named("gpt2").unwrap();
        let mut counts = PreTokenCounts::new();
        counts.add_documents(&pre, &["the cat and the hat", "the end"]).unwrap();
        assert_eq!(counts.get(" the"), 1);
        assert_eq!(counts.get("the"), 2);
        assert_eq!(counts.get(" cat"), 1);
        assert_eq!(counts.total(), 7);
    }

    #[test]
    fn documents_can_be_cut_by_any_function() {
        let mut counts = PreTokenCounts::new();
        let words: &Cut<'_> = &|text, piece| {
            text.split(' ').for_each(|w| piece(&w.to_lowercase()));
            Ok(())
        };
        counts.add_documents_with(words, &["A a b", "B"]).unwrap();
        assert_eq!(counts.sorted(), [("a", 2), ("b", 2)]);
    }

    #[test]
    fn merged_shards_equal_counting_everything_at_once() {
        let pre = Splitter::named("cl100k").unwrap();
        let docs = ["one two three", "two three four", "three four five"];
        let mut whole = PreTokenCounts::new();
        whole.add_documents(&pre, &docs).unwrap();
        let mut a = PreTokenCounts::new();
        a.add_documents(&pre, &docs[..1]).unwrap();
        let mut b = PreTokenCounts::new();
        b.add_documents(&pre, &docs[1..]).unwrap();
        a.merge(&b);
        assert_eq!(a, whole);
    }
}
