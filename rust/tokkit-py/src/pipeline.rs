//! `tokkit._core.Pipeline`: a tokenizer.json pipeline (and every model tokkit trains
//! besides byte-level BPE), with the method protocol `tokkit.Tokenizer` calls.

use crate::convert::{id_array, ids_from, run, special_set, IdObjects};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyList, PyTuple};
use tokkit::formats::hf_json;
use tokkit::pipeline::{Detail, Pipeline};
use tokkit::special::SpecialSet;

#[pyclass(frozen, name = "Pipeline", module = "tokkit._core")]
pub struct PyPipeline {
    pub inner: Pipeline,
    ids: IdObjects,
}

impl PyPipeline {
    pub fn wrap(inner: Pipeline) -> Self {
        let ids = IdObjects::new(inner.id_bound());
        PyPipeline { inner, ids }
    }
}

type Specials = (SpecialSet, SpecialSet);

fn specials(allowed: &Bound<'_, PyAny>, disallowed: &Bound<'_, PyAny>) -> PyResult<Specials> {
    Ok((special_set(allowed, "allowed_special")?, special_set(disallowed, "disallowed_special")?))
}

#[pymethods]
impl PyPipeline {
    /// Builds the pipeline a tokenizer.json describes.
    #[staticmethod]
    fn from_json(py: Python<'_>, contents: &str) -> PyResult<Self> {
        Ok(PyPipeline::wrap(run(py, || hf_json::read(contents))?))
    }

    /// The tokenizer.json document.
    fn to_json(&self, py: Python<'_>) -> String {
        py.detach(|| hf_json::write(&self.inner))
    }

    /// HF's name of the model type: "BPE", "WordPiece", "WordLevel".
    #[getter]
    fn model_kind(&self) -> &'static str {
        self.inner.model().name()
    }

    /// True when the model works on bytes (a byte-level BPE).
    #[getter]
    fn byte_level(&self) -> bool {
        matches!(self.inner.model(), tokkit::pipeline::model::Model::ByteBpe(_))
    }

    /// Each stage as tokenizer.json writes it (the model without its vocabulary).
    fn stages(&self, py: Python<'_>) -> Vec<(&'static str, String)> {
        py.detach(|| hf_json::describe(&self.inner))
    }

    #[pyo3(signature = (text, allowed, disallowed, add_special_tokens=true))]
    fn encode<'py>(&self, py: Python<'py>, text: &str, allowed: &Bound<'py, PyAny>, disallowed: &Bound<'py, PyAny>, add_special_tokens: bool) -> PyResult<Bound<'py, PyList>> {
        let (allowed, disallowed) = specials(allowed, disallowed)?;
        let encoding = run(py, || self.inner.encode(text, None, &allowed, &disallowed, add_special_tokens, Detail::Ids))?;
        self.ids.list(py, &encoding.ids)
    }

    /// Encodes with no special tokens at all: special-token text is text, and the
    /// post-processor adds none.
    fn encode_ordinary<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let none = SpecialSet::none();
        let encoding = run(py, || self.inner.encode(text, None, &none, &none, false, Detail::Ids))?;
        self.ids.list(py, &encoding.ids)
    }

    /// Like `encode_ordinary` for UTF-8 bytes (this kind of tokenizer reads text).
    fn encode_bytes<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let text = std::str::from_utf8(data).map_err(|e| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "this tokenizer encodes text, and these bytes are not UTF-8 ({e}); decode them first (with errors=\"replace\" if need be)"
            ))
        })?;
        self.encode_ordinary(py, text)
    }

    #[pyo3(signature = (text, allowed, disallowed, add_special_tokens=true))]
    fn count(&self, py: Python<'_>, text: &str, allowed: &Bound<'_, PyAny>, disallowed: &Bound<'_, PyAny>, add_special_tokens: bool) -> PyResult<usize> {
        let (allowed, disallowed) = specials(allowed, disallowed)?;
        run(py, || self.inner.encode(text, None, &allowed, &disallowed, add_special_tokens, Detail::Ids).map(|e| e.ids.len()))
    }

    /// Encodes many texts in parallel: uint32 arrays, or with `flat` one array and row
    /// offsets.
    #[pyo3(signature = (texts, allowed, disallowed, flat, add_special_tokens=true))]
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        allowed: &Bound<'py, PyAny>,
        disallowed: &Bound<'py, PyAny>,
        flat: bool,
        add_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (allowed, disallowed) = specials(allowed, disallowed)?;
        let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
        let rows = run(py, || self.inner.encode_batch(&refs, &allowed, &disallowed, add_special_tokens))?;
        if !flat {
            return Ok(PyList::new(py, rows.into_iter().map(|row| id_array(py, row)))?.into_any());
        }
        let (ids, offsets) = py.detach(|| {
            let mut offsets = Vec::with_capacity(rows.len() + 1);
            offsets.push(0u64);
            let mut ids = Vec::with_capacity(rows.iter().map(Vec::len).sum());
            for row in rows {
                ids.extend_from_slice(&row);
                offsets.push(ids.len() as u64);
            }
            (ids, offsets)
        });
        Ok(PyTuple::new(py, [id_array(py, ids).into_any(), PyArray1::from_vec(py, offsets).into_any()])?.into_any())
    }

    /// Ids and HF's character offsets.
    #[pyo3(signature = (text, allowed, disallowed, add_special_tokens=true))]
    fn encode_with_offsets<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        allowed: &Bound<'py, PyAny>,
        disallowed: &Bound<'py, PyAny>,
        add_special_tokens: bool,
    ) -> PyResult<(Bound<'py, PyList>, Vec<(usize, usize)>)> {
        let (allowed, disallowed) = specials(allowed, disallowed)?;
        let e = run(py, || self.inner.encode(text, None, &allowed, &disallowed, add_special_tokens, Detail::Offsets))?;
        Ok((self.ids.list(py, &e.ids)?, e.offsets))
    }

    /// Everything HF's `Encoding` has that tokkit computes: (ids, tokens, character
    /// offsets, type ids), for a text or a pair of texts.
    #[pyo3(signature = (text, pair, allowed, disallowed, add_special_tokens=true))]
    #[allow(clippy::type_complexity)]
    fn encoding<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        pair: Option<&str>,
        allowed: &Bound<'py, PyAny>,
        disallowed: &Bound<'py, PyAny>,
        add_special_tokens: bool,
    ) -> PyResult<(Bound<'py, PyList>, Vec<String>, Vec<(usize, usize)>, Vec<u32>)> {
        let (allowed, disallowed) = specials(allowed, disallowed)?;
        let e = run(py, || self.inner.encode(text, pair, &allowed, &disallowed, add_special_tokens, Detail::Everything))?;
        Ok((self.ids.list(py, &e.ids)?, e.tokens, e.offsets, e.type_ids))
    }

    /// The tokens of `text` as HF spells them.
    #[pyo3(signature = (text, allowed, disallowed, add_special_tokens=true))]
    fn token_pieces(&self, py: Python<'_>, text: &str, allowed: &Bound<'_, PyAny>, disallowed: &Bound<'_, PyAny>, add_special_tokens: bool) -> PyResult<Vec<String>> {
        let (allowed, disallowed) = specials(allowed, disallowed)?;
        run(py, || self.inner.encode(text, None, &allowed, &disallowed, add_special_tokens, Detail::Tokens).map(|e| e.tokens))
    }

    /// The pieces the model sees, as HF spells them.
    fn pre_tokens(&self, py: Python<'_>, text: &str) -> PyResult<Vec<String>> {
        run(py, || self.inner.pre_tokenize(text).map(|pieces| pieces.into_iter().map(|(p, _)| p).collect()))
    }

    #[pyo3(signature = (ids, skip_special_tokens=false))]
    fn decode_bytes<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>, skip_special_tokens: bool) -> PyResult<Bound<'py, PyBytes>> {
        let ids = ids_from(ids)?;
        let bytes = run(py, || self.inner.decode_bytes(&ids, skip_special_tokens))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[pyo3(signature = (ids, skip_special_tokens=false))]
    fn decode(&self, py: Python<'_>, ids: &Bound<'_, PyAny>, skip_special_tokens: bool) -> PyResult<String> {
        let ids = ids_from(ids)?;
        run(py, || self.inner.decode(&ids, skip_special_tokens))
    }

    /// A token's string, as UTF-8 bytes.
    fn token_bytes<'py>(&self, py: Python<'py>, id: i64) -> Option<Bound<'py, PyBytes>> {
        let id = u32::try_from(id).ok()?;
        self.inner.id_to_token(id).map(|t| PyBytes::new(py, t.as_bytes()))
    }

    fn token_id(&self, bytes: &[u8]) -> Option<u32> {
        self.inner.token_to_id(std::str::from_utf8(bytes).ok()?)
    }

    /// The model's unknown token, if it has one.
    #[getter]
    fn unk_token(&self) -> Option<&str> {
        self.inner.model().unk_token()
    }

    #[getter]
    fn id_bound(&self) -> u32 {
        self.inner.id_bound()
    }

    /// HF's `get_vocab_size()`: model tokens plus added tokens it lacks.
    #[getter]
    fn vocab_size(&self) -> usize {
        self.inner.vocab_size()
    }

    /// The pre-tokenizer's regular expression, when it has one.
    #[getter]
    fn pattern(&self) -> Option<String> {
        use tokkit::pipeline::pre_tokenizers::PreTokenizer;
        fn find(p: &PreTokenizer) -> Option<String> {
            match p {
                PreTokenizer::Split { pattern, .. } => Some(pattern.source().to_string()),
                PreTokenizer::ByteLevel { use_regex: true, .. } => Some(tokkit::pretokenize::GPT2_PATTERN.to_string()),
                PreTokenizer::Sequence(all) => all.iter().find_map(find),
                _ => None,
            }
        }
        self.inner.pre_tokenizer().and_then(find)
    }

    /// The special added tokens, (text, id) by id.
    #[getter]
    fn special_tokens(&self) -> Vec<(String, u32)> {
        self.inner.added().specials().into_iter().map(|(t, id)| (t.to_string(), id)).collect()
    }
}
