//! The priority queue of candidate merges for long pieces: (rank, start) pairs popped
//! lowest rank first, leftmost first among equal ranks.
//!
//! A binary heap over all candidates costs log n cache misses per operation once the piece
//! is large (a 10 MB piece made `BinaryHeap::pop` 90% of the time). Candidates of one rank
//! are instead kept together in a bucket, and a two-level bitset of the ranks that have
//! candidates, which remembers its smallest member, finds the next bucket. Within a
//! bucket, positions almost always arrive in increasing order (the initial fill goes left
//! to right, and merges at one rank sweep left to right), so they are appended to a sorted
//! vector and read from its front; the rare position that arrives out of order goes to a
//! per-bucket heap. Push and pop are then O(1) in the usual case and O(log n) at worst.

use super::vocab::Rank;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Default)]
struct Bucket {
    sorted: Vec<u32>,
    head: usize,
    late: BinaryHeap<Reverse<u32>>,
}

impl Bucket {
    fn is_empty(&self) -> bool {
        self.head == self.sorted.len() && self.late.is_empty()
    }

    fn push(&mut self, position: u32) {
        if self.head == self.sorted.len() {
            self.sorted.clear();
            self.head = 0;
        }
        if self.sorted.last().is_none_or(|&last| position > last) {
            self.sorted.push(position);
        } else {
            self.late.push(Reverse(position));
        }
    }

    fn pop(&mut self) -> Option<u32> {
        let front = self.sorted.get(self.head).copied();
        match (front, self.late.peek()) {
            (Some(f), Some(&Reverse(l))) if l < f => self.late.pop().map(|Reverse(l)| l),
            (Some(f), _) => {
                self.head += 1;
                Some(f)
            }
            (None, _) => self.late.pop().map(|Reverse(l)| l),
        }
    }
}

/// A set of ranks as a two-level bitset that knows its smallest member: insert and remove
/// set or clear a bit, and removing the smallest searches forward from it, a summary word
/// covering 4096 ranks at a time. Finding the next bucket never costs a heap operation.
#[derive(Default)]
struct RankSet {
    words: Vec<u64>,
    summary: Vec<u64>,
    smallest: Option<Rank>,
}

impl RankSet {
    fn grow(&mut self, bound: usize) {
        let words = bound.div_ceil(64);
        if self.words.len() < words {
            self.words.resize(words, 0);
            self.summary.resize(words.div_ceil(64), 0);
        }
    }

    fn insert(&mut self, rank: Rank) {
        let word = rank as usize / 64;
        self.words[word] |= 1 << (rank % 64);
        self.summary[word / 64] |= 1 << (word % 64);
        if self.smallest.is_none_or(|s| rank < s) {
            self.smallest = Some(rank);
        }
    }

    fn remove(&mut self, rank: Rank) {
        let word = rank as usize / 64;
        self.words[word] &= !(1 << (rank % 64));
        if self.words[word] == 0 {
            self.summary[word / 64] &= !(1 << (word % 64));
        }
        if self.smallest == Some(rank) {
            self.smallest = self.first_from(rank);
        }
    }

    /// The smallest member at or after `rank`.
    fn first_from(&self, rank: Rank) -> Option<Rank> {
        let word = rank as usize / 64;
        let here = self.words[word] & (u64::MAX << (rank % 64));
        if here != 0 {
            return Some((word * 64 + here.trailing_zeros() as usize) as Rank);
        }
        let next_word = word + 1;
        let group = next_word / 64;
        let mut bits = self.summary.get(group).map_or(0, |b| b & u64::MAX.checked_shl((next_word % 64) as u32).unwrap_or(0));
        let mut group_index = group;
        while bits == 0 {
            group_index += 1;
            bits = *self.summary.get(group_index)?;
        }
        let word = group_index * 64 + bits.trailing_zeros() as usize;
        Some((word * 64 + self.words[word].trailing_zeros() as usize) as Rank)
    }

    #[inline(always)]
    fn min(&self) -> Option<Rank> {
        self.smallest
    }
}

/// Buckets are indexed by rank directly (a vector as long as the vocabulary, kept per
/// thread and only touched where used), so push and pop hash nothing.
#[derive(Default)]
pub struct RankQueue {
    buckets: Vec<Bucket>,
    /// The ranks whose buckets are not empty.
    ranks: RankSet,
}

impl RankQueue {
    /// Empties the queue, ready for ranks below `rank_bound`.
    pub fn reset(&mut self, rank_bound: usize) {
        while let Some(rank) = self.ranks.min() {
            let bucket = &mut self.buckets[rank as usize];
            bucket.sorted.clear();
            bucket.head = 0;
            bucket.late.clear();
            self.ranks.remove(rank);
        }
        if self.buckets.len() < rank_bound {
            self.buckets.resize_with(rank_bound, Bucket::default);
            self.ranks.grow(rank_bound);
        }
    }

    pub fn push(&mut self, rank: Rank, position: u32) {
        let bucket = &mut self.buckets[rank as usize];
        if bucket.is_empty() {
            self.ranks.insert(rank);
        }
        bucket.push(position);
    }

    /// A position that `pop` will return soon (from the front bucket), if known: the merge
    /// prefetches its node, since bucket sweeps jump around the piece.
    #[inline]
    pub fn upcoming(&self, ahead: usize) -> Option<u32> {
        let rank = self.ranks.min()?;
        let bucket = &self.buckets[rank as usize];
        bucket.sorted.get(bucket.head + ahead).copied()
    }

    /// The lowest (rank, position), leftmost among equal ranks.
    pub fn pop(&mut self) -> Option<(Rank, u32)> {
        let rank = self.ranks.min()?;
        let bucket = &mut self.buckets[rank as usize];
        let position = bucket.pop().expect("a listed bucket is not empty");
        if bucket.is_empty() {
            self.ranks.remove(rank);
        }
        Some((rank, position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_rank_then_position_whatever_the_push_order() {
        let mut queue = RankQueue::default();
        queue.reset(10);
        let pushes = [(5, 10), (3, 7), (5, 2), (3, 1), (9, 0), (5, 30), (5, 20), (3, 4)];
        for (rank, position) in pushes {
            queue.push(rank, position);
        }
        let mut expected = pushes.to_vec();
        expected.sort();
        let popped: Vec<(Rank, u32)> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(popped, expected);
    }

    #[test]
    fn finds_the_next_rank_across_words_and_summary_groups() {
        let mut queue = RankQueue::default();
        queue.reset(300_001);
        for rank in [300_000, 5, 4097, 70, 64, 63] {
            queue.push(rank, rank);
        }
        let popped: Vec<Rank> = std::iter::from_fn(|| queue.pop()).map(|(r, _)| r).collect();
        assert_eq!(popped, vec![5, 63, 64, 70, 4097, 300_000]);
        // Reset empties it for the next piece.
        queue.push(9, 1);
        queue.reset(300_001);
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn a_lower_rank_pushed_while_popping_comes_out_next() {
        let mut queue = RankQueue::default();
        queue.reset(11);
        queue.push(10, 0);
        queue.push(10, 5);
        assert_eq!(queue.pop(), Some((10, 0)));
        queue.push(4, 9);
        assert_eq!(queue.pop(), Some((4, 9)));
        assert_eq!(queue.pop(), Some((10, 5)));
        assert_eq!(queue.pop(), None);
    }
}
