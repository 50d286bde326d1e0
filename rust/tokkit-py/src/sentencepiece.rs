//! `tokkit._core.SentencePiece`: SentencePiece Unigram and BPE models.

use crate::convert::{char_spans, ids_from, rows_to_python, run, special_set, to_py_err, IdObjects};
use crate::training::{corpus_files, report, utf8_errors, with_threads};
use std::path::PathBuf;
use tokkit::count::PreTokenCounts;
use tokkit::normalize::Normalizer;
use tokkit::unigram::sentences;
use tokkit::unigram::train::{train, UnigramOptions};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyList};
use tokkit::formats::sentencepiece::{self as format, PieceType};
use tokkit::unigram::{Algorithm, SentencePiece};

#[pyclass(frozen, name = "SentencePiece", module = "tokkit._core")]
pub struct PySentencePiece {
    pub inner: SentencePiece,
    ids: IdObjects,
}

impl PySentencePiece {
    pub fn wrap(inner: SentencePiece) -> Self {
        let ids = IdObjects::new(inner.id_bound());
        PySentencePiece { inner, ids }
    }
}

fn type_name(kind: PieceType) -> &'static str {
    match kind {
        PieceType::Normal => "normal",
        PieceType::Unknown => "unknown",
        PieceType::Control => "control",
        PieceType::UserDefined => "user_defined",
        PieceType::Unused => "unused",
        PieceType::Byte => "byte",
    }
}

#[pymethods]
impl PySentencePiece {
    /// Reads the contents of a `.model` file.
    #[staticmethod]
    fn from_model_bytes(py: Python<'_>, contents: &[u8], source_name: &str) -> PyResult<Self> {
        let inner = run(py, || SentencePiece::from_proto(format::read(contents, source_name)?))?;
        Ok(PySentencePiece::wrap(inner))
    }

    /// The `.model` file of this tokenizer.
    fn to_model_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| format::write(&self.inner.to_proto()));
        PyBytes::new(py, &bytes)
    }

    /// "unigram" or "bpe".
    #[getter]
    fn model_type(&self) -> &'static str {
        match self.inner.model().algorithm {
            Algorithm::Unigram => "unigram",
            Algorithm::Bpe => "bpe",
        }
    }

    /// The unknown piece (`<unk>`, say).
    #[getter]
    fn unk_token(&self) -> Option<String> {
        let id = self.inner.model().unk_id();
        self.inner.token_bytes(id).map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }

    #[getter]
    fn normalizer_name(&self) -> &str {
        &self.inner.normalizer().name
    }

    /// Every piece as (text, score, type).
    fn pieces(&self) -> Vec<(String, f32, &'static str)> {
        self.inner.model().pieces().iter().map(|p| (p.text.clone(), p.score, type_name(p.kind))).collect()
    }

    fn normalize(&self, py: Python<'_>, text: &str) -> PyResult<String> {
        run(py, || Ok(self.inner.normalize(text)))
    }

    fn encode<'py>(&self, py: Python<'py>, text: &str, allowed: &Bound<'py, PyAny>, disallowed: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        let ids = run(py, || self.inner.encode(text, &allowed, &disallowed))?;
        self.ids.list(py, &ids)
    }

    fn encode_ordinary<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let ids = run(py, || Ok(self.inner.encode_ordinary(text)))?;
        self.ids.list(py, &ids)
    }

    fn encode_bytes<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let ids = run(py, || Ok(self.inner.encode_bytes(data)))?;
        self.ids.list(py, &ids)
    }

    fn count(&self, py: Python<'_>, text: &str, allowed: &Bound<'_, PyAny>, disallowed: &Bound<'_, PyAny>) -> PyResult<usize> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        run(py, || self.inner.encode(text, &allowed, &disallowed).map(|ids| ids.len()))
    }

    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        allowed: &Bound<'py, PyAny>,
        disallowed: &Bound<'py, PyAny>,
        flat: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
        let rows = run(py, || self.inner.encode_batch(&refs, &allowed, &disallowed))?;
        rows_to_python(py, rows, flat)
    }

    fn encode_with_offsets<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        allowed: &Bound<'py, PyAny>,
        disallowed: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyList>, Vec<(usize, usize)>)> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        let (ids, spans) = run(py, || {
            let (ids, spans) = self.inner.encode_with_spans(text, &allowed, &disallowed)?;
            Ok((ids, char_spans(text, &spans)))
        })?;
        Ok((self.ids.list(py, &ids)?, spans))
    }

    /// The pieces of `text` as SentencePiece's `encode(..., out_type=str)` names them.
    fn encode_as_pieces(&self, py: Python<'_>, text: &str, allowed: &Bound<'_, PyAny>, disallowed: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        run(py, || self.inner.encode_pieces(text, &allowed, &disallowed))
    }

    /// The `k` best segmentations: (ids, score), best first.
    fn nbest<'py>(&self, py: Python<'py>, text: &str, k: usize) -> PyResult<Vec<(Bound<'py, PyList>, f64)>> {
        let found = run(py, || self.inner.nbest(text, k))?;
        found.into_iter().map(|(ids, score)| Ok((self.ids.list(py, &ids)?, score))).collect()
    }

    /// A sampled segmentation (`nbest_size` -1: among all).
    fn sample<'py>(&self, py: Python<'py>, text: &str, alpha: f64, nbest_size: i64, seed: u64) -> PyResult<Bound<'py, PyList>> {
        let size = if nbest_size < 0 { None } else { Some(nbest_size as usize) };
        let ids = run(py, || self.inner.sample(text, alpha, size, seed))?;
        self.ids.list(py, &ids)
    }

    /// The text of each token of `text`, as UTF-8 bytes.
    fn token_pieces<'py>(&self, py: Python<'py>, text: &str, allowed: &Bound<'py, PyAny>, disallowed: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let pieces = self.encode_as_pieces(py, text, allowed, disallowed)?;
        Ok(pieces.iter().map(|p| PyBytes::new(py, p.as_bytes())).collect())
    }

    /// The normalized text: SentencePiece has no pre-tokenizer, so this is the one piece
    /// the model segments.
    fn pre_tokens(&self, py: Python<'_>, text: &str) -> PyResult<Vec<String>> {
        let normalized = self.normalize(py, text)?;
        Ok(if normalized.is_empty() { Vec::new() } else { vec![normalized] })
    }

    fn decode_bytes<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let ids = ids_from(ids)?;
        let bytes = run(py, || self.inner.decode_bytes(&ids))?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn token_bytes<'py>(&self, py: Python<'py>, id: i64) -> Option<Bound<'py, PyBytes>> {
        let id = u32::try_from(id).ok()?;
        self.inner.token_bytes(id).map(|b| PyBytes::new(py, b))
    }

    fn token_id(&self, bytes: &[u8]) -> Option<u32> {
        self.inner.token_id(bytes)
    }

    fn score(&self, id: i64) -> PyResult<f32> {
        u32::try_from(id)
            .ok()
            .and_then(|id| self.inner.model().pieces().get(id as usize))
            .map(|p| p.score)
            .ok_or_else(|| to_py_err(tokkit::Error::InvalidId { id: id.max(0) as u64, max: self.inner.id_bound().saturating_sub(1) }))
    }

    #[getter]
    fn id_bound(&self) -> u32 {
        self.inner.id_bound()
    }

    #[getter]
    fn pattern(&self) -> Option<&str> {
        None
    }

    #[getter]
    fn special_tokens(&self) -> Vec<(String, u32)> {
        self.inner.specials().iter().into_iter().map(|(t, i)| (t.to_string(), i)).collect()
    }
}

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
        let normalizer = Normalizer::identity();
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
                sentences::count_documents(&Normalizer::identity(), &refs, inner);
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
    ) -> PyResult<PySentencePiece> {
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
        Ok(PySentencePiece::wrap(inner))
    }
}

/// Adds this module's classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySentencePiece>()?;
    m.add_class::<PyWordCounts>()
}
