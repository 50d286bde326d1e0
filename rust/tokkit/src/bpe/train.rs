//! Training a BPE vocabulary from pre-token counts.
//!
//! Words are the distinct pre-tokens, each a sequence of symbol ids with a count. The
//! trainer keeps, for every adjacent pair of symbols, its total count and the words it
//! occurs in, and a priority queue of pairs. Each merge takes the best pair, rewrites only
//! the words that contain it (compacting each in place: no `Vec::insert`, no rescan of
//! all words), and updates the counts of just the pairs around each rewrite. With W words
//! touched per merge that is O(W·L) per merge for words of length L, against O(N) for a
//! rescan of all N words.
//!
//! The best pair is the one with the highest count; ties go to the pair whose (left bytes,
//! right bytes) is smallest, a total order, so the same counts give the same merges
//! whatever the thread count or hash seeds. Counts are u64.
//!
//! Queue entries are not updated when a pair's count changes; a new entry is pushed and
//! the old one is recognised as stale when popped (its count no longer matches).

use super::merge_list::MergeList;
use super::vocab::Ranks;
use crate::corpus::counts::{empty_corpus, PreTokenCounts};
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use std::cmp::Ordering;

/// What merge training is asked for: byte-level BPE's, and the merges of WordPiece and of
/// character-level BPE (`pipeline::train`).
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// Tokens in the final vocabulary, special tokens included.
    pub vocab_size: usize,
    /// Pairs seen fewer times than this are never merged.
    pub min_frequency: u64,
    /// Tokens longer than this many bytes are never made.
    pub max_token_length: Option<usize>,
    /// How many other tokens (special tokens, byte-fallback tokens ...) the vocabulary will
    /// have besides the trained ones: they take vocabulary room.
    pub special_tokens: usize,
    /// WordPiece's continuation mark ("##"): symbols after the first of a word carry it,
    /// and a merge drops it from its right part ("un" + "##able" → "unable").
    pub continuing_subword_prefix: Option<Vec<u8>>,
}

/// The outcome: tokens by id (bytes) and the merges that made them, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    pub tokens: Vec<Vec<u8>>,
    pub merges: Vec<(u32, u32)>,
}

impl Trained {
    /// The merge-list model (ids = positions in `tokens`).
    pub fn into_model(self) -> Result<MergeList> {
        let ranks = Ranks::from_tokens(self.tokens.into_iter().enumerate().map(|(id, t)| (t, id as u32)))?;
        MergeList::new(ranks, self.merges, false)
    }
}

#[inline(always)]
pub(super) fn key(left: u32, right: u32) -> u64 {
    (left as u64) << 32 | right as u64
}

#[inline(always)]
pub(super) fn unkey(pair: u64) -> (u32, u32) {
    ((pair >> 32) as u32, pair as u32)
}

/// Words stored end to end: word i is `symbols[start[i]..start[i] + len[i]]`, and shrinks
/// in place as merges join its symbols.
#[derive(Default)]
pub(super) struct Words {
    pub(super) symbols: Vec<u32>,
    pub(super) start: Vec<u32>,
    pub(super) len: Vec<u32>,
    pub(super) count: Vec<u64>,
}

impl Words {
    pub(super) fn push(&mut self, symbols: &[u32], count: u64) {
        self.start.push(self.symbols.len() as u32);
        self.len.push(symbols.len() as u32);
        self.count.push(count);
        self.symbols.extend_from_slice(symbols);
    }
}

/// A max-heap of (count, pair) ordered by count, then by the pair's bytes (smaller first),
/// which needs the token table to compare; hence not `std::collections::BinaryHeap`.
pub(super) struct PairQueue {
    pub(super) entries: Vec<(u64, u64)>,
}

impl PairQueue {
    /// True when `a` should come out before `b`.
    #[inline]
    fn before(tokens: &[Vec<u8>], a: (u64, u64), b: (u64, u64)) -> bool {
        match a.0.cmp(&b.0) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => {
                let (al, ar) = unkey(a.1);
                let (bl, br) = unkey(b.1);
                (&tokens[al as usize], &tokens[ar as usize]) < (&tokens[bl as usize], &tokens[br as usize])
            }
        }
    }

    pub(super) fn push(&mut self, tokens: &[Vec<u8>], entry: (u64, u64)) {
        self.entries.push(entry);
        let mut i = self.entries.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if !Self::before(tokens, self.entries[i], self.entries[parent]) {
                break;
            }
            self.entries.swap(i, parent);
            i = parent;
        }
    }

    pub(super) fn pop(&mut self, tokens: &[Vec<u8>]) -> Option<(u64, u64)> {
        let last = self.entries.pop()?;
        if self.entries.is_empty() {
            return Some(last);
        }
        let top = std::mem::replace(&mut self.entries[0], last);
        let n = self.entries.len();
        let mut i = 0;
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut best = i;
            if l < n && Self::before(tokens, self.entries[l], self.entries[best]) {
                best = l;
            }
            if r < n && Self::before(tokens, self.entries[r], self.entries[best]) {
                best = r;
            }
            if best == i {
                break;
            }
            self.entries.swap(i, best);
            i = best;
        }
        Some(top)
    }
}

/// Trains byte-level BPE: the initial symbols of every pre-token are its bytes (ids 0 to
/// 255 by byte value), and merged tokens take ids from 256 in merge order.
pub fn train_byte_level(
    counts: &PreTokenCounts,
    options: &MergeOptions,
    progress: &mut dyn FnMut(usize) -> Result<()>,
) -> Result<Trained> {
    let alphabet = single_byte_tokens(options)?;
    if counts.is_empty() {
        return Err(empty_corpus());
    }
    let words = counts.sorted();
    train(alphabet, words.iter().map(|&(piece, count)| (piece.bytes().map(u32::from).collect(), count)), options, progress)
}

/// The 256 one-byte tokens (id = byte value), once `options` leaves room for them.
pub(super) fn single_byte_tokens(options: &MergeOptions) -> Result<Vec<Vec<u8>>> {
    let minimum = 256 + options.special_tokens;
    if options.vocab_size < minimum {
        return Err(Error::InvalidArgument(format!(
            "vocab_size {} is too small: the 256 byte tokens and {} special tokens need at least {minimum}",
            options.vocab_size, options.special_tokens
        )));
    }
    Ok((0..=255u8).map(|b| vec![b]).collect())
}

/// Trains merges over words of initial symbols (ids into `alphabet`, whose entries are the
/// symbols' bytes).
pub fn train(
    alphabet: Vec<Vec<u8>>,
    words: impl Iterator<Item = (Vec<u32>, u64)>,
    options: &MergeOptions,
    progress: &mut dyn FnMut(usize) -> Result<()>,
) -> Result<Trained> {
    let mut tokens = alphabet;
    let target = options.vocab_size.saturating_sub(options.special_tokens);
    let mut words_store = Words::default();
    for (symbols, count) in words {
        words_store.push(&symbols, count);
    }
    let words = &mut words_store;

    let mut pair_counts: FxHashMap<u64, u64> = FxHashMap::default();
    let mut where_found: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for w in 0..words.len.len() {
        let (start, len) = (words.start[w] as usize, words.len[w] as usize);
        for i in start..start + len.saturating_sub(1) {
            let pair = key(words.symbols[i], words.symbols[i + 1]);
            *pair_counts.entry(pair).or_insert(0) += words.count[w];
            let found = where_found.entry(pair).or_default();
            if found.last() != Some(&(w as u32)) {
                found.push(w as u32);
            }
        }
    }
    let mut queue = PairQueue { entries: Vec::with_capacity(pair_counts.len()) };
    let mut initial: Vec<(u64, u64)> = pair_counts.iter().map(|(&pair, &count)| (count, pair)).collect();
    initial.sort_unstable();
    for entry in initial {
        queue.push(&tokens, entry);
    }

    let mut merges = Vec::new();
    // A merge can make a token that exists already (a+bc after ab+c): it then reuses the
    // token's id, as HF's trainer does, and only the merge list grows.
    let mut ids: FxHashMap<Vec<u8>, u32> = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
    let mut visited = vec![u32::MAX; words.len.len()];
    let mut deltas: FxHashMap<u64, i64> = FxHashMap::default();
    while tokens.len() < target {
        let Some((count, pair)) = queue.pop(&tokens) else { break };
        if pair_counts.get(&pair) != Some(&count) {
            continue; // stale: the pair's count changed after this entry was pushed
        }
        if count < options.min_frequency.max(1) {
            break;
        }
        let (left, right) = unkey(pair);
        let right_part = tokens[right as usize].as_slice();
        let right_part = match &options.continuing_subword_prefix {
            Some(prefix) => right_part.strip_prefix(prefix.as_slice()).unwrap_or(right_part),
            None => right_part,
        };
        let bytes = [tokens[left as usize].as_slice(), right_part].concat();
        if options.max_token_length.is_some_and(|max| bytes.len() > max) {
            pair_counts.remove(&pair);
            continue;
        }
        let new_id = *ids.entry(bytes).or_insert_with_key(|bytes| {
            tokens.push(bytes.clone());
            tokens.len() as u32 - 1
        });
        merges.push((left, right));
        let stamp = merges.len() as u32;

        deltas.clear();
        for w in where_found.remove(&pair).unwrap_or_default() {
            if visited[w as usize] == stamp {
                continue;
            }
            visited[w as usize] = stamp;
            merge_word(words, w as usize, left, right, new_id, &mut deltas, &mut where_found);
        }
        pair_counts.remove(&pair);
        let mut changed: Vec<(u64, i64)> = deltas.iter().map(|(&p, &d)| (p, d)).collect();
        changed.sort_unstable();
        for (changed_pair, delta) in changed {
            if changed_pair == pair || delta == 0 {
                continue;
            }
            let entry = pair_counts.entry(changed_pair).or_insert(0);
            *entry = (*entry as i64 + delta) as u64;
            if *entry == 0 {
                pair_counts.remove(&changed_pair);
            } else {
                queue.push(&tokens, (*entry, changed_pair));
            }
        }
        if merges.len() % 64 == 0 {
            progress(merges.len())?;
        }
    }
    progress(merges.len())?;
    Ok(Trained { tokens, merges })
}

/// Joins every (left, right) in word `w` into `new_id`, left to right, recording how the
/// counts of the pairs around each join change.
pub(super) fn merge_word(
    words: &mut Words,
    w: usize,
    left: u32,
    right: u32,
    new_id: u32,
    deltas: &mut FxHashMap<u64, i64>,
    where_found: &mut FxHashMap<u64, Vec<u32>>,
) {
    let count = words.count[w] as i64;
    let start = words.start[w] as usize;
    let len = words.len[w] as usize;
    let symbols = &mut words.symbols[start..start + len];
    let (mut read, mut write) = (0, 0);
    while read < len {
        if read + 1 < len && symbols[read] == left && symbols[read + 1] == right {
            if write > 0 {
                let before = symbols[write - 1];
                *deltas.entry(key(before, left)).or_insert(0) -= count;
                *deltas.entry(key(before, new_id)).or_insert(0) += count;
                note(where_found, key(before, new_id), w);
            }
            if read + 2 < len {
                let after = symbols[read + 2];
                *deltas.entry(key(right, after)).or_insert(0) -= count;
                *deltas.entry(key(new_id, after)).or_insert(0) += count;
                note(where_found, key(new_id, after), w);
            }
            symbols[write] = new_id;
            read += 2;
        } else {
            symbols[write] = symbols[read];
            read += 1;
        }
        write += 1;
    }
    words.len[w] = write as u32;
}

#[inline]
pub(super) fn note(where_found: &mut FxHashMap<u64, Vec<u32>>, pair: u64, w: usize) {
    let found = where_found.entry(pair).or_default();
    if found.last() != Some(&(w as u32)) {
        found.push(w as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(items: &[(&str, u64)]) -> PreTokenCounts {
        let mut c = PreTokenCounts::new();
        for &(piece, n) in items {
            c.add(piece, n);
        }
        c
    }

    fn options(vocab_size: usize) -> MergeOptions {
        MergeOptions { vocab_size, min_frequency: 1, max_token_length: None, special_tokens: 0, continuing_subword_prefix: None }
    }

    fn merged_strings(trained: &Trained) -> Vec<String> {
        trained.tokens[256..].iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect()
    }

    #[test]
    fn merges_the_most_frequent_pair_first() {
        // "ab" occurs 5+3 times, "bc" 3, "ca" 0 (pairs do not cross words).
        let trained = train_byte_level(&counts(&[("ab", 5), ("abc", 3)]), &options(258), &mut |_| Ok(())).unwrap();
        assert_eq!(merged_strings(&trained), ["ab", "abc"]);
        assert_eq!(trained.merges, vec![(97, 98), (256, 99)]);
    }

    #[test]
    fn ties_break_on_the_pairs_bytes() {
        // "xy" and "ab" both occur 4 times: "ab" < "xy".
        let trained = train_byte_level(&counts(&[("xy", 4), ("ab", 4)]), &options(257), &mut |_| Ok(())).unwrap();
        assert_eq!(merged_strings(&trained), ["ab"]);
    }

    #[test]
    fn overlapping_pairs_are_counted_and_merged_left_to_right() {
        // "aaaa": pairs aa,aa,aa (3 per word); after merging aa -> [aa, aa], then aaaa.
        let trained = train_byte_level(&counts(&[("aaaa", 2)]), &options(258), &mut |_| Ok(())).unwrap();
        assert_eq!(merged_strings(&trained), ["aa", "aaaa"]);
    }

    #[test]
    fn min_frequency_and_max_token_length_stop_merges() {
        let c = counts(&[("abcd", 1), ("ab", 3)]);
        let o = MergeOptions { vocab_size: 300, min_frequency: 2, max_token_length: None, special_tokens: 0, continuing_subword_prefix: None };
        assert_eq!(merged_strings(&train_byte_level(&c, &o, &mut |_| Ok(())).unwrap()), ["ab"]);
        let o = MergeOptions { vocab_size: 300, min_frequency: 1, max_token_length: Some(2), special_tokens: 0, continuing_subword_prefix: None };
        let trained = train_byte_level(&c, &o, &mut |_| Ok(())).unwrap();
        assert!(trained.tokens.iter().all(|t| t.len() <= 2));
    }

    #[test]
    fn too_small_a_vocabulary_or_no_text_is_an_error() {
        assert!(train_byte_level(&counts(&[("ab", 1)]), &options(100), &mut |_| Ok(())).is_err());
        assert!(matches!(
            train_byte_level(&PreTokenCounts::new(), &options(300), &mut |_| Ok(())),
            Err(Error::EmptyCorpus(_))
        ));
    }

    #[test]
    fn an_interrupt_from_progress_stops_training() {
        let many: Vec<(String, u64)> = (0..2000).map(|i| (format!("w{i}x{}", i * 7), 2)).collect();
        let mut c = PreTokenCounts::new();
        for (w, n) in &many {
            c.add(w, *n);
        }
        let result = train_byte_level(&c, &options(2000), &mut |_| Err(Error::Interrupted));
        assert_eq!(result, Err(Error::Interrupted));
    }
}
