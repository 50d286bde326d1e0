//! Byte-pair encoding of one pre-token with a rank table, as tiktoken defines it: start
//! from single bytes and repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank (the leftmost such pair on ties) until no adjacent pair is a token.
//!
//! Two implementations give the same result:
//! - `merge_scan` keeps the parts in a vector and rescans it after every merge: with n
//!   bytes and m merges that is O(n·m), which on the short pieces of ordinary text is
//!   faster than anything cleverer (no heap, no allocation, one cache line).
//! - `merge_heap` keeps the parts in a linked list and the candidate pairs in a binary
//!   heap keyed by (rank, start): O(n log n) however long the piece, so a 10 MB "word"
//!   costs seconds, not days. Stale heap entries are skipped on pop: a part's pair only
//!   ever grows, and distinct byte strings have distinct ranks, so an entry is current
//!   exactly when its rank equals the part's current pair rank.

use super::vocab::{Rank, Ranks};
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Pieces at least this long go to `merge_heap`. Below it the scan wins (measured on
/// English and random-letter text; see benches/encode.py).
const HEAP_THRESHOLD: usize = 128;

const NONE: Rank = Rank::MAX;

/// Encodes pieces one after another, keeping what can be kept between them: a scratch
/// buffer for the merge, and a cache of the ids of pieces that needed merging. Natural
/// text repeats its words, and a repeated word then costs one hash lookup instead of a
/// merge. Cache keys borrow from the text, so filling it allocates nothing per piece; it
/// lives for one encode call (or one batch) and never changes an id, since merging is a
/// pure function of the piece.
#[derive(Default)]
pub struct PieceEncoder<'t> {
    cache: FxHashMap<&'t [u8], (u32, u32)>,
    cached_ids: Vec<Rank>,
    parts: Vec<Part>,
}

/// The cache is emptied when it holds this many ids, so its memory stays bounded.
const CACHE_MAX_IDS: usize = 1 << 20;

impl<'t> PieceEncoder<'t> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the ids of `piece` to `out`.
    #[inline]
    pub fn encode(&mut self, ranks: &Ranks, piece: &'t [u8], out: &mut Vec<Rank>) {
        if let Some(rank) = ranks.get(piece) {
            out.push(rank);
            return;
        }
        if piece.is_empty() {
            return;
        }
        if let Some(&(start, len)) = self.cache.get(piece) {
            out.extend_from_slice(&self.cached_ids[start as usize..(start + len) as usize]);
            return;
        }
        let first = out.len();
        if piece.len() < HEAP_THRESHOLD {
            merge_scan(ranks, piece, &mut self.parts, out);
        } else {
            merge_heap(ranks, piece, out);
        }
        if self.cached_ids.len() >= CACHE_MAX_IDS {
            self.cache.clear();
            self.cached_ids.clear();
        }
        let start = self.cached_ids.len() as u32;
        self.cached_ids.extend_from_slice(&out[first..]);
        self.cache.insert(piece, (start, (out.len() - first) as u32));
    }
}

/// A part of a piece during `merge_scan`: where it starts, its rank, and the rank of the
/// token it would form with the next part (NONE if none).
#[derive(Clone, Copy)]
pub struct Part {
    start: u32,
    rank: Rank,
    pair: Rank,
}

/// The O(n·m) merge for short pieces; `parts` is scratch space.
pub fn merge_scan(ranks: &Ranks, piece: &[u8], parts: &mut Vec<Part>, out: &mut Vec<Rank>) {
    parts.clear();
    for (i, &byte) in piece.iter().enumerate() {
        let pair = if i + 1 < piece.len() { ranks.get(&piece[i..i + 2]).unwrap_or(NONE) } else { NONE };
        parts.push(Part { start: i as u32, rank: ranks.byte_rank(byte), pair });
    }
    parts.push(Part { start: piece.len() as u32, rank: NONE, pair: NONE });
    // The rank of the token formed by parts k and k+1, with part k+2 (or the end) after.
    let pair_at = |parts: &[Part], k: usize| -> Rank {
        if k + 2 < parts.len() {
            ranks.get(&piece[parts[k].start as usize..parts[k + 2].start as usize]).unwrap_or(NONE)
        } else {
            NONE
        }
    };
    loop {
        let mut best = (NONE, 0);
        for (k, part) in parts.iter().enumerate() {
            if part.pair < best.0 {
                best = (part.pair, k);
            }
        }
        let (rank, k) = best;
        if rank == NONE {
            break;
        }
        // Part k absorbs part k+1; the pairs starting at k-1 and k change.
        parts[k].rank = rank;
        parts.remove(k + 1);
        parts[k].pair = pair_at(parts, k);
        if k > 0 {
            parts[k - 1].pair = pair_at(parts, k - 1);
        }
    }
    out.extend(parts[..parts.len() - 1].iter().map(|p| p.rank));
}

/// The O(n log n) merge for long pieces.
pub fn merge_heap(ranks: &Ranks, piece: &[u8], out: &mut Vec<Rank>) {
    let n = piece.len();
    // Parts are identified by their start byte. `next[s]` is the start of the part after
    // the part at `s` (n for the last); `prev[s]` the one before. `pair[s]` is the rank of
    // the pair formed by part `s` and its successor, NONE if none or if `s` was absorbed.
    let mut next: Vec<u32> = (1..=n as u32).collect();
    let mut prev: Vec<u32> = (0..n as u32).map(|s| s.wrapping_sub(1)).collect();
    let mut pair: Vec<Rank> = vec![NONE; n];
    let mut heap: BinaryHeap<Reverse<(Rank, u32)>> = BinaryHeap::with_capacity(n);
    let rank_of = |start: usize, end: usize| ranks.get(&piece[start..end]).unwrap_or(NONE);
    for s in 0..n - 1 {
        pair[s] = rank_of(s, s + 2);
        if pair[s] != NONE {
            heap.push(Reverse((pair[s], s as u32)));
        }
    }
    while let Some(Reverse((rank, s))) = heap.pop() {
        let s = s as usize;
        if pair[s] != rank {
            continue;
        }
        let absorbed = next[s] as usize;
        let after = next[absorbed] as usize;
        next[s] = after as u32;
        if after < n {
            prev[after] = s as u32;
        }
        pair[absorbed] = NONE;
        pair[s] = if after < n { rank_of(s, next[after] as usize) } else { NONE };
        if pair[s] != NONE {
            heap.push(Reverse((pair[s], s as u32)));
        }
        if s > 0 {
            let before = prev[s] as usize;
            pair[before] = rank_of(before, after);
            if pair[before] != NONE {
                heap.push(Reverse((pair[before], before as u32)));
            }
        }
    }
    let mut s = 0;
    while s < n {
        let end = next[s] as usize;
        out.push(ranks.get(&piece[s..end]).expect("every part is a token"));
        s = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy vocabulary: the 256 bytes, then merges that overlap in every way.
    fn toy_ranks() -> Ranks {
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        for t in ["aa", "ab", "bc", "aaa", "abc", "aaaa", "ca", "bca", "cab", "abca", "aab"] {
            tokens.push(t.as_bytes().to_vec());
        }
        Ranks::from_tokens(tokens.into_iter().enumerate().map(|(r, t)| (t, r as Rank)))
            .unwrap()
    }

    fn scan(ranks: &Ranks, piece: &str) -> Vec<Rank> {
        let mut out = Vec::new();
        merge_scan(ranks, piece.as_bytes(), &mut Vec::new(), &mut out);
        out
    }

    fn heap(ranks: &Ranks, piece: &str) -> Vec<Rank> {
        let mut out = Vec::new();
        merge_heap(ranks, piece.as_bytes(), &mut out);
        out
    }

    #[test]
    fn scan_and_heap_agree_on_every_short_string() {
        let ranks = toy_ranks();
        let alphabet = ['a', 'b', 'c'];
        for len in 2..=9 {
            for code in 0..3usize.pow(len) {
                let piece: String = (0..len)
                    .map(|i| alphabet[code / 3usize.pow(i) % 3])
                    .collect();
                assert_eq!(scan(&ranks, &piece), heap(&ranks, &piece), "{piece}");
            }
        }
    }

    #[test]
    fn merges_the_lowest_rank_leftmost_first() {
        let ranks = toy_ranks();
        let aa = ranks.get(b"aa").unwrap();
        let aaa = ranks.get(b"aaa").unwrap();
        // "aaaaa": a+a at 0 (leftmost), then a+a at 2, then aa+a beats aa+aa (aaa ranks
        // below aaaa), leaving aa|aaa.
        assert_eq!(scan(&ranks, "aaaaa"), vec![aa, aaa]);
        assert_eq!(heap(&ranks, "aaaaa"), vec![aa, aaa]);
        assert_eq!(scan(&ranks, "aaa"), vec![aaa]);
        assert_eq!(heap(&ranks, "aaa"), vec![aaa]);
        // a+a, then aa+b, which is a token too.
        assert_eq!(scan(&ranks, "aab"), vec![ranks.get(b"aab").unwrap()]);
    }

    #[test]
    fn a_long_piece_merges_in_n_log_n() {
        let ranks = toy_ranks();
        let piece = "ab".repeat(1 << 20);
        let mut out = Vec::new();
        PieceEncoder::new().encode(&ranks, piece.as_bytes(), &mut out);
        assert_eq!(out.len(), 1 << 20);
    }
}
