//! `tokkit._core.WordCounts`: the words of a corpus's sentences, and Unigram training on
//! them.

use crate::tokenizer::PyTokenizer;
use crate::convert::run;
use crate::corpus::{corpus_files, report, utf8_errors, with_threads};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use std::path::PathBuf;
use tokkit::corpus::counts::PreTokenCounts;
use tokkit::sentencepiece::normalizer::SpmNormalizer;
use tokkit::sentencepiece::sentences;
use tokkit::sentencepiece::train::{train, UnigramOptions};

/// `tokkit._core.WordCounts`: the words of a corpus's sentences, for Unigram training.
#[pyclass(name = "WordCounts", module = "tokkit._core")]
pub struct PyWordCounts {
    inner: PreTokenCounts,
}

#[pymethods]
impl PyWordCounts {
    #[new]
    fn new() -> Self {
        PyWordCounts { inner: PreTokenCounts::new() }
    }

    /// Counts the words of files: (path, jsonl_field or None) pairs.
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
        let normalizer = SpmNormalizer::identity();
        let counts = run(py, || {
            with_threads(threads, || sentences::count_files(&files, &normalizer, errors, &mut |n| report(&progress, n)))
        })?;
        self.inner.merge(&counts);
        Ok(())
    }

    /// Counts the words of a batch of documents.
    #[pyo3(signature = (documents, *, threads=None))]
    fn add_documents(&mut self, py: Python<'_>, documents: Vec<PyBackedStr>, threads: Option<usize>) -> PyResult<()> {
        let refs: Vec<&str> = documents.iter().map(|d| &**d).collect();
        let inner = &mut self.inner;
        run(py, || {
            with_threads(threads, || {
                sentences::count_documents(&SpmNormalizer::identity(), &refs, inner);
                Ok(())
            })
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn total(&self) -> u64 {
        self.inner.total()
    }

    /// Trains a Unigram model; `progress(stage, done, total)` is called along the way.
    #[pyo3(signature = (*, vocab_size, character_coverage, max_piece_length, split_digits, byte_fallback,
                        special_tokens, shrinking_factor, num_sub_iterations, threads=None, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn train(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        character_coverage: f64,
        max_piece_length: usize,
        split_digits: bool,
        byte_fallback: bool,
        special_tokens: Vec<String>,
        shrinking_factor: f64,
        num_sub_iterations: usize,
        threads: Option<usize>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyTokenizer> {
        let options = UnigramOptions {
            vocab_size,
            character_coverage,
            max_piece_length,
            split_digits,
            byte_fallback,
            special_tokens,
            shrinking_factor,
            num_sub_iterations,
        };
        let counts = &self.inner;
        let inner = run(py, || {
            with_threads(threads, || {
                train(counts, &options, &mut |stage, done, total| {
                    Python::attach(|py| {
                        if let Some(callback) = &progress {
                            callback.call1(py, (stage, done, total)).map_err(|_| tokkit::Error::Interrupted)?;
                        }
                        py.check_signals().map_err(|_| tokkit::Error::Interrupted)
                    })
                })
            })
        })?;
        Ok(PyTokenizer::wrap(inner))
    }
}
