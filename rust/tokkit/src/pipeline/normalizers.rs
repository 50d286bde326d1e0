//! Normalizers: rewrites of the text before it is cut into pieces (lowercasing, Unicode
//! normalization, BERT's cleaning, SentencePiece's `▁` for spaces ...), each a transform
//! of a `Normalized` string so that offsets still point into the caller's text.
//!
//! Each normalizer is one or a few passes over the text, linear in its length.

use super::normalized::{Normalized, UnicodeForm};
use super::pattern::Pattern;
use crate::error::{Error, Result};
use crate::sentencepiece::normalizer::CharsMap;
use unicode_categories::UnicodeCategories;
use unicode_segmentation::UnicodeSegmentation;

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
    /// SentencePiece's precompiled character map (t5, ALBERT, XLNet ...).
    Precompiled(Box<Precompiled>),
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
            Normalizer::Precompiled(map) => map.normalize(text),
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

/// SentencePiece's character map as HF applies it, which is not as SentencePiece does:
/// the text is cut into grapheme clusters; a cluster of under 6 bytes that starts with a
/// rule is replaced whole by that rule's output, the *shortest* rule's (so "A\u{302}\u{300}"
/// becomes "Â", dropping the grave accent, where SentencePiece makes "Ầ"); any other
/// cluster is rewritten a character at a time. HF's offsets follow from how it lines up
/// a replacement with what it replaces: the new characters replace the old ones in order,
/// extra new ones count as inserted, and missing ones are removed by the last new
/// character, or, when a rule's output is empty, by the character before it.
///
/// One pass over the text, one trie walk per cluster (and per character of long ones).
#[derive(Clone, Debug)]
pub struct Precompiled {
    map: CharsMap,
    /// ASCII characters no rule rewrites.
    plain: [bool; 128],
}

impl Precompiled {
    pub fn new(map: CharsMap) -> Result<Precompiled> {
        if !map.replacements_are_text() {
            return Err(Error::BadVocabulary(
                "the precompiled character map rewrites characters into bytes that are not UTF-8 text; \
                 re-export the tokenizer"
                    .into(),
            ));
        }
        let plain = std::array::from_fn(|b| map.shortest(&[b as u8]).is_none());
        Ok(Precompiled { map, plain })
    }

    pub fn map(&self) -> &CharsMap {
        &self.map
    }

    /// The output of the rule `text` starts with, if any.
    #[inline]
    fn rule(&self, text: &str) -> Option<&str> {
        self.map.shortest(text.as_bytes()).map(|r| std::str::from_utf8(r).expect("checked when built"))
    }

    /// Calls `step` on each stretch of text the map rewrites and each character it keeps.
    ///
    /// Between two ASCII characters there is always a cluster boundary, but inside "\r\n",
    /// and what follows such a boundary is clustered alike whatever came before it, since
    /// no ASCII character is a prepended mark, a regional indicator or an emoji. So an ASCII
    /// character followed by one is a cluster on its own, found without the segmenter, and
    /// the segmenter runs only on the stretches between such pairs.
    #[inline]
    fn walk<'t>(&'t self, text: &'t str, mut step: impl FnMut(Step<'t>)) {
        let bytes = text.as_bytes();
        let ascii_pair = |i: usize| bytes[i].is_ascii() && bytes[i + 1].is_ascii() && &bytes[i..i + 2] != b"\r\n";
        let mut pos = 0;
        while pos < bytes.len() {
            let byte = bytes[pos];
            if byte.is_ascii() && (pos + 1 == bytes.len() || ascii_pair(pos)) {
                let old = &text[pos..pos + 1];
                step(match self.plain[byte as usize] {
                    true => Step::Keep(byte as char),
                    false => self.rule(old).map_or(Step::Keep(byte as char), |new| Step::Replace(old, new)),
                });
                pos += 1;
                continue;
            }
            let mut end = pos + 1;
            while end < bytes.len() && !(ascii_pair(end - 1)) {
                end += 1;
            }
            self.walk_clusters(&text[pos..end], &mut step);
            pos = end;
        }
    }

    fn walk_clusters<'t>(&'t self, text: &'t str, step: &mut impl FnMut(Step<'t>)) {
        for cluster in text.graphemes(true) {
            if cluster.len() < 6 {
                if let Some(new) = self.rule(cluster) {
                    step(Step::Replace(cluster, new));
                    continue;
                }
            }
            for (i, c) in cluster.char_indices() {
                let old = &cluster[i..i + c.len_utf8()];
                step(match self.rule(old) {
                    Some(new) => Step::Replace(old, new),
                    None => Step::Keep(c),
                });
            }
        }
    }

    fn normalize(&self, text: &mut Normalized) {
        if text.alignments().is_none() {
            let mut out = String::with_capacity(text.len());
            self.walk(text.text(), |step| match step {
                Step::Replace(_, new) => out.push_str(new),
                Step::Keep(c) => out.push(c),
            });
            text.set_untracked(out);
            return;
        }
        let mut changes = Vec::with_capacity(text.len());
        let mut modified = false;
        self.walk(text.text(), |step| match step {
            Step::Replace(old, new) => {
                modified = true;
                line_up(&mut changes, old, new);
            }
            Step::Keep(c) => changes.push((c, 0)),
        });
        if modified {
            text.transform(0..text.len(), changes, 0);
        }
    }
}

enum Step<'t> {
    /// Old text, and what the map makes of it.
    Replace(&'t str, &'t str),
    Keep(char),
}

/// The changes that replace `old` by `new`, lined up as HF lines them up.
fn line_up(changes: &mut Vec<(char, isize)>, old: &str, new: &str) {
    let grown = new.chars().count() as isize - old.chars().count() as isize;
    changes.extend(new.chars().map(|c| (c, 0)));
    if grown > 0 {
        let len = changes.len();
        changes[len - grown as usize..].iter_mut().for_each(|(_, change)| *change = 1);
    } else if let Some((_, change)) = changes.last_mut() {
        // With an empty `new`, the character before it (from an earlier stretch) removes
        // the old ones; at the very start nothing does, as in HF.
        *change += grown;
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

    /// A Precompiled normalizer with the given rules, in the precompiled blob layout.
    fn precompiled(rules: &[(&str, &str)]) -> Precompiled {
        let mut replacements = Vec::new();
        let mut keys = Vec::new();
        for (from, to) in rules {
            keys.push((from.as_bytes(), replacements.len() as u32));
            replacements.extend_from_slice(to.as_bytes());
            replacements.push(0);
        }
        let trie = crate::double_array::DoubleArray::build(&keys).unwrap();
        let mut blob = ((trie.units().len() * 4) as u32).to_le_bytes().to_vec();
        trie.units().iter().for_each(|unit| blob.extend_from_slice(&unit.to_le_bytes()));
        blob.extend_from_slice(&replacements);
        Precompiled::new(CharsMap::from_blob(&blob).unwrap()).unwrap()
    }

    fn run(map: &Precompiled, text: &str) -> Normalized {
        let mut tracked = Normalized::new(text, 0, true);
        map.normalize(&mut tracked);
        let mut untracked = Normalized::new(text, 0, false);
        map.normalize(&mut untracked);
        assert_eq!(tracked.text(), untracked.text(), "{text:?}");
        tracked
    }

    #[test]
    fn precompiled_replaces_a_short_cluster_by_its_shortest_rule() {
        let map = precompiled(&[("A\u{302}", "Â"), ("A\u{302}\u{300}", "Ầ"), ("①", "1")]);
        // The whole cluster goes, though the rule covers only its first two characters.
        assert_eq!(run(&map, "xA\u{302}\u{300}y").text(), "xÂy");
        assert_eq!(run(&map, "①①").text(), "11");
    }

    #[test]
    fn precompiled_rewrites_a_long_cluster_a_character_at_a_time() {
        let map = precompiled(&[("e\u{301}", "é"), ("\u{301}", "")]);
        assert_eq!(run(&map, "e\u{301}").text(), "é");
        // 7 bytes: "e" has no rule of its own, and each accent is dropped.
        let n = run(&map, "xe\u{301}\u{301}\u{301}z");
        assert_eq!(n.text(), "xez");
        assert_eq!(n.alignments().unwrap(), &[(0, 1), (1, 2), (8, 9)]);
    }

    #[test]
    fn precompiled_keeps_offsets_as_hf_lines_them_up() {
        let map = precompiled(&[("ﬁ", "fi"), ("\u{b}", "")]);
        let n = run(&map, "ﬁx");
        assert_eq!(n.text(), "fix");
        assert_eq!(n.alignments().unwrap(), &[(0, 3), (0, 3), (3, 4)]);
        // A dropped character is removed by the one before it ...
        assert_eq!(run(&map, "a\u{b}b").alignments().unwrap(), &[(0, 1), (2, 3)]);
        // ... and at the very start by none, so what follows shifts onto it, as in HF.
        let n = run(&map, "\u{b}ab");
        assert_eq!(n.text(), "ab");
        assert_eq!(n.alignments().unwrap(), &[(0, 1), (1, 2)]);
    }

    /// Writes down each step of a walk.
    fn record(out: &mut Vec<String>) -> impl FnMut(Step<'_>) + '_ {
        move |step| {
            out.push(match step {
                Step::Replace(old, new) => format!("{old}>{new}"),
                Step::Keep(c) => c.to_string(),
            })
        }
    }

    #[test]
    fn precompiled_ascii_shortcut_clusters_as_the_segmenter_does() {
        let map = precompiled(&[("\r", " "), ("\u{600}1", "X"), ("e\u{301}", "é"), ("🇫🇷", "F")]);
        // CR LF, a prepended mark before a digit, an accent after a letter, flags in pairs.
        for text in ["a\r\nb\r\r", "ab\u{600}1c", "xe\u{301}y", "🇫🇷🇫🇷🇫a", "", "ab", "é"] {
            let (mut shortcut, mut segmenter) = (Vec::new(), Vec::new());
            map.walk(text, record(&mut shortcut));
            map.walk_clusters(text, &mut record(&mut segmenter));
            assert_eq!(shortcut, segmenter, "{text:?}");
        }
    }

    #[test]
    fn strip_accents_after_nfd() {
        let seq = Normalizer::Sequence(vec![Normalizer::Unicode(UnicodeForm::Nfd), Normalizer::StripAccents]);
        assert_eq!(seq.apply("Ça été").unwrap(), "Ca ete");
    }
}
