//! Pre-tokenization: cutting text into the pieces that BPE then encodes one by one.
//!
//! Any regular expression works through fancy-regex (the engine tiktoken uses, with the
//! same possessive quantifiers, look-arounds and `\p{..}` classes). The four patterns
//! that matter most have hand-written splitters, chosen automatically when the pattern
//! string is exactly one of them: `masked.rs` reads pieces of ASCII text off bitmasks of
//! 64 bytes at a time (`ascii_masks.rs`), and `fast.rs`, one character at a time, takes
//! every piece the masks cannot decide and is the reference the masks are tested against.

mod ascii_masks;
mod block_starts;
mod classes;
mod fast;
mod masked;

use crate::error::{Error, Result};
use fancy_regex::Regex;

pub const GPT2_PATTERN: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s";
pub const CL100K_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";
pub const O200K_PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
);
pub const LLAMA3_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// How many pieces `Splitter::for_each_batch` hands over at a time.
pub const BATCH: usize = 256;

/// The patterns with a hand-written splitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Gpt2,
    Cl100k,
    O200k,
    Llama3,
}

impl Builtin {
    pub fn pattern(self) -> &'static str {
        match self {
            Builtin::Gpt2 => GPT2_PATTERN,
            Builtin::Cl100k => CL100K_PATTERN,
            Builtin::O200k => O200K_PATTERN,
            Builtin::Llama3 => LLAMA3_PATTERN,
        }
    }

    /// The builtin a name refers to: "gpt2", "r50k", "p50k", "cl100k", "o200k", "llama3"
    /// (with or without a "_base" suffix).
    pub fn from_name(name: &str) -> Option<Builtin> {
        match name.strip_suffix("_base").unwrap_or(name) {
            "gpt2" | "r50k" | "p50k" => Some(Builtin::Gpt2),
            "cl100k" => Some(Builtin::Cl100k),
            "o200k" => Some(Builtin::O200k),
            "llama3" => Some(Builtin::Llama3),
            _ => None,
        }
    }

    fn from_pattern(pattern: &str) -> Option<Builtin> {
        [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3]
            .into_iter()
            .find(|b| b.pattern() == pattern)
    }

    /// The end of the piece that starts at byte `start` of `scanner`'s text.
    #[inline(always)]
    fn piece_end(self, scanner: &fast::Scanner, start: usize) -> usize {
        match self {
            Builtin::Gpt2 => fast::gpt2(scanner, start),
            Builtin::Cl100k => fast::cl100k(scanner, start),
            Builtin::O200k => fast::o200k(scanner, start),
            Builtin::Llama3 => fast::llama3(scanner, start),
        }
    }
}

/// Splits text into pre-tokens as a tiktoken pattern does: a hand-written splitter for a
/// builtin pattern, fancy-regex for any other. (A tokenizer.json pipeline's pre-tokenizer
/// stage, which may use one of these, is `pipeline::pre_tokenizers::PreTokenizer`.)
#[derive(Clone, Debug)]
pub enum Splitter {
    Builtin(Builtin),
    Regex(Box<Regex>),
}

impl Splitter {
    /// A pre-tokenizer for a pattern name (see `Builtin::from_name`).
    pub fn named(name: &str) -> Result<Splitter> {
        Builtin::from_name(name)
            .map(Splitter::Builtin)
            .ok_or_else(|| Error::UnknownPatternName(name.to_string()))
    }

    /// A pre-tokenizer for a pattern name or a regular expression. A string of lowercase
    /// letters, digits and underscores is taken as a name, and so is a name in other case
    /// or with hyphens, so a misspelt name is an error rather than a regex that matches
    /// only itself.
    pub fn from_name_or_regex(pattern: &str) -> Result<Splitter> {
        let looks_like_name = !pattern.is_empty()
            && pattern.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        // "CL100K" or "llama-3" is a name mistyped, not a regex meant to match itself.
        let as_name = pattern.to_ascii_lowercase().replace('-', "");
        if looks_like_name || Builtin::from_name(&as_name).is_some() {
            Self::named(pattern)
        } else {
            Self::from_regex(pattern)
        }
    }

    /// A pre-tokenizer for a regular expression; the hand-written splitter when the
    /// expression is one of the builtin patterns, character for character.
    pub fn from_regex(pattern: &str) -> Result<Splitter> {
        if let Some(builtin) = Builtin::from_pattern(pattern) {
            return Ok(Splitter::Builtin(builtin));
        }
        Self::regex_only(pattern)
    }

    /// A pre-tokenizer that always runs the regular expression, even for a builtin pattern
    /// (the reference the hand-written splitters are tested against).
    pub fn regex_only(pattern: &str) -> Result<Splitter> {
        if pattern.is_empty() {
            return Err(Error::BadRegex {
                pattern: String::new(),
                reason: "the pattern is empty".into(),
            });
        }
        let regex = Regex::new(pattern).map_err(|e| Error::BadRegex {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })?;
        if regex.is_match("").unwrap_or(false) {
            return Err(Error::BadRegex {
                pattern: pattern.to_string(),
                reason: "it matches the empty string, so it cannot cut text into pieces".into(),
            });
        }
        Ok(Splitter::Regex(Box::new(regex)))
    }

    pub fn pattern(&self) -> &str {
        match self {
            Splitter::Builtin(b) => b.pattern(),
            Splitter::Regex(r) => r.as_str(),
        }
    }

    /// Calls `emit(start, end)` for each piece of `text`, in order. Text the pattern does
    /// not match is skipped, as tiktoken skips it.
    #[inline]
    pub fn for_each_piece(&self, text: &str, mut emit: impl FnMut(usize, usize)) -> Result<()> {
        match self {
            Splitter::Builtin(builtin) => {
                masked::for_each_piece(*builtin, ascii_masks::Kernel::best(), text, emit);
                Ok(())
            }
            Splitter::Regex(regex) => {
                for found in regex.find_iter(text) {
                    let found = found.map_err(|e| Error::RegexFailed(e.to_string()))?;
                    emit(found.start(), found.end());
                }
                Ok(())
            }
        }
    }

    /// Calls `batch(start, ends)` for runs of up to `BATCH` consecutive pieces that cover
    /// the text: the first piece starts at `start`, and each ends where the next begins.
    /// Finding pieces and encoding them then run as two tight loops, each keeping its own
    /// state in registers. Returns false, calling nothing, for a regex: its matches need
    /// not cover the text.
    #[inline]
    pub fn for_each_batch(&self, text: &str, mut batch: impl FnMut(usize, &[usize])) -> bool {
        let Splitter::Builtin(builtin) = self else { return false };
        let mut ends = [0usize; BATCH];
        let (mut first, mut n) = (0, 0);
        masked::for_each_piece(*builtin, ascii_masks::Kernel::best(), text, |_, end| {
            ends[n] = end;
            n += 1;
            if n == BATCH {
                batch(first, &ends);
                first = end;
                n = 0;
            }
        });
        if n > 0 {
            batch(first, &ends[..n]);
        }
        true
    }

    /// The pieces of a builtin pattern found one character at a time, without the masks
    /// (the reference they are tested against).
    #[cfg(test)]
    fn reference_pieces(builtin: Builtin, text: &str) -> Vec<(usize, usize)> {
        let scanner = fast::Scanner::new(text);
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < text.len() {
            let end = builtin.piece_end(&scanner, start);
            pieces.push((start, end));
            start = end;
        }
        pieces
    }

    /// The pieces of `text` as byte ranges.
    pub fn pieces(&self, text: &str) -> Result<Vec<(usize, usize)>> {
        let mut pieces = Vec::new();
        self.for_each_piece(text, |start, end| pieces.push((start, end)))?;
        Ok(pieces)
    }
}

#[cfg(test)]
mod tests;
