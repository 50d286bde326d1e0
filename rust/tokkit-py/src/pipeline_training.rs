//! `tokkit._core.PieceCounts`: counting the pieces a tokenizer's own stages cut from a
//! corpus, and training the character, word, WordPiece and character-level BPE models on
//! those counts (the engine's `pipeline::train`).

use crate::convert::{run, to_py_err};
use crate::tokenizer::PyTokenizer;
use crate::corpus::{corpus_files, report, utf8_errors, with_threads};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use std::path::PathBuf;
use tokkit::corpus::counts::{count_files_with, PreTokenCounts};
use tokkit::pipeline::normalizers::BertNormalizer;
use tokkit::pipeline::train::{char_bpe, chars, wordpiece, words, Cutter};

#[pyclass(name = "PieceCounts", module = "tokkit._core")]
pub struct PyPieceCounts {
    counts: PreTokenCounts,
    cutter: Cutter,
}

impl PyPieceCounts {
    fn new(cutter: Cutter) -> Self {
        PyPieceCounts { counts: PreTokenCounts::new(), cutter }
    }
}

#[pymethods]
impl PyPieceCounts {
    /// Counts of characters, or of grapheme clusters.
    #[staticmethod]
    fn chars(graphemes: bool) -> Self {
        Self::new(chars::cutter(graphemes))
    }

    /// Counts of words: cut at whitespace and punctuation, or the matches of `pattern`.
    #[staticmethod]
    #[pyo3(signature = (*, lowercase, nfkc, pattern=None))]
    fn words(lowercase: bool, nfkc: bool, pattern: Option<&str>) -> PyResult<Self> {
        Ok(Self::new(words::cutter(lowercase, nfkc, pattern).map_err(to_py_err)?))
    }

    /// Counts of words as BERT's normalizer and pre-tokenizer cut them.
    #[staticmethod]
    #[pyo3(signature = (*, clean_text, handle_chinese_chars, strip_accents, lowercase))]
    fn wordpiece(clean_text: bool, handle_chinese_chars: bool, strip_accents: Option<bool>, lowercase: bool) -> Self {
        Self::new(wordpiece::cutter(BertNormalizer { clean_text, handle_chinese_chars, strip_accents, lowercase }))
    }

    /// Counts of SentencePiece-style words ("▁" for spaces).
    #[staticmethod]
    fn char_bpe() -> PyResult<Self> {
        Ok(Self::new(char_bpe::cutter().map_err(to_py_err)?))
    }

    /// Counts the pieces of files: (path, jsonl_field or None) pairs.
    #[pyo3(signature = (files, *, errors, threads=None, progress=None))]
    fn add_files(&mut self, py: Python<'_>, files: Vec<(PathBuf, Option<String>)>, errors: &str, threads: Option<usize>, progress: Option<Py<PyAny>>) -> PyResult<()> {
        let errors = utf8_errors(errors)?;
        let files = corpus_files(files);
        let cutter = &self.cutter;
        let counts = run(py, || {
            with_threads(threads, || count_files_with(&files, &|t, p| cutter.cut(t, p), errors, &mut |n| report(&progress, n)))
        })?;
        self.counts.merge(&counts);
        Ok(())
    }

    /// Counts the pieces of a batch of documents.
    #[pyo3(signature = (documents, *, threads=None))]
    fn add_documents(&mut self, py: Python<'_>, documents: Vec<PyBackedStr>, threads: Option<usize>) -> PyResult<()> {
        let refs: Vec<&str> = documents.iter().map(|d| &**d).collect();
        let (cutter, counts) = (&self.cutter, &mut self.counts);
        run(py, || with_threads(threads, || counts.add_documents_with(&|t, p| cutter.cut(t, p), &refs)))
    }

    fn __len__(&self) -> usize {
        self.counts.len()
    }

    /// (piece, count) sorted by piece.
    fn items(&self) -> Vec<(String, u64)> {
        self.counts.sorted().into_iter().map(|(p, c)| (p.to_string(), c)).collect()
    }

    #[pyo3(signature = (*, special_tokens, byte_fallback, character_coverage))]
    fn train_chars(&self, py: Python<'_>, special_tokens: Vec<String>, byte_fallback: bool, character_coverage: f64) -> PyResult<PyTokenizer> {
        let graphemes = matches!(self.cutter, Cutter::Graphemes);
        let options = chars::CharOptions { special_tokens, byte_fallback, character_coverage, graphemes };
        Ok(PyTokenizer::wrap(run(py, || chars::train(&self.counts, &options))?))
    }

    #[pyo3(signature = (*, vocab_size, special_tokens))]
    fn train_words(&self, py: Python<'_>, vocab_size: usize, special_tokens: Vec<String>) -> PyResult<PyTokenizer> {
        let options = words::WordOptions { vocab_size, special_tokens };
        Ok(PyTokenizer::wrap(run(py, || words::train(&self.cutter, &self.counts, &options))?))
    }

    #[pyo3(signature = (*, vocab_size, min_frequency, special_tokens, unk_token, continuing_subword_prefix, max_input_chars_per_word, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn train_wordpiece(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        special_tokens: Vec<String>,
        unk_token: String,
        continuing_subword_prefix: String,
        max_input_chars_per_word: usize,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyTokenizer> {
        let options = wordpiece::WordPieceOptions { vocab_size, min_frequency, special_tokens, unk_token, continuing_subword_prefix, max_input_chars_per_word };
        let pipeline = run(py, || wordpiece::train(&self.cutter, &self.counts, &options, &mut |m| report(&progress, m as u64)))?;
        Ok(PyTokenizer::wrap(pipeline))
    }

    #[pyo3(signature = (*, vocab_size, min_frequency, max_token_length, special_tokens, byte_fallback, character_coverage, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn train_char_bpe(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        max_token_length: Option<usize>,
        special_tokens: Vec<String>,
        byte_fallback: bool,
        character_coverage: f64,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyTokenizer> {
        let options = char_bpe::CharBpeOptions { vocab_size, min_frequency, max_token_length, special_tokens, byte_fallback, character_coverage };
        let pipeline = run(py, || char_bpe::train(&self.counts, &options, &mut |m| report(&progress, m as u64)))?;
        Ok(PyTokenizer::wrap(pipeline))
    }
}
