//! What the Replace normalizer, the Split pre-tokenizer and the Replace decoder look for:
//! a literal string or a regular expression, found left to right without overlaps.
//!
//! Regular expressions go through `crate::pretokenize::Splitter`, so that a pattern
//! which is exactly one of tiktoken's (llama3's Split, say) runs on a hand-written splitter.
//! HF compiles these patterns with Oniguruma; fancy-regex reads the same syntax, and means
//! the same by it once `\w` is spelled out as Oniguruma's class (see `oniguruma_words`).

use crate::error::Result;
use crate::pretokenize::Splitter as Regex;
use unicode_segmentation::UnicodeSegmentation;

#[derive(Clone, Debug)]
pub enum Pattern {
    Literal(String),
    /// A regex as written (`source`), compiled with Oniguruma's `\w`.
    Regex { source: String, regex: Box<Regex>, first: Option<Box<FirstChars>> },
    /// `\X`, extended grapheme clusters, which fancy-regex lacks (cut with Unicode 15.0's
    /// rules, as HF's Oniguruma cuts them: no Indic conjunct clusters).
    Graphemes,
}

/// The characters every match of a regex starts with, when regex-syntax can tell (from
/// the literal prefixes of its matches). A piece with none of them has no match, so it
/// need not be searched at all.
#[derive(Clone, Debug)]
pub struct FirstChars {
    /// Whether the byte alphabet's spelling of each byte is one of them (the only use:
    /// pieces of bytes are the ones the check saves spelling out).
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
        Some(FirstChars { bytes })
    }

    /// Whether the spelling of byte `b` in the byte alphabet is one of them.
    #[inline]
    pub fn contains_byte(&self, b: u8) -> bool {
        self.bytes[b as usize]
    }
}

/// Oniguruma's word characters: alphabetic characters, marks, decimal digits, connector
/// punctuation, and (from its Latin-1 table) ¹ ² ³ ¼ ½ ¾. The regex crate's `\w` has the
/// joiners U+200C and U+200D instead of those six.
const WORD: &str = r"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{B2}\x{B3}\x{B9}\x{BC}-\x{BE}";

/// `source` with `\w` and `\W` written out as Oniguruma reads them.
fn oniguruma_words(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars();
    let mut depth = 0usize; // inside how many [ ] classes
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('w') if depth > 0 => out.push_str(WORD),
                Some('w') => out.push_str(&format!("[{WORD}]")),
                Some('W') => out.push_str(&format!("[^{WORD}]")),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                depth += 1;
                out.push(c);
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

impl Pattern {
    /// A regex as HF's Split, Replace and decoders read it (Oniguruma).
    pub fn regex(source: &str) -> Result<Pattern> {
        if source == r"\X" {
            return Ok(Pattern::Graphemes);
        }
        Self::compiled(source, &oniguruma_words(source))
    }

    /// A regex as the `regex` crate reads it (HF's Whitespace pre-tokenizer uses that crate,
    /// whose `\w` has the joiners and not "²").
    pub fn rust_regex(source: &str) -> Result<Pattern> {
        Self::compiled(source, source)
    }

    fn compiled(source: &str, meaning: &str) -> Result<Pattern> {
        let regex = Box::new(Regex::from_regex(meaning)?);
        Ok(Pattern::Regex { source: source.to_string(), regex, first: FirstChars::of(meaning).map(Box::new) })
    }

    /// The characters every match starts with, if known.
    pub fn first_chars(&self) -> Option<&FirstChars> {
        match self {
            Pattern::Literal(_) | Pattern::Graphemes => None,
            Pattern::Regex { first, .. } => first.as_deref(),
        }
    }

    /// The literal string or the regex's source, as written in tokenizer.json.
    pub fn source(&self) -> &str {
        match self {
            Pattern::Literal(s) => s,
            Pattern::Regex { source, .. } => source,
            Pattern::Graphemes => r"\X",
        }
    }

    /// Calls `found(start, end)` for each match in `text`, in order.
    pub fn for_each_match(&self, text: &str, mut found: impl FnMut(usize, usize)) -> Result<()> {
        match self {
            Pattern::Literal(s) if s.is_empty() => Ok(()),
            Pattern::Literal(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    // One character: memchr's search rather than the two-way searcher.
                    (Some(c), None) => text.match_indices(c).for_each(|(start, m)| found(start, start + m.len())),
                    _ => text.match_indices(s.as_str()).for_each(|(start, m)| found(start, start + m.len())),
                }
                Ok(())
            }
            Pattern::Regex { regex, .. } => regex.for_each_piece(text, found),
            Pattern::Graphemes => {
                for (start, g) in text.grapheme_indices(true) {
                    found(start, start + g.len());
                }
                Ok(())
            }
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
        assert!(first.contains_byte(b'7') && !first.contains_byte(b'a'));
        // A pattern that can start anywhere has no such set.
        assert!(Pattern::regex(r"\s+|\w+").unwrap().first_chars().is_none());
    }

    #[test]
    fn word_characters_are_oniguruma_s() {
        assert_eq!(
            oniguruma_words(r"\w+|[^\w\s]+|\\w"),
            format!(r"[{WORD}]+|[^{WORD}\s]+|\\w")
        );
        let words = Pattern::regex(r"\w+").unwrap();
        // A joiner is not a word character; a superscript two and a circled letter are.
        assert_eq!(words.matches("ab\u{200d}c x²① Ⓐ").unwrap(), [(0, 2), (5, 6), (7, 10), (14, 17)]);
        assert_eq!(words.source(), r"\w+");
    }

    #[test]
    fn grapheme_clusters_follow_unicode_15_0() {
        let clusters = Pattern::regex(r"\X").unwrap().matches("e\u{301}👍🏽\r\nक्षि").unwrap();
        assert_eq!(clusters, [(0, 3), (3, 11), (11, 13), (13, 19), (19, 25)]);
    }
}
