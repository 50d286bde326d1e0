//! Byte-pair encoding of one pre-token: start from its initial parts (its bytes, or for a
//! character-level model its characters) and repeatedly join the adjacent pair with the
//! lowest priority (the leftmost on ties) until no adjacent pair can join. A `MergeRule`
//! says what the initial parts are, which pairs join, into what, and how urgently:
//! tiktoken's rule (any two parts whose concatenation is a token, priority = the token's
//! rank; `vocab.rs`) or a merge list's (only listed pairs, priority = position in the list;
//! `merge_list.rs`, and the character-level BPE of `pipeline/bpe.rs`).
//!
//! Two implementations give the same result:
//! - `merge_scan` keeps the parts in a vector and rescans it after every merge: with n
//!   parts and m merges that is O(n·m), which on the short pieces of ordinary text is
//!   faster than anything cleverer (no heap, no allocation, one cache line).
//! - `merge_long` links the parts through a bitset of their starts (a neighbour is a bit
//!   scan away) and keeps the candidate pairs in a priority queue keyed by (priority,
//!   start) (see `queue.rs`): O(n) in the usual case and
//!   O(n log n) at worst however long the piece, so a 10 MB "word" costs a fraction of a
//!   second, not days. Stale queue entries are skipped on pop: a part's pair only ever
//!   grows, and distinct pairs have distinct priorities, so an entry is current exactly
//!   when its priority equals the part's current pair priority.
//!
//! A rule may take long pieces a faster way to the same result (`merge_long_piece`):
//! tiktoken's rank table walks them left to right with backtracking (`backtrack.rs`).
//!
//! Parts are identified by where they start. For byte parts that is the byte index, so the
//! long merge indexes its nodes by byte and needs no table of starts; character parts carry
//! their starts in a side table (`MergeRule::BYTE_PARTS` picks, at compile time).

use super::queue::RankQueue;
use crate::piece_cache::{PieceCache, CACHE_MAX_PIECE};
use crate::prefetch::prefetch;
use std::cell::RefCell;

/// Pieces at least this long go to the rule's `merge_long_piece` (the priority-queue merge
/// or the backtracking walk). Below it the scan wins (measured against the priority queue
/// on English and random-letter text; see benches/encode.py).
const LONG_PIECE: usize = 128;

/// Nothing there: a priority, id or slot that never occurs.
pub const ABSENT: u32 = u32::MAX;

/// Which adjacent parts of a piece join, into which token, with which priority.
pub trait MergeRule {
    /// True when the initial parts are exactly the piece's bytes, part k starting at byte k.
    const BYTE_PARTS: bool = true;

    /// Calls `part(start, id)` for each initial part of `piece`, in order, and returns where
    /// the last one ends. Starts are in the rule's own coordinates: byte offsets, except
    /// that a rule which drops characters it cannot represent (as HF's BPE does without an
    /// unknown token) counts only the bytes it keeps.
    fn initial_parts(&self, piece: &[u8], part: impl FnMut(u32, u32)) -> u32;

    /// The priority with which the part `piece[start..mid]` (id `left`) and the part
    /// `piece[mid..end]` (id `right`) join, or None if they do not join.
    fn join(&self, piece: &[u8], start: usize, mid: usize, end: usize, left: u32, right: u32) -> Option<u32>;

    /// The id of the token a join of this priority makes.
    fn joined_id(&self, priority: u32) -> u32;

    /// The id of the whole piece when the rule takes a piece that is a token as that token
    /// without merging (tiktoken does; a merge list does only if asked).
    fn whole(&self, piece: &[u8]) -> Option<u32>;

    /// `whole(&text[start..end])`; a rule may find it faster knowing the text around.
    #[inline(always)]
    fn whole_in(&self, text: &[u8], start: usize, end: usize) -> Option<u32> {
        self.whole(&text[start..end])
    }

    /// `whole_in` for consecutive pieces, the first starting at `start` and each ending at
    /// the next of `ends`, into `ids` (ABSENT where a piece is not taken whole). A rule may
    /// look them up faster together than one at a time.
    #[inline(always)]
    fn whole_batch(&self, text: &[u8], mut start: usize, ends: &[usize], ids: &mut [u32]) {
        for (&end, id) in ends.iter().zip(ids) {
            *id = self.whole_in(text, start, end).unwrap_or(ABSENT);
            start = end;
        }
    }

    /// One past the largest priority.
    fn priority_bound(&self) -> usize;

    /// Appends the merge of a long piece to `out`: the priority-queue merge, unless the rule
    /// knows a faster way to the same result.
    fn merge_long_piece(&self, piece: &[u8], out: &mut Vec<u32>)
    where
        Self: Sized,
    {
        merge_long(self, piece, out);
    }
}

/// Encodes pieces one after another, keeping what can be kept between them: a scratch
/// buffer for the merge, and the ids of pieces that needed merging (`PieceCache`). A
/// tokenizer keeps one per thread across calls (see `ByteLevelBpe::with_encoder`), so a
/// word merged once, in this text or an earlier one, then costs one lookup. The cache
/// never changes an id, since merging is a pure function of the piece.
#[derive(Default)]
pub struct PieceEncoder {
    cache: PieceCache,
    parts: Vec<Part>,
}

impl PieceEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cache(&self) -> &PieceCache {
        &self.cache
    }

    /// Appends the ids of `piece` to `out`.
    #[inline]
    pub fn encode<R: MergeRule>(&mut self, rule: &R, piece: &[u8], out: &mut Vec<u32>) {
        match rule.whole(piece) {
            Some(id) => out.push(id),
            None => self.merge(rule, piece, out),
        }
    }

    /// Appends the ids of the piece `text[start..end]` to `out`.
    #[inline(always)]
    pub fn encode_in<R: MergeRule>(&mut self, rule: &R, text: &[u8], start: usize, end: usize, out: &mut Vec<u32>) {
        match rule.whole_in(text, start, end) {
            Some(id) => out.push(id),
            None => self.merge(rule, &text[start..end], out),
        }
    }

    /// Appends the ids of consecutive pieces of `text`, the first starting at `start` and
    /// each ending at the next of `ends` (at most `pretokenize::BATCH` of them).
    #[inline(always)]
    pub fn encode_batch<R: MergeRule>(&mut self, rule: &R, text: &[u8], mut start: usize, ends: &[usize], out: &mut Vec<u32>) {
        let mut ids = [ABSENT; crate::pretokenize::BATCH];
        let ids = &mut ids[..ends.len()];
        rule.whole_batch(text, start, ends, ids);
        out.reserve(ends.len());
        for (&end, &id) in ends.iter().zip(ids.iter()) {
            if id != ABSENT {
                out.push(id);
            } else {
                self.merge(rule, &text[start..end], out);
            }
            start = end;
        }
    }

    /// Appends the ids of a piece that is not taken whole.
    #[inline(never)]
    fn merge<R: MergeRule>(&mut self, rule: &R, piece: &[u8], out: &mut Vec<u32>) {
        match piece.len() {
            0 => return,
            1 if R::BYTE_PARTS => {
                rule.initial_parts(piece, |_, id| out.push(id));
                return;
            }
            _ => {}
        }
        if piece.len() > CACHE_MAX_PIECE {
            rule.merge_long_piece(piece, out);
            return;
        }
        if let Some((ids, _)) = self.cache.get(piece) {
            out.extend_from_slice(ids);
            return;
        }
        let first = out.len();
        if piece.len() < LONG_PIECE {
            merge_scan(rule, piece, &mut self.parts, out);
        } else {
            rule.merge_long_piece(piece, out);
        }
        self.cache.put(piece, &out[first..], &[]);
    }
}

/// A part of a piece during `merge_scan`: where it starts, its id, and the priority of
/// its join with the next part (ABSENT if none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    pub start: u32,
    pub id: u32,
    pair: u32,
}

/// The O(n·m) merge for short pieces; `parts` is scratch space.
pub fn merge_scan(rule: &impl MergeRule, piece: &[u8], parts: &mut Vec<Part>, out: &mut Vec<u32>) {
    scan_parts(rule, piece, parts);
    out.extend(parts[..parts.len() - 1].iter().map(|p| p.id));
}

/// The O(n·m) merge, leaving the final parts in `parts`, followed by a part whose start is
/// where the last one ends (and whose id is ABSENT).
pub fn scan_parts(rule: &impl MergeRule, piece: &[u8], parts: &mut Vec<Part>) {
    scan_parts_until(rule, piece, parts, 1);
}

/// `scan_parts`, stopping early once only `fewest` parts are left.
pub fn scan_parts_until(rule: &impl MergeRule, piece: &[u8], parts: &mut Vec<Part>, fewest: usize) {
    parts.clear();
    let end = rule.initial_parts(piece, |start, id| parts.push(Part { start, id, pair: ABSENT }));
    parts.push(Part { start: end, id: ABSENT, pair: ABSENT });
    // Sets the pair of parts k and k+1 (part k+2, or the end, follows them).
    let set_pair = |parts: &mut [Part], k: usize| {
        parts[k].pair = if k + 2 < parts.len() {
            let (a, b, c) = (parts[k].start as usize, parts[k + 1].start as usize, parts[k + 2].start as usize);
            rule.join(piece, a, b, c, parts[k].id, parts[k + 1].id).unwrap_or(ABSENT)
        } else {
            ABSENT
        };
    };
    for k in 0..parts.len().saturating_sub(2) {
        set_pair(parts, k);
    }
    while parts.len() > fewest + 1 {
        let mut best = (ABSENT, 0);
        for (k, part) in parts.iter().enumerate() {
            if part.pair < best.0 {
                best = (part.pair, k);
            }
        }
        let (pair, k) = best;
        if pair == ABSENT {
            break;
        }
        // Part k absorbs part k+1; the pairs starting at k-1 and k change.
        parts[k].id = rule.joined_id(pair);
        parts.remove(k + 1);
        set_pair(parts, k);
        if k > 0 {
            set_pair(parts, k - 1);
        }
    }
}

/// One part of a long piece, identified by its index among the initial parts (for byte
/// parts, its start byte). Parts are linked through a bitset of part starts rather than
/// next/prev pointers: finding a neighbour is a bit scan in the same or the next word, and
/// a node shrinks from 16 bytes to 8. The queue visits parts in priority order, all over
/// the piece, so bytes per node is what the time goes on.
#[derive(Clone, Copy)]
struct Node {
    /// The priority of this part joined with the next; ABSENT if none, or if this part was
    /// absorbed by the one before.
    pair: u32,
    /// The id of this part.
    id: u32,
}

/// The starts of the parts of a piece, one bit per byte (plus one past the end).
struct Starts {
    words: Vec<u64>,
    len: usize,
}

impl Starts {
    fn all(len: usize) -> Starts {
        let mut words = vec![u64::MAX; (len + 1).div_ceil(64)];
        let spare = words.len() * 64 - (len + 1);
        if spare > 0 {
            *words.last_mut().unwrap() >>= spare;
        }
        Starts { words, len }
    }

    #[inline(always)]
    fn remove(&mut self, at: usize) {
        self.words[at / 64] &= !(1u64 << (at % 64));
    }

    /// The first start after `at` (`len` is always a start).
    #[inline(always)]
    fn next(&self, at: usize) -> usize {
        let mut word = (at + 1) / 64;
        let mut bits = self.words[word] & (u64::MAX << ((at + 1) % 64));
        while bits == 0 {
            word += 1;
            bits = self.words[word];
        }
        (word * 64 + bits.trailing_zeros() as usize).min(self.len)
    }

    /// The last start before `at` (`at` > 0; 0 is always a start).
    #[inline(always)]
    fn prev(&self, at: usize) -> usize {
        let mut word = (at - 1) / 64;
        let mut bits = self.words[word] & (u64::MAX >> (63 - (at - 1) % 64));
        while bits == 0 {
            word -= 1;
            bits = self.words[word];
        }
        word * 64 + 63 - bits.leading_zeros() as usize
    }
}

/// How many queue entries ahead `merge_long` prefetches.
const PREFETCH_AHEAD: usize = 8;

thread_local! {
    /// The queue's buckets are as many as the rule's priorities: allocated once per thread
    /// rather than once per long piece.
    static QUEUE: RefCell<RankQueue> = RefCell::new(RankQueue::default());
}

/// The merge for long pieces.
pub fn merge_long<R: MergeRule>(rule: &R, piece: &[u8], out: &mut Vec<u32>) {
    merge_long_parts(rule, piece, |_, id| out.push(id));
}

/// The merge for long pieces, calling `emit(start, id)` for each final part; returns where
/// the last part ends.
pub fn merge_long_parts<R: MergeRule>(rule: &R, piece: &[u8], mut emit: impl FnMut(u32, u32)) -> u32 {
    QUEUE.with(|queue| merge_long_with(rule, piece, &mut queue.borrow_mut(), &mut emit))
}

fn merge_long_with<R: MergeRule>(rule: &R, piece: &[u8], queue: &mut RankQueue, emit: &mut impl FnMut(u32, u32)) -> u32 {
    let mut nodes: Vec<Node> = Vec::with_capacity(piece.len());
    let mut positions: Vec<u32> = Vec::new();
    let end = rule.initial_parts(piece, |start, id| {
        nodes.push(Node { pair: ABSENT, id });
        if !R::BYTE_PARTS {
            positions.push(start);
        }
    });
    positions.push(end);
    let n = nodes.len();
    if n == 0 {
        return end;
    }
    let mut starts = Starts::all(n);
    let pos = |k: usize| if R::BYTE_PARTS { k } else { positions[k] as usize };
    // The pair of part `s` with its successor `mid`, given the part after that.
    let pair_of = |nodes: &[Node], s: usize, mid: usize, after: usize| {
        rule.join(piece, pos(s), pos(mid), pos(after), nodes[s].id, nodes[mid].id).unwrap_or(ABSENT)
    };
    queue.reset(rule.priority_bound());
    for s in 0..n - 1 {
        let pair = pair_of(&nodes, s, s + 1, s + 2);
        nodes[s].pair = pair;
        if pair != ABSENT {
            queue.push(pair, s as u32);
        }
    }
    while let Some((priority, s)) = queue.pop() {
        if let Some(soon) = queue.upcoming(PREFETCH_AHEAD) {
            prefetch(&nodes[soon as usize]);
        }
        let s = s as usize;
        if nodes[s].pair != priority {
            continue;
        }
        let absorbed = starts.next(s);
        let after = starts.next(absorbed);
        starts.remove(absorbed);
        nodes[absorbed].pair = ABSENT;
        nodes[s].id = rule.joined_id(priority);
        let pair = if after < n { pair_of(&nodes, s, after, starts.next(after)) } else { ABSENT };
        nodes[s].pair = pair;
        if pair != ABSENT {
            queue.push(pair, s as u32);
        }
        if s > 0 {
            let before = starts.prev(s);
            let pair = pair_of(&nodes, before, s, after);
            nodes[before].pair = pair;
            if pair != ABSENT {
                queue.push(pair, before as u32);
            }
        }
    }
    let mut s = 0;
    while s < n {
        emit(pos(s) as u32, nodes[s].id);
        s = starts.next(s);
    }
    end
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

    use crate::bpe::vocab::{Rank, Ranks};

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
