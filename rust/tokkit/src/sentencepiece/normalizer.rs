//! SentencePiece's normalizer: text → the string its models segment.
//!
//! Three steps, done in one left-to-right pass over the input:
//! 1. Rewrite by the longest matching rule of the precompiled character map (the
//!    `nmt_nfkc`, `nfkc`, ... rules compiled into a `.model` file; none for `identity`).
//!    User-defined symbols are matched first and never rewritten. A byte that does not
//!    start valid UTF-8 becomes U+FFFD.
//! 2. Whitespace: drop leading, trailing and repeated spaces (`remove_extra_whitespaces`),
//!    put one space in front (`add_dummy_prefix`).
//! 3. Spell spaces as `▁` (U+2581, `escape_whitespaces`).
//!
//! The character map is a blob: a little-endian u32 giving the size of a darts-clone
//! double-array trie (`double_array.rs`), the trie, then the replacement strings, each
//! ending in NUL; a trie value is the offset of a replacement in that last part. Cost:
//! one trie walk per character, O(n) in all.

use crate::double_array::DoubleArray;
use crate::error::{Error, Result};

/// `▁`, which stands for a space in SentencePiece pieces.
pub const SPACE_SYMBOL: &str = "\u{2581}";
const REPLACEMENT_CHAR: &[u8] = "\u{fffd}".as_bytes();
/// SentencePiece looks at no more than this many matching rules per position.
const MAX_RULE_MATCHES: usize = 32;

/// The rules of a precompiled character map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CharsMap {
    trie: DoubleArray,
    replacements: Vec<u8>,
    blob: Vec<u8>,
}

impl CharsMap {
    pub fn from_blob(blob: &[u8]) -> Result<CharsMap> {
        let bad = |why: &str| {
            Error::BadVocabulary(format!(
                "the precompiled character map of this model is corrupt ({why}); re-export the \
                 model, or use one whose normalizer is \"identity\""
            ))
        };
        if blob.len() < 4 {
            return Err(bad("shorter than its 4-byte header"));
        }
        let trie_size = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
        if !trie_size.is_multiple_of(4) || trie_size > blob.len() - 4 {
            return Err(bad("its trie size does not fit the blob"));
        }
        let units = blob[4..4 + trie_size]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(CharsMap {
            trie: DoubleArray::from_units(units),
            replacements: blob[4 + trie_size..].to_vec(),
            blob: blob.to_vec(),
        })
    }

    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The longest rule matching the start of `input`: (replacement, bytes matched).
    #[inline]
    fn longest(&self, input: &[u8]) -> Option<(&[u8], usize)> {
        let mut best: Option<(usize, u32)> = None;
        let mut seen = 0;
        self.trie.common_prefixes(input, |len, value| {
            if seen < MAX_RULE_MATCHES {
                best = Some((len, value));
            }
            seen += 1;
        });
        let (len, value) = best?;
        Some((self.replacement(value)?, len))
    }

    /// The replacement of the shortest rule matching the start of `input`: HF's choice
    /// (its Precompiled normalizer), where SentencePiece takes the longest.
    #[inline]
    pub fn shortest(&self, input: &[u8]) -> Option<&[u8]> {
        let mut cursor = self.trie.root();
        for &byte in input {
            if !self.trie.step(&mut cursor, byte) {
                return None;
            }
            if let Some(value) = self.trie.value(&cursor) {
                return self.replacement(value);
            }
        }
        None
    }

    /// The NUL-terminated replacement at `offset`.
    fn replacement(&self, offset: u32) -> Option<&[u8]> {
        let rest = self.replacements.get(offset as usize..)?;
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        Some(&rest[..end])
    }

    /// Whether every replacement is UTF-8 text.
    pub fn replacements_are_text(&self) -> bool {
        std::str::from_utf8(&self.replacements).is_ok()
    }
}

/// How a SentencePiece model normalizes text (its `NormalizerSpec`).
#[derive(Clone, Debug, PartialEq)]
pub struct SpmNormalizer {
    pub name: String,
    pub charsmap: Option<CharsMap>,
    pub add_dummy_prefix: bool,
    pub remove_extra_whitespaces: bool,
    pub escape_whitespaces: bool,
    /// User-defined symbols, matched before any rule and kept as they are.
    user_defined: Option<DoubleArray>,
    /// ASCII bytes other than space that, followed by another ASCII byte (or nothing),
    /// match no rule and no user-defined symbol: they stand for themselves, and runs of
    /// them are copied at once. (Rules starting with a letter go on with a combining mark.)
    /// Indexed by any byte, so that a scan needs one lookup per byte.
    plain: [bool; 256],
    /// Whether a space followed by an ASCII byte (or nothing) matches no rule and no
    /// user-defined symbol: it is then whitespace to escape and squeeze, found without a
    /// lookup. Text has one at every word.
    plain_space: bool,
}

/// The length of the UTF-8 character at the start of `input`, or None if it is not one.
#[inline]
pub fn utf8_len(input: &[u8]) -> Option<usize> {
    let first = *input.first()?;
    let len = match first {
        0x00..=0x7F => return Some(1),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    std::str::from_utf8(input.get(..len)?).ok().map(|_| len)
}

/// The length SentencePiece gives a character from its first byte alone.
#[inline(always)]
pub fn lead_len(byte: u8) -> usize {
    const LENGTHS: [u8; 16] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4];
    LENGTHS[(byte >> 4) as usize] as usize
}

impl SpmNormalizer {
    pub fn new(
        name: &str,
        charsmap: Option<CharsMap>,
        add_dummy_prefix: bool,
        remove_extra_whitespaces: bool,
        escape_whitespaces: bool,
    ) -> SpmNormalizer {
        SpmNormalizer {
            name: name.to_string(),
            charsmap,
            add_dummy_prefix,
            remove_extra_whitespaces,
            escape_whitespaces,
            user_defined: None,
            plain: [false; 256],
            plain_space: false,
        }
        .with_plain_bytes()
    }

    fn with_plain_bytes(mut self) -> SpmNormalizer {
        // Whether a key of `trie` is `byte` or starts with `byte` and an ASCII byte.
        let matches_ascii = |trie: &DoubleArray, byte: u8| {
            let mut cursor = trie.root();
            if !trie.step(&mut cursor, byte) {
                return false;
            }
            trie.value(&cursor).is_some() || (1..128u8).any(|next| trie.step(&mut cursor.clone(), next))
        };
        let plain = |byte: u8| {
            !self.charsmap.as_ref().is_some_and(|m| matches_ascii(&m.trie, byte))
                && !self.user_defined.as_ref().is_some_and(|t| matches_ascii(t, byte))
        };
        let plain_bytes: Vec<bool> = (0..128u8).map(|byte| byte != 0 && byte != b' ' && plain(byte)).collect();
        self.plain_space = plain(b' ');
        self.plain[..128].copy_from_slice(&plain_bytes);
        self
    }

    /// SentencePiece's identity normalizer with its default whitespace rules.
    pub fn identity() -> SpmNormalizer {
        SpmNormalizer::new("identity", None, true, true, true)
    }

    pub fn set_user_defined(&mut self, symbols: &[&str]) -> Result<()> {
        let keys: Vec<(&[u8], u32)> = symbols.iter().map(|s| (s.as_bytes(), 0)).collect();
        self.user_defined = if keys.is_empty() { None } else { Some(DoubleArray::build(&keys)?) };
        *self = std::mem::replace(self, SpmNormalizer::identity()).with_plain_bytes();
        Ok(())
    }

    /// The length of the longest user-defined symbol at the start of `input`.
    #[inline]
    pub fn user_defined_prefix(&self, input: &[u8]) -> Option<usize> {
        let trie = self.user_defined.as_ref()?;
        let mut longest = None;
        trie.common_prefixes(input, |len, _| longest = Some(len));
        longest
    }

    /// The normalized form of the start of `input` and how many bytes it consumes.
    #[inline]
    fn prefix<'a>(&'a self, input: &'a [u8]) -> (&'a [u8], usize) {
        if let Some(len) = self.user_defined_prefix(input) {
            return (&input[..len], len);
        }
        if let Some(found) = self.charsmap.as_ref().and_then(|m| m.longest(input)) {
            return found;
        }
        match utf8_len(input) {
            Some(len) => (&input[..len], len),
            None => (REPLACEMENT_CHAR, 1),
        }
    }

    /// Normalizes `input` into `out`. With `origins`, also pushes for every byte of `out`
    /// the offset in `input` it came from, then one more for the end.
    pub fn normalize(&self, mut input: &[u8], out: &mut Vec<u8>, mut origins: Option<&mut Vec<usize>>) {
        let space: &[u8] = if self.escape_whitespaces { SPACE_SYMBOL.as_bytes() } else { b" " };
        let mut consumed = 0;
        if self.remove_extra_whitespaces {
            while !input.is_empty() {
                let (normalized, len) = self.prefix(input);
                if normalized != b" " {
                    break;
                }
                input = &input[len..];
                consumed += len;
            }
        }
        if input.is_empty() {
            if let Some(origins) = origins {
                origins.push(consumed);
            }
            return;
        }
        fn push(out: &mut Vec<u8>, origins: &mut Option<&mut Vec<usize>>, bytes: &[u8], origin: usize) {
            out.extend_from_slice(bytes);
            if let Some(origins) = origins.as_deref_mut() {
                origins.extend(std::iter::repeat_n(origin, bytes.len()));
            }
        }
        if self.add_dummy_prefix {
            push(out, &mut origins, space, consumed);
        }
        let mut prev_space = self.remove_extra_whitespaces;
        while !input.is_empty() {
            let mut run = input.iter().position(|&byte| !self.plain[byte as usize]).unwrap_or(input.len());
            if run > 0 && input.get(run).is_some_and(|&next| next >= 0x80) {
                // The last plain byte may begin a rule with the character after it.
                run -= 1;
            }
            if run > 0 {
                out.extend_from_slice(&input[..run]);
                if let Some(origins) = origins.as_deref_mut() {
                    origins.extend(consumed..consumed + run);
                }
                prev_space = false;
                consumed += run;
                input = &input[run..];
                continue;
            }
            if input[0] == b' ' && self.plain_space && input.get(1).is_none_or(|&next| next < 0x80) {
                if !(prev_space && self.remove_extra_whitespaces) {
                    push(out, &mut origins, space, consumed);
                }
                prev_space = self.remove_extra_whitespaces;
                consumed += 1;
                input = &input[1..];
                continue;
            }
            let (mut normalized, len) = self.prefix(input);
            if prev_space && self.remove_extra_whitespaces {
                while let [b' ', rest @ ..] = normalized {
                    normalized = rest;
                }
            }
            if !normalized.is_empty() {
                for piece in normalized.split_inclusive(|&b| b == b' ') {
                    match piece.split_last() {
                        Some((b' ', head)) if self.escape_whitespaces => {
                            push(out, &mut origins, head, consumed);
                            push(out, &mut origins, space, consumed);
                        }
                        _ => push(out, &mut origins, piece, consumed),
                    }
                }
                prev_space = normalized.last() == Some(&b' ');
            }
            consumed += len;
            input = &input[len..];
            if !self.remove_extra_whitespaces {
                prev_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while out.ends_with(space) {
                out.truncate(out.len() - space.len());
                if let Some(origins) = origins.as_deref_mut() {
                    origins.truncate(out.len() + 1);
                    consumed = origins.pop().expect("one origin per byte");
                }
            }
        }
        if let Some(origins) = origins {
            origins.push(consumed);
        }
    }

    /// The normalized text of `text` (for display and tests).
    pub fn normalize_str(&self, text: &str) -> String {
        let mut out = Vec::with_capacity(text.len() + 3);
        self.normalize(text.as_bytes(), &mut out, None);
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_escapes_and_squeezes_whitespace() {
        let n = SpmNormalizer::identity();
        assert_eq!(n.normalize_str("  hello   world  "), "▁hello▁world");
        assert_eq!(n.normalize_str("   "), "");
        assert_eq!(n.normalize_str(""), "");
        let keep = SpmNormalizer::new("identity", None, true, false, true);
        assert_eq!(keep.normalize_str(" a  b "), "▁▁a▁▁b▁");
    }

    #[test]
    fn origins_point_back_into_the_input() {
        let n = SpmNormalizer::identity();
        let mut out = Vec::new();
        let mut origins = Vec::new();
        n.normalize(b"  ab  c ", &mut out, Some(&mut origins));
        assert_eq!(String::from_utf8(out.clone()).unwrap(), "▁ab▁c");
        assert_eq!(origins.len(), out.len() + 1);
        assert_eq!(origins[..3], [2, 2, 2]);
        assert_eq!(origins[3..5], [2, 3]);
        assert_eq!(origins[out.len() - 1], 6);
        assert_eq!(*origins.last().unwrap(), 7);
    }

    #[test]
    fn invalid_bytes_become_the_replacement_character() {
        let n = SpmNormalizer::new("identity", None, false, false, true);
        let mut out = Vec::new();
        n.normalize(b"a\xffb", &mut out, None);
        assert_eq!(out, "a\u{fffd}b".as_bytes());
    }

    #[test]
    fn user_defined_symbols_are_not_rewritten() {
        let mut n = SpmNormalizer::identity();
        n.set_user_defined(&["a  b"]).unwrap();
        assert_eq!(n.normalize_str("x a  b"), "▁x▁a▁▁b");
    }

    #[test]
    fn a_charsmap_rewrites_by_the_longest_rule() {
        // Rules "ａ" → "a" and "ｂｃ" → "bc" in the precompiled layout.
        let trie = DoubleArray::build(&[("ａ".as_bytes(), 0), ("ｂｃ".as_bytes(), 2)]).unwrap();
        let mut blob = ((trie.units().len() * 4) as u32).to_le_bytes().to_vec();
        for unit in trie.units() {
            blob.extend_from_slice(&unit.to_le_bytes());
        }
        blob.extend_from_slice(b"a\0bc\0");
        let map = CharsMap::from_blob(&blob).unwrap();
        let n = SpmNormalizer::new("nfkc", Some(map), true, true, true);
        assert_eq!(n.normalize_str("ａｂｃｂ"), "▁abcｂ");
        assert!(CharsMap::from_blob(&[1, 0, 0]).is_err());
        assert!(CharsMap::from_blob(&[255, 0, 0, 0, 1]).is_err());
    }
}
