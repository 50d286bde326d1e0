//! Python bindings of the tokkit engine: convert arguments, release the GIL, call the
//! engine, convert the result back. Nothing here decides how text is tokenized.

mod bpe_training;
mod convert;
mod corpus;
mod pipeline_training;
mod tokenizer;
mod unigram_training;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tokenizer::PyTokenizer>()?;
    m.add_class::<bpe_training::PyPreTokenCounts>()?;
    m.add_class::<unigram_training::PyWordCounts>()?;
    m.add_class::<pipeline_training::PyPieceCounts>()?;
    m.add_function(wrap_pyfunction!(convert::pre_tokenize, m)?)?;
    m.add_function(wrap_pyfunction!(convert::resolve_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(bpe_training::train_bpe_parity, m)?)?;
    m.add("GPT2_PATTERN", tokkit::pretokenize::GPT2_PATTERN)?;
    m.add("CL100K_PATTERN", tokkit::pretokenize::CL100K_PATTERN)?;
    m.add("O200K_PATTERN", tokkit::pretokenize::O200K_PATTERN)?;
    m.add("LLAMA3_PATTERN", tokkit::pretokenize::LLAMA3_PATTERN)?;
    Ok(())
}
