//! `tokkit._core.Tokenizer`: every model family behind one class (`tokkit::Tokenizer`).

use crate::convert::{id_array, ids_from, rows_to_python, run, special_set, to_py_err, IdObjects};
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyList};
use tokkit::bpe::{ByteBpeModel, ByteLevelBpe, MergeList, Ranks};
use tokkit::formats::{hf_json, sentencepiece as model_file, tiktoken};
use tokkit::pretokenize::Splitter;
use tokkit::tokenizer::{SaveFormat, Specials};
use tokkit::sentencepiece::SentencePiece;
use tokkit::Tokenizer;

#[pyclass(frozen, name = "Tokenizer", module = "tokkit._core")]
pub struct PyTokenizer {
    inner: Tokenizer,
    ids: IdObjects,
}

impl PyTokenizer {
    pub fn wrap(inner: impl Into<Tokenizer>) -> Self {
        let inner = inner.into();
        let ids = IdObjects::new(inner.id_bound());
        PyTokenizer { inner, ids }
    }

    /// A call's special-token choice; what it leaves as None takes the tokenizer's default.
    fn specials(&self, allowed: Option<&Bound<'_, PyAny>>, disallowed: Option<&Bound<'_, PyAny>>, add_special_tokens: bool) -> PyResult<Specials> {
        let (default_allowed, default_disallowed) = self.inner.default_specials();
        Ok(Specials {
            allowed: special_set(allowed, "allowed_special")?.unwrap_or(default_allowed),
            disallowed: special_set(disallowed, "disallowed_special")?.unwrap_or(default_disallowed),
            add_special_tokens,
        })
    }
}

fn save_format(format: &str) -> PyResult<SaveFormat> {
    Ok(match format {
        "tiktoken" => SaveFormat::Tiktoken,
        "tokenizer.json" => SaveFormat::TokenizerJson,
        "model" => SaveFormat::SentencePiece,
        "tokkit" => SaveFormat::Native,
        other => return Err(PyValueError::new_err(format!("unknown format {other:?}; use tiktoken, tokenizer.json, model or tokkit"))),
    })
}

#[pymethods]
impl PyTokenizer {
    // ---- making one -------------------------------------------------------------------

    /// A byte-level BPE from the contents of a `.tiktoken` file.
    #[staticmethod]
    fn from_tiktoken(py: Python<'_>, contents: &[u8], source_name: &str, pattern: &str, special_tokens: Vec<(String, u32)>) -> PyResult<Self> {
        let pre_tokenizer = Splitter::from_name_or_regex(pattern).map_err(to_py_err)?;
        let inner = run(py, || ByteLevelBpe::new(tiktoken::parse(contents, source_name)?, pre_tokenizer, special_tokens))?;
        Ok(PyTokenizer::wrap(inner))
    }

    /// A byte-level BPE following a merge list: token bytes by id, merges as id pairs.
    #[staticmethod]
    fn from_merges(py: Python<'_>, tokens: Vec<Vec<u8>>, merges: Vec<(u32, u32)>, pattern: &str, special_tokens: Vec<(String, u32)>) -> PyResult<Self> {
        let pre_tokenizer = Splitter::from_name_or_regex(pattern).map_err(to_py_err)?;
        let inner = run(py, || {
            let vocab = Ranks::from_tokens(tokens.into_iter().enumerate().map(|(id, t)| (t, id as u32)))?;
            ByteLevelBpe::new(MergeList::new(vocab, merges, false)?, pre_tokenizer, special_tokens)
        })?;
        Ok(PyTokenizer::wrap(inner))
    }

    /// The pipeline a tokenizer.json describes.
    #[staticmethod]
    fn from_json(py: Python<'_>, contents: &str) -> PyResult<Self> {
        Ok(PyTokenizer::wrap(run(py, || hf_json::read(contents))?))
    }

    /// A SentencePiece model from the contents of a `.model` file.
    #[staticmethod]
    fn from_model_bytes(py: Python<'_>, contents: &[u8], source_name: &str) -> PyResult<Self> {
        Ok(PyTokenizer::wrap(run(py, || SentencePiece::from_proto(model_file::read(contents, source_name)?))?))
    }

    /// A tokenizer from what `to_bytes` or `save` wrote whole (tokkit JSON, tokenizer.json
    /// or `.model`), with the name the file records.
    #[staticmethod]
    fn from_saved(py: Python<'_>, contents: &[u8], source_name: &str) -> PyResult<(Self, Option<String>)> {
        let (inner, name) = run(py, || Tokenizer::from_saved(contents, source_name))?;
        Ok((PyTokenizer::wrap(inner), name))
    }

    // ---- what it is -------------------------------------------------------------------

    #[getter]
    fn model_type(&self) -> String {
        self.inner.model_type()
    }

    #[getter]
    fn id_bound(&self) -> u32 {
        self.inner.id_bound()
    }

    #[getter]
    fn special_tokens(&self) -> Vec<(String, u32)> {
        self.inner.special_tokens()
    }

    #[getter]
    fn unk_token(&self) -> Option<String> {
        self.inner.unk_token()
    }

    #[getter]
    fn pattern(&self) -> Option<String> {
        self.inner.pattern()
    }

    /// How the tokenizer is built, as (stage, description) rows.
    fn describe(&self) -> Vec<(String, String)> {
        self.inner.describe()
    }

    // ---- encoding ---------------------------------------------------------------------

    #[pyo3(signature = (text, allowed=None, disallowed=None, add_special_tokens=true))]
    fn encode<'py>(&self, py: Python<'py>, text: &str, allowed: Option<&Bound<'py, PyAny>>, disallowed: Option<&Bound<'py, PyAny>>, add_special_tokens: bool) -> PyResult<Bound<'py, PyList>> {
        let specials = self.specials(allowed, disallowed, add_special_tokens)?;
        let ids = run(py, || self.inner.encode(text, &specials))?;
        self.ids.list(py, &ids)
    }

    /// `encode` into a NumPy uint32 array that owns the ids: no Python object per id.
    #[pyo3(signature = (text, allowed=None, disallowed=None, add_special_tokens=true))]
    fn encode_array<'py>(&self, py: Python<'py>, text: &str, allowed: Option<&Bound<'py, PyAny>>, disallowed: Option<&Bound<'py, PyAny>>, add_special_tokens: bool) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let specials = self.specials(allowed, disallowed, add_special_tokens)?;
        let ids = run(py, || self.inner.encode(text, &specials))?;
        Ok(id_array(py, ids))
    }

    /// The number of ids `encode` gives, without handing any of them to Python.
    #[pyo3(signature = (text, allowed=None, disallowed=None, add_special_tokens=true))]
    fn count(&self, py: Python<'_>, text: &str, allowed: Option<&Bound<'_, PyAny>>, disallowed: Option<&Bound<'_, PyAny>>, add_special_tokens: bool) -> PyResult<usize> {
        let specials = self.specials(allowed, disallowed, add_special_tokens)?;
        run(py, || self.inner.encode(text, &specials).map(|ids| ids.len()))
    }

    fn encode_ordinary<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let ids = run(py, || self.inner.encode_ordinary(text))?;
        self.ids.list(py, &ids)
    }

    fn encode_bytes<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let ids = run(py, || self.inner.encode_bytes(data))?;
        self.ids.list(py, &ids)
    }

    /// Encodes many texts in parallel: a list of uint32 arrays, or with `flat` one array of
    /// all ids and a uint64 array of row offsets (row i is ids[o[i]:o[i+1]]).
    #[pyo3(signature = (texts, allowed=None, disallowed=None, flat=false, add_special_tokens=true))]
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        allowed: Option<&Bound<'py, PyAny>>,
        disallowed: Option<&Bound<'py, PyAny>>,
        flat: bool,
        add_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let specials = self.specials(allowed, disallowed, add_special_tokens)?;
        let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
        let rows = run(py, || self.inner.encode_batch(&refs, &specials))?;
        rows_to_python(py, rows, flat)
    }

    /// Ids and the character offsets of each token.
    #[pyo3(signature = (text, allowed=None, disallowed=None, add_special_tokens=true))]
    fn encode_with_offsets<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        allowed: Option<&Bound<'py, PyAny>>,
        disallowed: Option<&Bound<'py, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<(Bound<'py, PyList>, Vec<(usize, usize)>)> {
        let specials = self.specials(allowed, disallowed, add_special_tokens)?;
        let (ids, offsets) = run(py, || self.inner.encode_with_offsets(text, &specials))?;
        Ok((self.ids.list(py, &ids)?, offsets))
    }

    /// Everything HF's `Encoding` has that tokkit computes: (ids, tokens, character
    /// offsets, type ids), for a text or a pair of texts (pipelines only).
    #[pyo3(signature = (text, pair=None, allowed=None, disallowed=None, add_special_tokens=true))]
    #[allow(clippy::type_complexity)]
    fn encoding<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        pair: Option<&str>,
        allowed: Option<&Bound<'py, PyAny>>,
        disallowed: Option<&Bound<'py, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<(Bound<'py, PyList>, Vec<String>, Vec<(usize, usize)>, Vec<u32>)> {
        let specials = self.specials(allowed, disallowed, add_special_tokens)?;
        let e = run(py, || self.inner.encoding(text, pair, &specials))?;
        Ok((self.ids.list(py, &e.ids)?, e.tokens, e.offsets, e.type_ids))
    }

    /// The text of each token of `text`, as bytes.
    #[pyo3(signature = (text, allowed=None, disallowed=None, add_special_tokens=true))]
    fn token_pieces<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        allowed: Option<&Bound<'py, PyAny>>,
        disallowed: Option<&Bound<'py, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let specials = self.specials(allowed, disallowed, add_special_tokens)?;
        let tokens = run(py, || self.inner.tokens(text, &specials))?;
        Ok(tokens.iter().map(|t| PyBytes::new(py, t)).collect())
    }

    fn pre_tokens(&self, py: Python<'_>, text: &str) -> PyResult<Vec<String>> {
        run(py, || self.inner.pre_tokens(text))
    }

    /// (lookups, hits, pieces held, ids held) of the calling thread's piece cache, or None.
    fn cache_info(&self) -> Option<(u64, u64, usize, usize)> {
        self.inner.cache_info().map(|info| (info.lookups, info.hits, info.pieces, info.ids))
    }

    fn pre_token_count(&self, py: Python<'_>, text: &str) -> PyResult<usize> {
        run(py, || self.inner.pre_token_count(text))
    }

    // ---- decoding and the vocabulary ----------------------------------------------------

    #[pyo3(signature = (ids, skip_special_tokens=false))]
    fn decode_bytes<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>, skip_special_tokens: bool) -> PyResult<Bound<'py, PyBytes>> {
        let ids = ids_from(ids)?;
        let bytes = run(py, || self.inner.decode_bytes(&ids, skip_special_tokens))?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn token_bytes<'py>(&self, py: Python<'py>, id: i64) -> Option<Bound<'py, PyBytes>> {
        let id = u32::try_from(id).ok()?;
        self.inner.token_bytes(id).map(|t| PyBytes::new(py, &t))
    }

    fn token_id(&self, bytes: &[u8]) -> Option<u32> {
        self.inner.token_id(bytes)
    }

    /// Every token's bytes in id order, None for ids without one (byte-level BPE).
    fn vocab_tokens<'py>(&self, py: Python<'py>) -> PyResult<Vec<Option<Bound<'py, PyBytes>>>> {
        let vocab = self.inner.byte_bpe("vocab_tokens").map_err(to_py_err)?.vocab();
        Ok((0..vocab.rank_bound() as u32).map(|id| vocab.token(id).map(|t| PyBytes::new(py, t))).collect())
    }

    /// The merges of a merge-list byte-level BPE as (left id, right id); empty for ranks.
    fn merges(&self) -> PyResult<Vec<(u32, u32)>> {
        Ok(match self.inner.byte_bpe("merges").map_err(to_py_err)?.model() {
            ByteBpeModel::Ranks(_) => Vec::new(),
            ByteBpeModel::Merges(list) => list.merges().to_vec(),
        })
    }

    // ---- SentencePiece ------------------------------------------------------------------

    fn normalize(&self, py: Python<'_>, text: &str) -> PyResult<String> {
        run(py, || self.inner.normalize(text))
    }

    /// The `k` best segmentations: (ids, score), best first.
    fn nbest<'py>(&self, py: Python<'py>, text: &str, k: usize) -> PyResult<Vec<(Bound<'py, PyList>, f64)>> {
        let found = run(py, || self.inner.nbest(text, k))?;
        found.into_iter().map(|(ids, score)| Ok((self.ids.list(py, &ids)?, score))).collect()
    }

    /// A sampled segmentation (`nbest_size` -1: among all).
    fn sample<'py>(&self, py: Python<'py>, text: &str, alpha: f64, nbest_size: i64, seed: u64) -> PyResult<Bound<'py, PyList>> {
        let size = usize::try_from(nbest_size).ok();
        let ids = run(py, || self.inner.sample(text, alpha, size, seed))?;
        self.ids.list(py, &ids)
    }

    /// Every piece of a SentencePiece model as (text, score, type).
    fn pieces(&self) -> PyResult<Vec<(String, f32, &'static str)>> {
        self.inner.pieces().map_err(to_py_err)
    }

    // ---- files --------------------------------------------------------------------------

    /// The tokenizer as a file: "tiktoken", "tokenizer.json", "model" or "tokkit".
    fn save<'py>(&self, py: Python<'py>, format: &str, name: &str) -> PyResult<Bound<'py, PyBytes>> {
        let format = save_format(format)?;
        let bytes = run(py, || self.inner.save(format, name))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The JSON that goes beside a `.tiktoken` file: name, pattern, special tokens.
    fn tiktoken_sidecar<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = run(py, || self.inner.tiktoken_sidecar(name))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The whole tokenizer in one format (for pickling); `from_saved` reads it.
    fn to_bytes<'py>(&self, py: Python<'py>, name: &str) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| self.inner.to_bytes(name));
        PyBytes::new(py, &bytes)
    }
}
