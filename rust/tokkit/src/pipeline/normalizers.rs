//! Normalizers: rewrites of the text before it is cut into pieces (lowercasing, Unicode
//! normalization, BERT's cleaning, SentencePiece's `▁` for spaces ...), each a transform
//! of a `Normalized` string so that offsets still point into the caller's text.
//!
//! Each normalizer is one or a few passes over the text, linear in its length.

use super::normalized::{Normalized, UnicodeForm};
use super::pattern::Pattern;
use crate::error::Result;
use unicode_categories::UnicodeCategories;

#[derive(Clone, Debug)]
pub enum Normalizer {
    Unicode(UnicodeForm),
    Lowercase,
    /// Removes combining marks (run NFD or NFKD first to split accents from letters).
    StripAccents,
    Replace { pattern: Pattern, content: String },
    Prepend(String),
    Strip { left: bool, right: bool },
    Bert(BertNormalizer),
    Sequence(Vec<Normalizer>),
}

/// BERT's normalizer, in this order: drop control characters and turn every kind of
/// whitespace into " "; put spaces around CJK ideographs; strip accents (NFD, then drop
/// non-spacing marks); lowercase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BertNormalizer {
    pub clean_text: bool,
    pub handle_chinese_chars: bool,
    /// None: strip accents when lowercasing.
    pub strip_accents: Option<bool>,
    pub lowercase: bool,
}

impl Normalizer {
    pub fn normalize(&self, text: &mut Normalized) -> Result<()> {
        match self {
            Normalizer::Unicode(form) => text.unicode_form(*form),
            Normalizer::Lowercase => text.lowercase(),
            Normalizer::StripAccents => text.filter(|c| !is_combining_mark(c)),
            Normalizer::Replace { pattern, content } => {
                let matches = pattern.matches(text.text())?;
                text.replace(&matches, content);
            }
            Normalizer::Prepend(prefix) => text.prepend(prefix),
            Normalizer::Strip { left, right } => text.strip(*left, *right),
            Normalizer::Bert(bert) => bert.normalize(text),
            Normalizer::Sequence(all) => {
                for normalizer in all {
                    normalizer.normalize(text)?;
                }
            }
        }
        Ok(())
    }

    /// The normalized form of a string (what an added token with `normalized: true` is
    /// matched as).
    pub fn apply(&self, text: &str) -> Result<String> {
        let mut normalized = Normalized::new(text, 0, false);
        self.normalize(&mut normalized)?;
        Ok(normalized.text().to_string())
    }
}

impl BertNormalizer {
    fn normalize(&self, text: &mut Normalized) {
        if text.alignments().is_none() {
            let fast = self.normalize_untracked(text.text());
            text.set_untracked(fast);
            return;
        }
        self.normalize_tracked(text);
    }

    /// Without offsets, each ASCII character costs one step: no ASCII character is changed
    /// by NFD, and each is a starter, so the Unicode steps never act across one. The runs
    /// of other characters between them take the general path.
    fn normalize_untracked(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii() {
                if let Some(c) = self.ascii(bytes[i] as char) {
                    out.push(c);
                }
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii() {
                i += 1;
            }
            let mut run = Normalized::new(&text[start..i], 0, false);
            self.normalize_tracked(&mut run);
            out.push_str(run.text());
        }
        out
    }

    /// What the four steps make of an ASCII character.
    #[inline]
    fn ascii(&self, c: char) -> Option<char> {
        let mut c = c;
        if self.clean_text {
            if c == '\0' || is_control(c) {
                return None;
            }
            if is_bert_whitespace(c) {
                c = ' ';
            }
        }
        Some(if self.lowercase { c.to_ascii_lowercase() } else { c })
    }

    fn normalize_tracked(&self, text: &mut Normalized) {
        if self.clean_text {
            text.filter(|c| !(c == '\0' || c == '\u{fffd}' || is_control(c)));
            text.map(|c| if is_bert_whitespace(c) { ' ' } else { c });
        }
        if self.handle_chinese_chars && text.text().chars().any(is_chinese_char) {
            let mut changes = Vec::with_capacity(text.len());
            for c in text.text().chars() {
                if is_chinese_char(c) {
                    changes.extend([(' ', 1), (c, 0), (' ', 1)]);
                } else {
                    changes.push((c, 0));
                }
            }
            text.transform(0..text.len(), changes, 0);
        }
        if self.strip_accents.unwrap_or(self.lowercase) {
            text.unicode_form(UnicodeForm::Nfd);
            text.filter(|c| !c.is_mark_nonspacing());
        }
        if self.lowercase {
            text.lowercase();
        }
    }
}

/// Tab, newline and carriage return count as whitespace, not as control characters.
fn is_bert_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

/// The CJK ideograph blocks BERT spaces out (not kana or hangul, which are written with
/// spaces between words).
pub fn is_chinese_char(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B920..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// A combining mark (general category M), as HF's StripAccents tests it.
fn is_combining_mark(c: char) -> bool {
    unicode_normalization_alignments::char::is_combining_mark(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bert() -> Normalizer {
        Normalizer::Bert(BertNormalizer { clean_text: true, handle_chinese_chars: true, strip_accents: None, lowercase: true })
    }

    #[test]
    fn bert_cleans_spaces_out_cjk_strips_accents_and_lowercases() {
        let mut text = Normalized::new("Héllo\u{0}\tWörld中文", 0, true);
        bert().normalize(&mut text).unwrap();
        assert_eq!(text.text(), "hello world 中  文 ");
        // "中" still points at its original bytes.
        let align = text.alignments().unwrap();
        let at = text.text().find('中').unwrap();
        assert_eq!(super::super::normalized::original_span(align, at, at + 3), (14, 17));
    }

    #[test]
    fn bert_without_offsets_gives_the_same_text() {
        let Normalizer::Bert(bert) = bert() else { unreachable!() };
        let samples = ["Ünïcode\u{0}\x0b\tTEXT 中文 e\u{301}\u{316}x", "ÅSCII\u{7f}ǅ İ", "\r\nαβγ ΣΑΣ", ""];
        for sample in samples {
            let mut tracked = Normalized::new(sample, 0, true);
            bert.normalize_tracked(&mut tracked);
            assert_eq!(bert.normalize_untracked(sample), tracked.text(), "{sample:?}");
        }
    }

    #[test]
    fn a_sequence_applies_in_order() {
        let seq = Normalizer::Sequence(vec![
            Normalizer::Prepend("▁".into()),
            Normalizer::Replace { pattern: Pattern::Literal(" ".into()), content: "▁".into() },
        ]);
        assert_eq!(seq.apply("a b").unwrap(), "▁a▁b");
        assert_eq!(seq.apply("").unwrap(), "");
    }

    #[test]
    fn strip_accents_after_nfd() {
        let seq = Normalizer::Sequence(vec![Normalizer::Unicode(UnicodeForm::Nfd), Normalizer::StripAccents]);
        assert_eq!(seq.apply("Ça été").unwrap(), "Ca ete");
    }
}
