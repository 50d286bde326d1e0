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
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Pieces at least this long go to `merge_heap`. Below it the scan wins (measured on
/// English and random-letter text; see benches/encode.py).
const HEAP_THRESHOLD: usize = 128;

const NONE: Rank = Rank::MAX;

/// Appends the ids of `piece` to `out`.
#[inline]
pub fn encode_piece(ranks: &Ranks, piece: &[u8], out: &mut Vec<Rank>) {
    match piece.len() {
        0 => {}
        1 => out.push(ranks.byte_rank(piece[0])),
        _ => {
            if let Some(rank) = ranks.get(piece) {
                out.push(rank);
            } else if piece.len() < HEAP_THRESHOLD {
                merge_scan(ranks, piece, out);
            } else {
                merge_heap(ranks, piece, out);
            }
        }
    }
}

/// The O(n·m) merge for short pieces.
///
/// `parts[k] = (start, rank of the pair formed by part k and part k+1)`, with a final
/// sentinel part at `piece.len()`.
pub fn merge_scan(ranks: &Ranks, piece: &[u8], out: &mut Vec<Rank>) {
    let pair_rank = |parts: &[(usize, Rank)], k: usize| -> Rank {
        if k + 2 < parts.len() {
            ranks.get(&piece[parts[k].0..parts[k + 2].0]).unwrap_or(NONE)
        } else {
            NONE
        }
    };
    let mut parts: Vec<(usize, Rank)> = Vec::with_capacity(piece.len() + 1);
    for start in 0..=piece.len() {
        parts.push((start, NONE));
    }
    for k in 0..piece.len() - 1 {
        parts[k].1 = ranks.get(&piece[k..k + 2]).unwrap_or(NONE);
    }
    loop {
        let mut best = (NONE, 0);
        for (k, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < best.0 {
                best = (rank, k);
            }
        }
        let (rank, k) = best;
        if rank == NONE {
            break;
        }
        // Part k absorbs part k+1; the pairs starting at k-1 and k change.
        parts.remove(k + 1);
        parts[k].1 = pair_rank(&parts, k);
        if k > 0 {
            parts[k - 1].1 = pair_rank(&parts, k - 1);
        }
    }
    for window in parts.windows(2) {
        out.push(ranks.get(&piece[window[0].0..window[1].0]).expect("every part is a token"));
    }
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
        merge_scan(ranks, piece.as_bytes(), &mut out);
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
        encode_piece(&ranks, piece.as_bytes(), &mut out);
        assert_eq!(out.len(), 1 << 20);
    }
}
