//! The seed vocabulary of Unigram training: every character the coverage keeps, and the
//! most frequent substrings of the words, scored by frequency × length, as SentencePiece
//! seeds it.
//!
//! Substrings come from a suffix array of the distinct words (characters as u32, words
//! joined by 0), each suffix weighted by its word's count, so frequencies are corpus
//! frequencies. Suffixes are compared only up to `max_piece_length` characters and the end
//! of their word, since no longer piece is allowed: a parallel comparison sort, O(n log n)
//! for n characters of distinct words. Adjacent suffixes' common prefix lengths then give
//! the intervals of the (truncated) suffix tree: a stack walk finds every substring shared
//! by two or more word positions, or ending a word, with its weighted frequency, in O(n).

use crate::sentencepiece::normalizer::SPACE_SYMBOL;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use unicode_script::{Script, UnicodeScript};

/// Stands for a character outside the coverage (SentencePiece's U+2585): no piece holds it.
pub const UNKNOWN_CHAR: char = '\u{2585}';
const WORD_END: u32 = 0;

/// What a piece may be.
#[derive(Clone, Debug)]
pub struct PieceRules {
    pub max_piece_length: usize,
    pub split_digits: bool,
}

impl PieceRules {
    /// SentencePiece's rule for a piece: at most `max_piece_length` characters, `▁` only
    /// in front, no unknown or NUL character, one Unicode script (Hiragana and Katakana
    /// count as Han; `▁` has none), and with split_digits a digit only on its own.
    pub fn allows(&self, piece: &[char]) -> bool {
        if piece.is_empty() || piece.len() > self.max_piece_length {
            return false;
        }
        let space = SPACE_SYMBOL.chars().next().expect("one char");
        let mut script: Option<Script> = None;
        for (i, &c) in piece.iter().enumerate() {
            if c == UNKNOWN_CHAR || c == '\0' || c == ' ' {
                return false;
            }
            if c == space {
                if i > 0 {
                    return false;
                }
                continue;
            }
            if self.split_digits && c.is_ascii_digit() && piece.len() > 1 {
                return false;
            }
            let s = match c.script() {
                Script::Hiragana | Script::Katakana => Script::Han,
                _ if c == '\u{30FC}' => Script::Han,
                s => s,
            };
            if script.is_some_and(|previous| previous != s) {
                return false;
            }
            script = Some(s);
        }
        true
    }
}

/// The characters to keep: the most frequent ones until they cover `coverage` of all
/// character occurrences (and at least one), in order of frequency (then code point).
pub fn covered_chars(words: &[(&str, u64)], coverage: f64) -> Vec<(char, u64)> {
    let mut counts: FxHashMap<char, u64> = FxHashMap::default();
    for &(word, count) in words {
        for c in word.chars() {
            *counts.entry(c).or_insert(0) += count;
        }
    }
    let mut chars: Vec<(char, u64)> = counts.into_iter().collect();
    chars.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: u64 = chars.iter().map(|c| c.1).sum();
    let mut kept = 0u64;
    let mut keep = 0;
    for &(_, count) in &chars {
        if keep > 0 && kept as f64 / total as f64 >= coverage {
            break;
        }
        kept += count;
        keep += 1;
    }
    chars.truncate(keep);
    chars
}

/// Seeds: the kept characters (scored by count), then up to `limit` substrings of two or
/// more characters that the rules allow, scored by frequency × length, best first (ties
/// by text). `words` hold only kept characters and `UNKNOWN_CHAR`.
pub fn seed_pieces(
    words: &[(Vec<char>, u64)],
    chars: &[(char, u64)],
    rules: &PieceRules,
    limit: usize,
) -> Vec<(String, f64)> {
    let mut text: Vec<u32> = Vec::new();
    let mut weight: Vec<u64> = Vec::new();
    for (word, count) in words {
        for &c in word {
            text.push(c as u32);
            weight.push(*count);
        }
        text.push(WORD_END);
        weight.push(0);
    }
    let max = rules.max_piece_length;
    // The first `max` characters of the suffix at `i`, cut at the end of its word.
    let head = |i: usize| {
        let end = (i + max).min(text.len());
        let cut = text[i..end].iter().position(|&c| c == WORD_END).map_or(end, |p| i + p);
        &text[i..cut]
    };
    let mut suffixes: Vec<u32> = (0..text.len() as u32).filter(|&i| text[i as usize] != WORD_END).collect();
    suffixes.par_sort_unstable_by(|&a, &b| head(a as usize).cmp(head(b as usize)).then(a.cmp(&b)));
    let common = |a: u32, b: u32| head(a as usize).iter().zip(head(b as usize)).take_while(|(x, y)| x == y).count();
    // Prefix sums of weights in suffix order give any interval's frequency.
    let mut sums = Vec::with_capacity(suffixes.len() + 1);
    sums.push(0u64);
    for &s in &suffixes {
        sums.push(sums.last().expect("non-empty") + weight[s as usize]);
    }
    let mut found: Vec<(u32, usize, u64)> = Vec::new(); // (a suffix, length, frequency)
    let mut offer = |suffix: u32, len: usize, freq: u64| {
        if len >= 2 {
            found.push((suffix, len, freq));
        }
    };
    // Intervals of suffixes sharing a prefix: (prefix length, first suffix index).
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    for k in 0..=suffixes.len() {
        let lcp = if k == 0 || k == suffixes.len() { 0 } else { common(suffixes[k - 1], suffixes[k]) };
        // The suffix just left (k - 1) is a leaf: its whole head, if its word occurs more
        // than once, is a repeat (in running text it would be followed by different words).
        if k > 0 && weight[suffixes[k - 1] as usize] >= 2 {
            let own = head(suffixes[k - 1] as usize).len();
            let before = if k >= 2 { common(suffixes[k - 2], suffixes[k - 1]) } else { 0 };
            if own > lcp.max(before) {
                offer(suffixes[k - 1], own, weight[suffixes[k - 1] as usize]);
            }
        }
        let mut start = k.saturating_sub(1);
        while stack.last().is_some_and(|&(depth, _)| depth > lcp) {
            let (depth, first) = stack.pop().expect("checked");
            offer(suffixes[first], depth, sums[k] - sums[first]);
            start = first;
        }
        if stack.last().is_some_and(|&(depth, _)| depth < lcp) {
            stack.push((lcp, start));
        }
    }
    // Candidates stay (suffix, length, score) until the best are chosen: millions of
    // them, so no string is made for one that is not kept.
    let piece = |s: u32, len: usize| &text[s as usize..s as usize + len];
    let mut scored: Vec<(u32, usize, u64)> = found
        .into_par_iter()
        .filter(|&(suffix, len, _)| {
            let chars: Vec<char> = piece(suffix, len).iter().map(|&c| char::from_u32(c).expect("chars")).collect();
            rules.allows(&chars)
        })
        .map(|(suffix, len, freq)| (suffix, len, freq * len as u64))
        .collect();
    scored.par_sort_unstable_by(|a, b| b.2.cmp(&a.2).then_with(|| piece(a.0, a.1).cmp(piece(b.0, b.1))));
    scored.truncate(limit);
    let mut seeds: Vec<(String, f64)> = chars.iter().map(|&(c, n)| (c.to_string(), n as f64)).collect();
    seeds.extend(scored.into_iter().map(|(suffix, len, score)| {
        (piece(suffix, len).iter().map(|&c| char::from_u32(c).expect("chars")).collect(), score as f64)
    }));
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PieceRules {
        PieceRules { max_piece_length: 16, split_digits: false }
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn pieces_follow_sentencepiece_rules() {
        let r = rules();
        assert!(r.allows(&chars("▁the")));
        assert!(r.allows(&chars("▁,")));
        assert!(r.allows(&chars("1999")));
        assert!(!r.allows(&chars("the▁")));
        assert!(!r.allows(&chars("o,")));
        assert!(!r.allows(&chars("a\u{2585}")));
        assert!(r.allows(&chars("ひらがなカタカナ漢字")));
        let digits = PieceRules { split_digits: true, ..rules() };
        assert!(!digits.allows(&chars("19")));
        assert!(digits.allows(&chars("9")));
    }

    #[test]
    fn coverage_keeps_the_frequent_characters() {
        let words = [("aab", 10), ("c", 1)];
        let kept = covered_chars(&words, 0.9);
        assert_eq!(kept, vec![('a', 20), ('b', 10)]);
        assert_eq!(covered_chars(&words, 1.0).len(), 3);
    }

    #[test]
    fn seeds_are_frequent_substrings_with_corpus_frequencies() {
        let words = vec![(chars("▁abc"), 5), (chars("▁abd"), 2), (chars("▁xyz"), 2)];
        let seeds = seed_pieces(&words, &[], &rules(), 100);
        let get = |p: &str| seeds.iter().find(|s| s.0 == p).map(|s| s.1);
        // "▁ab" occurs 7 times: 7 × 3.
        assert_eq!(get("▁ab"), Some(21.0));
        // Whole words are seeds too, weighted by their count.
        assert_eq!(get("▁abc"), Some(20.0));
        assert_eq!(get("▁xyz"), Some(8.0));
        assert_eq!(get("bc"), Some(10.0));
        // Best first.
        assert_eq!(seeds[0].0, "▁ab");
    }
}
