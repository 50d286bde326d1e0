//! `tokkit._core.ByteLevelBpe`: tiktoken-style byte-level BPE.

use crate::convert::{char_spans, ids_from, rows_to_python, run, special_set, to_py_err, IdObjects};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyList};
use tokkit::bpe::{ByteLevelBpe, MergeList, Model, Ranks};
use tokkit::formats::tiktoken;
use tokkit::pretokenize::PreTokenizer;

#[pyclass(frozen, name = "ByteLevelBpe", module = "tokkit._core")]
pub struct PyByteLevelBpe {
    inner: ByteLevelBpe,
    ids: IdObjects,
}

impl PyByteLevelBpe {
    pub fn wrap(inner: ByteLevelBpe) -> Self {
        let ids = IdObjects::new(inner.id_bound());
        PyByteLevelBpe { inner, ids }
    }
}

#[pymethods]
impl PyByteLevelBpe {
    /// Builds a tokenizer from the contents of a `.tiktoken` file.
    #[staticmethod]
    fn from_tiktoken(
        py: Python<'_>,
        contents: &[u8],
        source_name: &str,
        pattern: &str,
        special_tokens: Vec<(String, u32)>,
    ) -> PyResult<Self> {
        let pre_tokenizer = PreTokenizer::from_name_or_regex(pattern).map_err(to_py_err)?;
        let inner = run(py, || {
            let ranks = tiktoken::parse(contents, source_name)?;
            ByteLevelBpe::new(ranks, pre_tokenizer, special_tokens)
        })?;
        Ok(PyByteLevelBpe::wrap(inner))
    }

    /// Builds a merge-list tokenizer: token bytes by id and merges as id pairs.
    #[staticmethod]
    fn from_merges(
        py: Python<'_>,
        tokens: Vec<Vec<u8>>,
        merges: Vec<(u32, u32)>,
        pattern: &str,
        special_tokens: Vec<(String, u32)>,
    ) -> PyResult<Self> {
        let pre_tokenizer = PreTokenizer::from_name_or_regex(pattern).map_err(to_py_err)?;
        let inner = run(py, || {
            let vocab = Ranks::from_tokens(tokens.into_iter().enumerate().map(|(id, t)| (t, id as u32)))?;
            ByteLevelBpe::new(MergeList::new(vocab, merges, false)?, pre_tokenizer, special_tokens)
        })?;
        Ok(PyByteLevelBpe::wrap(inner))
    }

    /// "ranks" (tiktoken's rule) or "merges" (a merge list's).
    #[getter]
    fn model_kind(&self) -> &'static str {
        match self.inner.model() {
            Model::Ranks(_) => "ranks",
            Model::Merges(_) => "merges",
        }
    }

    /// The merges of a merge-list model, as (left id, right id); empty for ranks.
    fn merges(&self) -> Vec<(u32, u32)> {
        match self.inner.model() {
            Model::Ranks(_) => Vec::new(),
            Model::Merges(list) => list.merges().to_vec(),
        }
    }

    /// Every token's bytes, in id order (None for ids without a token).
    fn vocab_tokens<'py>(&self, py: Python<'py>) -> Vec<Option<Bound<'py, PyBytes>>> {
        let vocab = self.inner.vocab();
        (0..vocab.rank_bound() as u32).map(|id| vocab.token(id).map(|t| PyBytes::new(py, t))).collect()
    }

    fn encode<'py>(&self, py: Python<'py>, text: &str, allowed: &Bound<'py, PyAny>, disallowed: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        let ids = run(py, || self.inner.encode(text, &allowed, &disallowed))?;
        self.ids.list(py, &ids)
    }

    fn encode_ordinary<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let ids = run(py, || self.inner.encode_ordinary(text))?;
        self.ids.list(py, &ids)
    }

    fn encode_bytes<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let ids = run(py, || self.inner.encode_bytes(data))?;
        self.ids.list(py, &ids)
    }

    fn count(&self, py: Python<'_>, text: &str, allowed: &Bound<'_, PyAny>, disallowed: &Bound<'_, PyAny>) -> PyResult<usize> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        run(py, || self.inner.encode(text, &allowed, &disallowed).map(|ids| ids.len()))
    }

    /// Encodes many texts in parallel. Returns a list of uint32 arrays, or with `flat`
    /// one array of all ids and a uint64 array of row offsets (row i is ids[o[i]:o[i+1]]).
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

    /// Ids and the character span of each token in `text`.
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

    fn decode_bytes<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let ids = ids_from(ids)?;
        let bytes = run(py, || self.inner.decode_bytes(&ids))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The bytes of each token of `text`, as the encoder cuts it.
    fn token_pieces<'py>(&self, py: Python<'py>, text: &str, allowed: &Bound<'py, PyAny>, disallowed: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let allowed = special_set(allowed, "allowed_special")?;
        let disallowed = special_set(disallowed, "disallowed_special")?;
        let ids = run(py, || self.inner.encode(text, &allowed, &disallowed))?;
        Ok(ids
            .iter()
            .map(|&id| PyBytes::new(py, self.inner.token_bytes(id).unwrap_or_default()))
            .collect())
    }

    fn token_bytes<'py>(&self, py: Python<'py>, id: i64) -> Option<Bound<'py, PyBytes>> {
        let id = u32::try_from(id).ok()?;
        self.inner.token_bytes(id).map(|b| PyBytes::new(py, b))
    }

    fn token_id(&self, bytes: &[u8]) -> Option<u32> {
        self.inner.token_id(bytes)
    }

    fn pre_tokens<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let pieces = run(py, || self.inner.pre_tokenizer().pieces(text))?;
        PyList::new(py, pieces.iter().map(|&(s, e)| &text[s..e]))
    }

    #[getter]
    fn id_bound(&self) -> u32 {
        self.inner.id_bound()
    }

    #[getter]
    fn n_ranks(&self) -> usize {
        self.inner.vocab().len()
    }

    #[getter]
    fn pattern(&self) -> &str {
        self.inner.pre_tokenizer().pattern()
    }

    #[getter]
    fn special_tokens(&self) -> Vec<(String, u32)> {
        self.inner.specials().iter().into_iter().map(|(t, i)| (t.to_string(), i)).collect()
    }

    /// The ranks in the `.tiktoken` format.
    fn to_tiktoken<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let contents = py.detach(|| tiktoken::write(self.inner.vocab()));
        PyBytes::new(py, &contents)
    }
}
