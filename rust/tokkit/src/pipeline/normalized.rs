//! A normalized string: text that normalizers (and a few pre-tokenizers) rewrite, which
//! still knows where each of its bytes came from in the caller's text, so that every token
//! can report its offsets there. The semantics are HuggingFace `tokenizers`' (its
//! `NormalizedString`), because a loaded tokenizer.json must report the same offsets.
//!
//! Data: the normalized `text` and, when offsets are wanted, `align`: for each byte of
//! `text`, the byte range (start, end) of the original text it stands for; all the bytes of
//! one character share a range. Tracking costs 8 bytes per byte (ranges are u32, so one
//! text is at most 4 GiB), and encoding for ids alone does not track.
//!
//! Every rewrite is a *transform* of a byte range: the new characters, each with a change:
//! `0`, it replaces the next old character; `+1`, it is inserted; `-n`, it replaces the next
//! old character and the `n` after it are removed. `initial_removed` old characters are
//! dropped before the first new one. A replacing character takes the range of the old
//! character it replaces, an inserted one the range of the old byte just before it (the
//! empty range at `base`, where this text starts in the original, at the very start). A transform is linear in the length of its range; `replace` rewrites
//! all its matches in one pass, where HF transforms match by match (quadratic on a text with
//! many matches) with the same outcome.

use std::ops::Range;
use unicode_normalization_alignments::UnicodeNormalization;

/// A byte range of the original text.
pub type Span = (u32, u32);

#[derive(Clone, Debug, PartialEq)]
pub struct Normalized {
    text: String,
    /// Original ranges, in the coordinates of the whole text the caller gave.
    align: Option<Vec<Span>>,
    /// Where this text starts in the original.
    base: usize,
}

impl Normalized {
    /// `original`, which starts at byte `base` of the caller's text; with `track`, each byte
    /// aligned to its character's range.
    pub fn new(original: &str, base: usize, track: bool) -> Normalized {
        let align = track.then(|| {
            let mut align = Vec::with_capacity(original.len());
            for (start, c) in original.char_indices() {
                let span = ((base + start) as u32, (base + start + c.len_utf8()) as u32);
                align.extend(std::iter::repeat_n(span, c.len_utf8()));
            }
            align
        });
        Normalized { text: original.to_string(), align, base }
    }

    /// A text with the given alignments (as `slice` or a pre-tokenizer made them).
    pub fn from_parts(text: String, align: Option<Vec<Span>>, base: usize) -> Normalized {
        Normalized { text, align, base }
    }

    /// Replaces the text of an untracked string (a normalizer's fast path).
    pub fn set_untracked(&mut self, text: String) {
        assert!(self.align.is_none(), "only an untracked text can be replaced wholesale");
        self.text = text;
    }

    /// Where this text starts in the original (HF's `offsets_original().0`).
    pub fn base(&self) -> usize {
        self.base
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The original range of each byte, if tracked.
    pub fn alignments(&self) -> Option<&[Span]> {
        self.align.as_deref()
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Rewrites the byte range `range` (see the module documentation).
    pub fn transform(&mut self, range: Range<usize>, changes: impl IntoIterator<Item = (char, isize)>, initial_removed: usize) {
        let mut text = String::with_capacity(range.len());
        match &mut self.align {
            None => text.extend(changes.into_iter().map(|(c, _)| c)),
            Some(align) => {
                let mut old = self.text[range.clone()].chars();
                let mut offset = range.start + (&mut old).take(initial_removed).map(char::len_utf8).sum::<usize>();
                let mut new_align = Vec::with_capacity(range.len());
                for (c, change) in changes {
                    let span = if change > 0 {
                        if offset == 0 { (self.base as u32, self.base as u32) } else { align[offset - 1] }
                    } else {
                        align.get(offset).copied().unwrap_or_else(|| align.last().copied().unwrap_or((0, 0)))
                    };
                    if change <= 0 {
                        offset += old.next().map_or(0, char::len_utf8);
                        offset += (&mut old).take(change.unsigned_abs()).map(char::len_utf8).sum::<usize>();
                    }
                    new_align.extend(std::iter::repeat_n(span, c.len_utf8()));
                    text.push(c);
                }
                align.splice(range.clone(), new_align);
            }
        }
        self.text.replace_range(range, &text);
    }

    /// Rewrites the whole text, one character at a time.
    fn transform_all(&mut self, changes: impl IntoIterator<Item = (char, isize)>, initial_removed: usize) {
        self.transform(0..self.text.len(), changes, initial_removed);
    }

    /// Replaces every character by `f(c)`.
    pub fn map(&mut self, f: impl Fn(char) -> char) {
        if self.align.is_none() {
            self.text = self.text.chars().map(f).collect();
            return;
        }
        let changes: Vec<(char, isize)> = self.text.chars().map(|c| (f(c), 0)).collect();
        self.transform_all(changes, 0);
    }

    /// Keeps only the characters for which `keep` is true.
    pub fn filter(&mut self, keep: impl Fn(char) -> bool) {
        if self.align.is_none() {
            self.text = self.text.chars().filter(|&c| keep(c)).collect();
            return;
        }
        // Each kept character carries the removal of the characters that follow it.
        let mut removed = 0isize;
        let mut changes = Vec::with_capacity(self.text.len());
        for c in self.text.chars().rev() {
            if keep(c) {
                changes.push((c, -removed));
                removed = 0;
            } else {
                removed += 1;
            }
        }
        changes.reverse();
        self.transform_all(changes, removed as usize);
    }

    /// Replaces each character by its lowercase form (which may be several characters).
    pub fn lowercase(&mut self) {
        if self.align.is_none() {
            self.text = self.text.chars().flat_map(char::to_lowercase).collect();
            return;
        }
        let changes: Vec<(char, isize)> = self
            .text
            .chars()
            .flat_map(|c| c.to_lowercase().enumerate().map(|(i, l)| (l, (i > 0) as isize)))
            .collect();
        self.transform_all(changes, 0);
    }

    /// Puts `prefix` before the text, aligned with the first character; nothing happens to
    /// an empty text.
    pub fn prepend(&mut self, prefix: &str) {
        let Some(first) = self.text.chars().next() else { return };
        let changes: Vec<(char, isize)> = prefix
            .chars()
            .enumerate()
            .map(|(i, c)| (c, (i > 0) as isize))
            .chain(std::iter::once((first, 1)))
            .collect();
        self.transform(0..first.len_utf8(), changes, 0);
    }

    /// Replaces each byte range of `matches` (sorted, not overlapping) by `content`. The new
    /// characters take the range of the last byte each match removed.
    pub fn replace(&mut self, matches: &[(usize, usize)], content: &str) {
        if matches.is_empty() {
            return;
        }
        let mut text = String::with_capacity(self.text.len());
        let mut align = self.align.as_ref().map(|a| Vec::with_capacity(a.len()));
        let mut copied = 0;
        for &(start, end) in matches {
            text.push_str(&self.text[copied..start]);
            if let (Some(new), Some(old)) = (align.as_mut(), self.align.as_ref()) {
                new.extend_from_slice(&old[copied..start]);
                let span = if end == 0 { (self.base as u32, self.base as u32) } else { old[end - 1] };
                new.extend(std::iter::repeat_n(span, content.len()));
            }
            text.push_str(content);
            copied = end;
        }
        text.push_str(&self.text[copied..]);
        if let (Some(new), Some(old)) = (align.as_mut(), self.align.as_ref()) {
            new.extend_from_slice(&old[copied..]);
        }
        self.text = text;
        self.align = align;
    }

    /// Removes leading and/or trailing whitespace.
    pub fn strip(&mut self, left: bool, right: bool) {
        let leading = if left { self.text.chars().take_while(|c| c.is_whitespace()).count() } else { 0 };
        let trailing = if right { self.text.chars().rev().take_while(|c| c.is_whitespace()).count() } else { 0 };
        if leading == 0 && trailing == 0 {
            return;
        }
        let n = self.text.chars().count();
        let changes: Vec<(char, isize)> = self
            .text
            .chars()
            .enumerate()
            .filter_map(|(i, c)| {
                if i < leading || i + trailing >= n {
                    None
                } else if i + trailing + 1 == n {
                    Some((c, -(trailing as isize)))
                } else {
                    Some((c, 0))
                }
            })
            .collect();
        self.transform_all(changes, leading);
    }

    /// One of the four Unicode normalization forms.
    pub fn unicode_form(&mut self, form: UnicodeForm) {
        let changes: Vec<(char, isize)> = match form {
            UnicodeForm::Nfd => self.text.nfd().collect(),
            UnicodeForm::Nfkd => self.text.nfkd().collect(),
            UnicodeForm::Nfc => self.text.nfc().collect(),
            UnicodeForm::Nfkc => self.text.nfkc().collect(),
        };
        self.transform_all(changes, 0);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnicodeForm {
    Nfc,
    Nfd,
    Nfkc,
    Nfkd,
}

/// The original range of the normalized byte range [start, end): from the start of the
/// first byte's range to the end of the last byte's. HF gives an empty range back as it is.
#[inline]
pub fn original_span(align: &[Span], start: usize, end: usize) -> (usize, usize) {
    if start >= end {
        return (start, end);
    }
    (align[start].0 as usize, align[end - 1].1 as usize)
}

/// Byte offsets into a text → character offsets, as HF's Python binding converts them: the
/// start becomes the index of the character holding that byte; the end, the index of the
/// character holding the end byte, or past the last character for an end at (or beyond)
/// the end of the text. A start at or beyond the end of the text is left in bytes.
///
/// Offsets arrive nearly in order, so a cursor walks to each one: linear in the text for
/// ordered offsets, with no table as large as the text.
pub struct CharOffsets<'t> {
    bytes: &'t [u8],
    byte: usize,
    chars: usize,
}

impl<'t> CharOffsets<'t> {
    pub fn new(text: &'t str) -> Self {
        CharOffsets { bytes: text.as_bytes(), byte: 0, chars: 0 }
    }

    /// The index of the character holding byte `target` (< the text's length).
    fn char_at(&mut self, target: usize) -> usize {
        let start = target - (0..4).take_while(|&k| k < target && self.bytes[target - k] & 0xC0 == 0x80).count();
        while self.byte < start {
            self.byte += 1;
            while self.byte < start && self.bytes[self.byte] & 0xC0 == 0x80 {
                self.byte += 1;
            }
            self.chars += 1;
        }
        while self.byte > start {
            self.byte -= 1;
            while self.bytes[self.byte] & 0xC0 == 0x80 {
                self.byte -= 1;
            }
            self.chars -= 1;
        }
        self.chars
    }

    pub fn convert(&mut self, (start, end): (usize, usize)) -> (usize, usize) {
        let len = self.bytes.len();
        if start >= len {
            return (start, end);
        }
        let first = self.char_at(start);
        if end < len {
            return (first, self.char_at(end));
        }
        let last = if end >= 1 && end - 1 < len { self.char_at(end - 1) } else { first };
        (first, last + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(text: &str) -> Normalized {
        Normalized::new(text, 0, true)
    }

    #[test]
    fn lowercase_keeps_each_character_aligned() {
        let mut n = tracked("AİB");
        n.lowercase();
        // İ lowercases to i + a combining dot: both aligned to İ.
        assert_eq!(n.text(), "ai\u{307}b");
        assert_eq!(original_span(n.alignments().unwrap(), 1, 4), (1, 3));
        assert_eq!(original_span(n.alignments().unwrap(), 4, 5), (3, 4));
    }

    #[test]
    fn filtered_characters_vanish_from_the_offsets() {
        // HF's own example: the macrons go, "o" keeps its range.
        let mut n = tracked("e\u{304}\u{304}\u{304}o");
        n.filter(|c| c.is_ascii());
        assert_eq!(n.text(), "eo");
        assert_eq!(n.alignments().unwrap(), &[(0, 1), (7, 8)]);
    }

    #[test]
    fn prepend_aligns_with_the_first_character() {
        let mut n = tracked("hé");
        n.prepend("▁");
        assert_eq!(n.text(), "▁hé");
        assert_eq!(original_span(n.alignments().unwrap(), 0, 4), (0, 1));
    }

    #[test]
    fn replaced_text_takes_the_range_of_the_last_removed_byte() {
        let mut n = tracked("a bc d");
        n.replace(&[(1, 2), (4, 5)], "▁");
        assert_eq!(n.text(), "a▁bc▁d");
        assert_eq!(original_span(n.alignments().unwrap(), 1, 4), (1, 2));
        assert_eq!(original_span(n.alignments().unwrap(), 6, 9), (4, 5));
        let mut m = tracked("xabcx");
        m.replace(&[(1, 4)], "Z");
        assert_eq!(m.alignments().unwrap(), &[(0, 1), (3, 4), (4, 5)]);
    }

    #[test]
    fn one_pass_replace_equals_transforming_match_by_match() {
        let text = "  a  b c   ";
        let matches: Vec<(usize, usize)> = text.match_indices(' ').map(|(i, _)| (i, i + 1)).collect();
        let mut fast = tracked(text);
        fast.replace(&matches, "▁▁");
        let mut slow = tracked(text);
        let mut shift = 0isize;
        for &(start, end) in &matches {
            let range = (start as isize + shift) as usize..(end as isize + shift) as usize;
            slow.transform(range, "▁▁".chars().map(|c| (c, 1)), 1);
            shift += "▁▁".len() as isize - 1;
        }
        assert_eq!(fast, slow);
    }

    #[test]
    fn strip_removes_whitespace_at_the_ends() {
        let mut n = tracked("  ab \t");
        n.strip(true, true);
        assert_eq!(n.text(), "ab");
        assert_eq!(n.alignments().unwrap(), &[(2, 3), (3, 4)]);
    }

    #[test]
    fn untracked_rewrites_give_the_same_text() {
        for track in [false, true] {
            let mut n = Normalized::new("Ça Va", 0, track);
            n.unicode_form(UnicodeForm::Nfd);
            n.filter(|c| !('\u{300}'..='\u{36f}').contains(&c));
            n.lowercase();
            assert_eq!(n.text(), "ca va");
        }
    }

    #[test]
    fn char_offsets_follow_hf_conversion() {
        let text = "aé😀b";
        let mut conv = CharOffsets::new(text);
        assert_eq!(conv.convert((0, 1)), (0, 1));
        assert_eq!(conv.convert((1, 3)), (1, 2));
        assert_eq!(conv.convert((3, 7)), (2, 3));
        // An end inside a character stops before it; a start inside one moves to it.
        assert_eq!(conv.convert((4, 5)), (2, 2));
        assert_eq!(conv.convert((7, 8)), (3, 4));
        assert_eq!(conv.convert((0, 0)), (0, 0));
        // Past the end: left in bytes.
        assert_eq!(conv.convert((8, 8)), (8, 8));
    }
}
