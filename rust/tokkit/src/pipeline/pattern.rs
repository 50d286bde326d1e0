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
    Regex(Box<Regex>, Option<Box<FirstChars>>),
}

/// The characters every match of a regex starts with, when regex-syntax can tell (from
/// the literal prefixes of its matches). A piece with none of them has no match, so it
/// need not be searched at all.
#[derive(Clone, Debug)]
pub struct FirstChars {
    chars: Vec<char>,
    /// Whether the byte alphabet's spelling of each byte is one of them.
    bytes: [bool; 256],
}

impl FirstChars {
    fn of(source: &str) -> Option<FirstChars> {
        let hir = regex_syntax::Parser::new().parse(source).ok()?;
        let prefixes = regex_syntax::hir::literal::Extractor::new().extract(&hir);
        let mut chars = Vec::new();
        for literal in prefixes.literals()? {
            let first = std::str::from_utf8(literal.as_bytes()).ok()?.chars().next()?;
            chars.push(first);
        }
        chars.sort_unstable();
        chars.dedup();
        let mut bytes = [false; 256];
        for b in 0..=255u8 {
            bytes[b as usize] = chars.binary_search(&super::byte_alphabet::byte_char(b)).is_ok();
        }
        Some(FirstChars { chars, bytes })
    }

    pub fn contains(&self, c: char) -> bool {
        self.chars.binary_search(&c).is_ok()
    }

    /// Whether the spelling of byte `b` in the byte alphabet is one of them.
    #[inline]
    pub fn contains_byte(&self, b: u8) -> bool {
        self.bytes[b as usize]
    }
}

impl Pattern {
    pub fn regex(source: &str) -> Result<Pattern> {
        let regex = Regex::from_regex(source)?;
        Ok(Pattern::Regex(Box::new(regex), FirstChars::of(source).map(Box::new)))
    }

    /// The characters every match starts with, if known.
    pub fn first_chars(&self) -> Option<&FirstChars> {
        match self {
            Pattern::Literal(_) => None,
            Pattern::Regex(_, first) => first.as_deref(),
        }
    }

    /// The literal string or the regex's source, as written in tokenizer.json.
    pub fn source(&self) -> &str {
        match self {
            Pattern::Literal(s) => s,
            Pattern::Regex(r, _) => r.pattern(),
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
            Pattern::Regex(r, _) => r.for_each_piece(text, found),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_know_how_their_matches_start() {
        let digits = Pattern::regex("[0-9][0-9][0-9]").unwrap();
        let first = digits.first_chars().unwrap();
        assert!(first.contains('7') && !first.contains('a'));
        // A pattern that can start anywhere has no such set.
        assert!(Pattern::regex(r"\s+|\w+").unwrap().first_chars().is_none());
    }
}
