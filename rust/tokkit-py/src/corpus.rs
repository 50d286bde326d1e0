//! What every trainer's bindings share: the corpus files Python names, the UTF-8 policy,
//! the thread count, and progress reports (which also let Ctrl-C interrupt training).

use pyo3::prelude::*;
use std::path::PathBuf;
use tokkit::corpus::{CorpusFile, Format, Utf8Errors};
use tokkit::Error;

/// Calls a Python progress callback (with the GIL) and turns a pending Ctrl-C into an
/// interrupt of the engine's work.
pub(crate) fn report(callback: &Option<Py<PyAny>>, amount: u64) -> tokkit::Result<()> {
    Python::attach(|py| {
        if let Some(callback) = callback {
            callback.call1(py, (amount,)).map_err(|_| Error::Interrupted)?;
        }
        py.check_signals().map_err(|_| Error::Interrupted)
    })
}

/// Runs `work` on a rayon pool of `threads` threads (all cores if None).
pub(crate) fn with_threads<T: Send>(threads: Option<usize>, work: impl FnOnce() -> tokkit::Result<T> + Send) -> tokkit::Result<T> {
    match threads {
        None => work(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| Error::InvalidArgument(format!("cannot start {n} threads: {e}")))?
            .install(work),
    }
}

/// The files a corpus names, from Python's (path, jsonl_field or None) pairs.
pub(crate) fn corpus_files(files: Vec<(PathBuf, Option<String>)>) -> Vec<CorpusFile> {
    files.into_iter().map(|(path, field)| CorpusFile { path, format: field.map_or(Format::Text, Format::JsonLines) }).collect()
}

pub(crate) fn utf8_errors(errors: &str) -> PyResult<Utf8Errors> {
    match errors {
        "strict" => Ok(Utf8Errors::Strict),
        "replace" => Ok(Utf8Errors::Replace),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "errors must be \"strict\" or \"replace\", not {other:?}"
        ))),
    }
}
