//! Byte-pair encoding of one pre-token with a rank table, as tiktoken defines it: start
//! from single bytes and repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank (the leftmost such pair on ties) until no adjacent pair is a token.
//!
//! Two implementations give the same result:
//! - `merge_scan` keeps the parts in a vector and rescans it after every merge: with n
//!   bytes and m merges that is O(n·m), which on the short pieces of ordinary text is
//!   faster than anything cleverer (no heap, no allocation, one cache line).
//! - `merge_long` keeps the parts in a linked list and the candidate pairs in a priority
//!   queue keyed by (rank, start) (see `queue.rs`): O(n) in the usual case and O(n log n)
//!   at worst however long the piece, so a 10 MB "word" costs a fraction of a second, not
//!   days. Stale queue entries are skipped on pop: a part's pair only ever grows, and
//!   distinct byte strings have distinct ranks, so an entry is current exactly when its
//!   rank equals the part's current pair rank.

use super::queue::RankQueue;
use std::cell::RefCell;
use super::vocab::{Rank, Ranks};
use rustc_hash::FxHashMap;

/// Pieces at least this long go to `merge_long`. Below it the scan wins (measured on
/// English and random-letter text; see benches/encode.py).
const LONG_PIECE: usize = 128;

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
        if piece.len() < LONG_PIECE {
            merge_scan(ranks, piece, &mut self.parts, out);
        } else {
            merge_long(ranks, piece, out);
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

/// One part of a long piece, identified by its start byte. The fields sit together
/// because the queue visits parts in rank order, all over the piece: one cache miss per
/// part instead of three. (A part's own rank is looked up again at the end rather than
/// stored: 12 bytes per input byte instead of 16 saves more time than the lookups cost.)
#[derive(Clone, Copy)]
struct Node {
    /// The start of the next part (n for the last).
    next: u32,
    /// The start of the previous part.
    prev: u32,
    /// The rank of this part joined with the next; NONE if none, or if this part was absorbed.
    pair: Rank,
}

/// How many queue entries ahead `merge_long` prefetches.
const PREFETCH_AHEAD: usize = 8;

#[inline(always)]
fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it cannot fault, and the pointer is a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch(item as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
}

thread_local! {
    /// The queue's buckets are as many as the vocabulary's ranks: allocated once per thread
    /// rather than once per long piece.
    static QUEUE: RefCell<RankQueue> = RefCell::new(RankQueue::default());
}

/// The merge for long pieces.
pub fn merge_long(ranks: &Ranks, piece: &[u8], out: &mut Vec<Rank>) {
    QUEUE.with(|queue| merge_long_with(ranks, piece, &mut queue.borrow_mut(), out))
}

fn merge_long_with(ranks: &Ranks, piece: &[u8], queue: &mut RankQueue, out: &mut Vec<Rank>) {
    let n = piece.len();
    let rank_of = |start: usize, end: usize| ranks.get(&piece[start..end]).unwrap_or(NONE);
    let mut nodes: Vec<Node> = (0..n)
        .map(|s| Node {
            next: s as u32 + 1,
            prev: (s as u32).wrapping_sub(1),
            pair: if s + 1 < n { rank_of(s, s + 2) } else { NONE },
        })
        .collect();
    queue.reset(ranks.rank_bound());
    for (s, node) in nodes.iter().enumerate() {
        if node.pair != NONE {
            queue.push(node.pair, s as u32);
        }
    }
    while let Some((merged, s)) = queue.pop() {
        if let Some(soon) = queue.upcoming(PREFETCH_AHEAD) {
            prefetch(&nodes[soon as usize]);
        }
        let s = s as usize;
        if nodes[s].pair != merged {
            continue;
        }
        let absorbed = nodes[s].next as usize;
        let after = nodes[absorbed].next as usize;
        nodes[absorbed].pair = NONE;
        let pair = if after < n { rank_of(s, nodes[after].next as usize) } else { NONE };
        nodes[s].next = after as u32;
        nodes[s].pair = pair;
        if after < n {
            nodes[after].prev = s as u32;
        }
        if pair != NONE {
            queue.push(pair, s as u32);
        }
        if s > 0 {
            let before = nodes[s].prev as usize;
            let pair = rank_of(before, after);
            nodes[before].pair = pair;
            if pair != NONE {
                queue.push(pair, before as u32);
            }
        }
    }
    let mut s = 0;
    while s < n {
        let end = nodes[s].next as usize;
        out.push(rank_of(s, end));
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

    fn long(ranks: &Ranks, piece: &str) -> Vec<Rank> {
        let mut out = Vec::new();
        merge_long(ranks, piece.as_bytes(), &mut out);
        out
    }

    #[test]
    fn scan_and_long_merges_agree_on_every_short_string() {
        let ranks = toy_ranks();
        let alphabet = ['a', 'b', 'c'];
        for len in 2..=9 {
            for code in 0..3usize.pow(len) {
                let piece: String = (0..len)
                    .map(|i| alphabet[code / 3usize.pow(i) % 3])
                    .collect();
                assert_eq!(scan(&ranks, &piece), long(&ranks, &piece), "{piece}");
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
        assert_eq!(long(&ranks, "aaaaa"), vec![aa, aaa]);
        assert_eq!(scan(&ranks, "aaa"), vec![aaa]);
        assert_eq!(long(&ranks, "aaa"), vec![aaa]);
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
