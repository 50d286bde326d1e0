//! Python bindings of the tokkit engine: convert arguments, release the GIL, call the
//! engine, convert the result back. Nothing here decides how text is tokenized.

mod byte_level;
mod convert;
mod sentencepiece;
mod pipeline;
mod trainers;
mod training;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<byte_level::PyByteLevelBpe>()?;
    m.add_class::<training::PyPreTokenCounts>()?;
    sentencepiece::register(m)?;
    m.add_class::<pipeline::PyPipeline>()?;
    m.add_class::<trainers::PyPieceCounts>()?;
    m.add_function(wrap_pyfunction!(convert::pre_tokenize, m)?)?;
    m.add_function(wrap_pyfunction!(convert::resolve_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(training::train_bpe_parity, m)?)?;
    m.add("GPT2_PATTERN", tokkit::pretokenize::GPT2_PATTERN)?;
    m.add("CL100K_PATTERN", tokkit::pretokenize::CL100K_PATTERN)?;
    m.add("O200K_PATTERN", tokkit::pretokenize::O200K_PATTERN)?;
    m.add("LLAMA3_PATTERN", tokkit::pretokenize::LLAMA3_PATTERN)?;
    Ok(())
}
