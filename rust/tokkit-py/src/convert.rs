//! Conversions shared by the bindings: errors, special-token sets, id sequences, offsets.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use tokkit::rows::IdRows;
use tokkit::special::SpecialSet;
use tokkit::pretokenize::Splitter;

/// An engine error as the Python exception a user expects: OSError for files that cannot
/// be read, KeyboardInterrupt for Ctrl-C, TypeError for an operation the kind of model
/// lacks, ValueError for everything else the user gave.
pub fn to_py_err(err: tokkit::Error) -> PyErr {
    match err {
        tokkit::Error::Io(message) => PyOSError::new_err(message),
        tokkit::Error::WrongModel(message) => PyTypeError::new_err(message),
        tokkit::Error::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// Runs engine work with the GIL released; an engine error becomes a ValueError and a
/// panic (a bug) a RuntimeError, never a crash of the interpreter.
pub fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> tokkit::Result<T> + Send) -> PyResult<T> {
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(result) => result.map_err(to_py_err),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(PyRuntimeError::new_err(format!(
                "internal error in tokkit's engine ({what}); please report it with the input that caused it"
            )))
        }
    }
}

/// `"all"` or a collection of special-token strings; None where the argument is None.
pub fn special_set(value: Option<&Bound<'_, PyAny>>, argument: &str) -> PyResult<Option<SpecialSet>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_str()?;
        if text == "all" {
            return Ok(Some(SpecialSet::All));
        }
        return Err(PyTypeError::new_err(format!(
            "{argument} must be \"all\" or a set of special-token strings, not the string {text:?}; \
             did you mean {argument}={{{text:?}}}?"
        )));
    }
    let mut tokens = Vec::new();
    for item in value.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{argument} must be \"all\" or a set of special-token strings, not {}",
            value.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        ))
    })? {
        let item = item?;
        let token: String = item.extract().map_err(|_| {
            PyTypeError::new_err(format!("{argument} must contain strings, found {}", item.repr().map(|r| r.to_string()).unwrap_or_default()))
        })?;
        tokens.push(token);
    }
    Ok(Some(SpecialSet::Only(tokens)))
}

/// Token ids from a list of ints or a NumPy array of integers.
pub fn ids_from(value: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    let out_of_range = |id: i128| PyValueError::new_err(format!("token id {id} is not in the vocabulary"));
    if let Ok(array) = value.extract::<PyReadonlyArray1<u32>>() {
        return Ok(array.as_array().to_vec());
    }
    macro_rules! try_array {
        ($t:ty) => {
            if let Ok(array) = value.extract::<PyReadonlyArray1<$t>>() {
                return array
                    .as_array()
                    .iter()
                    .map(|&id| u32::try_from(id).map_err(|_| out_of_range(id as i128)))
                    .collect();
            }
        };
    }
    try_array!(i64);
    try_array!(u64);
    try_array!(i32);
    try_array!(u16);
    try_array!(i16);
    try_array!(u8);
    if value.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("expected a sequence of token ids (ints), not a str"));
    }
    let mut ids = Vec::new();
    for item in value.try_iter().map_err(|_| PyTypeError::new_err("expected a sequence of token ids (ints)"))? {
        let item = item?;
        let id: i128 = item.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "token ids must be ints, found {}",
                item.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        })?;
        ids.push(u32::try_from(id).map_err(|_| out_of_range(id))?);
    }
    Ok(ids)
}

/// `tokkit._core.pre_tokenize(pattern, text)`: the pieces a pattern cuts `text` into.
#[pyfunction]
pub fn pre_tokenize<'py>(py: Python<'py>, pattern: &str, text: &str) -> PyResult<Bound<'py, PyList>> {
    let splitter = Splitter::from_name_or_regex(pattern).map_err(to_py_err)?;
    let pieces = run(py, || splitter.pieces(text))?;
    PyList::new(py, pieces.iter().map(|&(s, e)| &text[s..e]))
}

/// `tokkit._core.resolve_pattern(name_or_regex)`: the regular expression a pattern
/// argument stands for.
#[pyfunction]
pub fn resolve_pattern(pattern: &str) -> PyResult<String> {
    Ok(Splitter::from_name_or_regex(pattern).map_err(to_py_err)?.pattern().to_string())
}

/// A NumPy uint32 array that takes ownership of `ids`.
pub fn id_array(py: Python<'_>, ids: Vec<u32>) -> Bound<'_, PyArray1<u32>> {
    PyArray1::from_vec(py, ids)
}

/// Rows of ids as a list of uint32 arrays, or with `flat` as one array of all ids and a
/// uint64 array of row offsets (row i is ids[o[i]:o[i+1]]).
pub fn rows_to_python(py: Python<'_>, rows: impl Into<IdRows>, flat: bool) -> PyResult<Bound<'_, PyAny>> {
    let rows = rows.into();
    if flat {
        let (ids, offsets) = py.detach(|| {
            let mut offsets = Vec::with_capacity(rows.len() + 1);
            offsets.push(0u64);
            let mut ids = Vec::with_capacity(rows.id_count());
            for row in rows.iter() {
                ids.extend_from_slice(row);
                offsets.push(ids.len() as u64);
            }
            (ids, offsets)
        });
        let pair = PyTuple::new(py, [id_array(py, ids).into_any(), PyArray1::from_vec(py, offsets).into_any()])?;
        Ok(pair.into_any())
    } else {
        // Copied into arrays numpy owns: handing numpy each row would need an owner object
        // per row, which costs more than the copy.
        let arrays = rows.iter().map(|row| PyArray1::from_slice(py, row));
        Ok(PyList::new(py, arrays)?.into_any())
    }
}

/// One Python int per token id, made once per tokenizer, so that returning a list of ids
/// costs a reference-count increment per id instead of an allocation. On English text
/// this takes a quarter off the time of `encode` as seen from Python.
pub struct IdObjects {
    bound: u32,
    objects: OnceLock<Vec<Py<PyAny>>>,
}

impl IdObjects {
    pub fn new(bound: u32) -> Self {
        IdObjects { bound, objects: OnceLock::new() }
    }

    pub fn list<'py>(&self, py: Python<'py>, ids: &[u32]) -> PyResult<Bound<'py, PyList>> {
        let objects = self.objects.get_or_init(|| {
            (0..self.bound).map(|id| id.into_pyobject(py).expect("ints convert").into_any().unbind()).collect()
        });
        PyList::new(
            py,
            ids.iter().map(|&id| match objects.get(id as usize) {
                Some(object) => object.bind(py).clone(),
                None => id.into_pyobject(py).expect("ints convert").into_any(),
            }),
        )
    }
}
