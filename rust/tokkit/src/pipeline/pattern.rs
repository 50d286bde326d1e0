//! What the Replace normalizer, the Split pre-tokenizer and the Replace decoder look for:
//! a literal string or a regular expression, found left to right without overlaps.
//!
//! Regular expressions go through `crate::pretokenize::PreTokenizer`, so that a pattern
//! which is exactly one of tiktoken's (llama3's Split, say) runs on a hand-written splitter.
//! HF compiles these patterns with Oniguruma; fancy-regex reads the same syntax for every
//! pattern in the reference files.

use crate::error::Result;
use crate::pretokenize::PreTokenizer as Regex;

#[derive(Clone, Debug)]
pub enum Pattern {
    Literal(String),
    Regex(Box<Regex>),
}

impl Pattern {
    pub fn regex(source: &str) -> Result<Pattern> {
        Regex::from_regex(source).map(|r| Pattern::Regex(Box::new(r)))
    }

    /// The literal string or the regex's source, as written in tokenizer.json.
    pub fn source(&self) -> &str {
        match self {
            Pattern::Literal(s) => s,
            Pattern::Regex(r) => r.pattern(),
        }
    }

    /// Calls `found(start, end)` for each match in `text`, in order.
    pub fn for_each_match(&self, text: &str, mut found: impl FnMut(usize, usize)) -> Result<()> {
        match self {
            Pattern::Literal(s) if s.is_empty() => Ok(()),
            Pattern::Literal(s) => {
                for (start, m) in text.match_indices(s.as_str()) {
                    found(start, start + m.len());
                }
                Ok(())
            }
            Pattern::Regex(r) => r.for_each_piece(text, found),
        }
    }

    /// The matches in `text`.
    pub fn matches(&self, text: &str) -> Result<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        self.for_each_match(text, |s, e| out.push((s, e)))?;
        Ok(out)
    }

    /// Every match replaced by `content`.
    pub fn replace_all(&self, text: &str, content: &str) -> Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        self.for_each_match(text, |s, e| {
            out.push_str(&text[copied..s]);
            out.push_str(content);
            copied = e;
        })?;
        out.push_str(&text[copied..]);
        Ok(out)
    }
}
