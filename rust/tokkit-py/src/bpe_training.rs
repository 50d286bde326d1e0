//! `tokkit._core.PreTokenCounts` and byte-level BPE training on it (`train_bpe`, and
//! `train_bpe_parity` across languages).

use crate::tokenizer::PyTokenizer;
use crate::convert::{run, to_py_err};
use crate::corpus::{corpus_files, report, utf8_errors, with_threads};
use pyo3::prelude::*;
use std::path::PathBuf;
use tokkit::bpe::train::{train_byte_level, MergeOptions, Trained};
use tokkit::bpe::train_parity::train_byte_level_parity;
use tokkit::bpe::ByteLevelBpe;
use tokkit::corpus::counts::{count_files, PreTokenCounts};
use tokkit::pretokenize::Splitter;

#[pyclass(name = "PreTokenCounts", module = "tokkit._core")]
pub struct PyPreTokenCounts {
    pub inner: PreTokenCounts,
    pre_tokenizer: Splitter,
}

#[pymethods]
impl PyPreTokenCounts {
    #[new]
    fn new(pattern: &str) -> PyResult<Self> {
        let pre_tokenizer = Splitter::from_name_or_regex(pattern).map_err(to_py_err)?;
        Ok(PyPreTokenCounts { inner: PreTokenCounts::new(), pre_tokenizer })
    }

    #[getter]
    fn pattern(&self) -> &str {
        self.pre_tokenizer.pattern()
    }

    /// Counts the pre-tokens of files: (path, jsonl_field or None) pairs.
    #[pyo3(signature = (files, *, errors, threads=None, progress=None))]
    fn add_files(
        &mut self,
        py: Python<'_>,
        files: Vec<(PathBuf, Option<String>)>,
        errors: &str,
        threads: Option<usize>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let errors = utf8_errors(errors)?;
        let files = corpus_files(files);
        let pre = &self.pre_tokenizer;
        let counts = run(py, || {
            with_threads(threads, || count_files(&files, pre, errors, &mut |n| report(&progress, n)))
        })?;
        self.inner.merge(&counts);
        Ok(())
    }

    /// Counts the pre-tokens of a batch of documents.
    #[pyo3(signature = (documents, *, threads=None))]
    fn add_documents(&mut self, py: Python<'_>, documents: Vec<pyo3::pybacked::PyBackedStr>, threads: Option<usize>) -> PyResult<()> {
        let refs: Vec<&str> = documents.iter().map(|d| &**d).collect();
        let pre = self.pre_tokenizer.clone();
        let inner = &mut self.inner;
        run(py, || with_threads(threads, || inner.add_documents(&pre, &refs)))
    }

    fn add(&mut self, piece: &str, count: u64) {
        self.inner.add(piece, count);
    }

    fn merge(&mut self, other: PyRef<'_, PyPreTokenCounts>) {
        self.inner.merge(&other.inner);
    }

    /// (piece, count) sorted by piece.
    fn items(&self) -> Vec<(String, u64)> {
        self.inner.sorted().into_iter().map(|(p, c)| (p.to_string(), c)).collect()
    }

    fn get(&self, piece: &str) -> u64 {
        self.inner.get(piece)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn total(&self) -> u64 {
        self.inner.total()
    }

    /// Trains byte-level BPE on these counts.
    #[pyo3(signature = (*, vocab_size, min_frequency, max_token_length, special_tokens, progress=None))]
    fn train_bpe(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        max_token_length: Option<usize>,
        special_tokens: Vec<String>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyTokenizer> {
        let options = MergeOptions { vocab_size, min_frequency, max_token_length, special_tokens: special_tokens.len(), continuing_subword_prefix: None };
        let counts = &self.inner;
        let pre = self.pre_tokenizer.clone();
        let inner = run(py, || {
            let trained = train_byte_level(counts, &options, &mut |merges| report(&progress, merges as u64))?;
            tokenizer(trained, pre, special_tokens)
        })?;
        Ok(PyTokenizer::wrap(inner))
    }
}

/// Parity-aware byte-level BPE over per-language counts (all made with one pattern): each
/// merge serves the language whose text takes the most tokens so far.
#[pyfunction]
#[pyo3(signature = (languages, *, vocab_size, min_frequency, max_token_length, special_tokens, progress=None))]
pub fn train_bpe_parity(
    py: Python<'_>,
    languages: Vec<PyRef<'_, PyPreTokenCounts>>,
    vocab_size: usize,
    min_frequency: u64,
    max_token_length: Option<usize>,
    special_tokens: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyTokenizer> {
    let Some(first) = languages.first() else {
        return Err(pyo3::exceptions::PyValueError::new_err("no languages to train on"));
    };
    let pre = first.pre_tokenizer.clone();
    if languages.iter().any(|counts| counts.pre_tokenizer.pattern() != pre.pattern()) {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "the per-language counts were made with different patterns; count every language with the same one",
        ));
    }
    let counts: Vec<&PreTokenCounts> = languages.iter().map(|counts| &counts.inner).collect();
    let options = MergeOptions {
        vocab_size,
        min_frequency,
        max_token_length,
        special_tokens: special_tokens.len(),
        continuing_subword_prefix: None,
    };
    let inner = run(py, || {
        let trained = train_byte_level_parity(&counts, &options, &mut |merges| report(&progress, merges as u64))?;
        tokenizer(trained, pre, special_tokens)
    })?;
    Ok(PyTokenizer::wrap(inner))
}

/// The tokenizer of a trained vocabulary, with the special tokens after the trained ids.
fn tokenizer(trained: Trained, pre: Splitter, special_tokens: Vec<String>) -> tokkit::Result<ByteLevelBpe> {
    let first_special = trained.tokens.len() as u32;
    let model = trained.into_model()?;
    let specials = special_tokens.into_iter().enumerate().map(|(i, t)| (t, first_special + i as u32)).collect();
    ByteLevelBpe::new(model, pre, specials)
}
