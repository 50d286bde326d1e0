//! The one error type of the engine. Every message says what was wrong and what to do;
//! the Python glue turns each variant into the matching Python exception.

use thiserror::Error;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// A vocabulary or tokenizer file that cannot be read as the format it claims to be.
    #[error("{source_name}: line {line}: {reason}")]
    BadFileLine { source_name: String, line: usize, reason: String },

    #[error("{0}")]
    BadVocabulary(String),

    #[error(
        "unknown pre-tokenizer pattern name {0:?}; use one of \"gpt2\" (= \"r50k\"), \"p50k\", \
         \"cl100k\", \"o200k\", \"llama3\", or pass a regular expression"
    )]
    UnknownPatternName(String),

    #[error("invalid pre-tokenizer regular expression {pattern:?}: {reason}")]
    BadRegex { pattern: String, reason: String },

    #[error("the pre-tokenizer regular expression failed on this input: {0}")]
    RegexFailed(String),

    /// Text that no match of a pre-tokenizer regex covers: encoding would lose it.
    #[error(
        "the pre-tokenizer pattern matches none of the text at character {at} ({text:?}), so \
         encoding would lose it (tiktoken drops such text without a word); use a pattern \
         whose alternatives cover every character, for instance by ending it with |\\s+|."
    )]
    PatternGap { at: usize, text: String },

    #[error(
        "the text contains the special token {0:?}, which is not allowed here. To encode it \
         as the special token, pass allowed_special={{{0:?}}} (or allowed_special=\"all\"); to \
         encode it as ordinary text, pass disallowed_special=() (or leave {0:?} out of \
         disallowed_special)"
    )]
    DisallowedSpecial(String),

    #[error("{0:?} is not a special token of this tokenizer; its special tokens are: {1}")]
    UnknownSpecial(String, String),

    #[error("token id {id} is not in the vocabulary (ids of this tokenizer run from 0 to {max})")]
    InvalidId { id: u64, max: u32 },

    #[error("{0}")]
    InvalidArgument(String),

    #[error("{0}")]
    Io(String),

    #[error(
        "{path}: invalid UTF-8 at byte {offset}; fix the file, or pass errors=\"replace\" to \
         read such bytes as U+FFFD"
    )]
    InvalidUtf8 { path: String, offset: u64 },

    #[error("{0}")]
    EmptyCorpus(String),

    /// A tokenizer file uses a component tokkit cannot run; the message names it.
    #[error("{0}")]
    Unsupported(String),

    /// An operation this kind of model does not have (n-best of a BPE, say); the message
    /// names what it needs.
    #[error("{0}")]
    WrongModel(String),

    #[error("interrupted")]
    Interrupted,
}
