//! The word table of the Viterbi encoder (`viterbi.rs`): every distinct word it has seen,
//! with what it keeps of each.
//!
//! Open addressing with linear probing over slots of one cache line: a word's hash, its
//! bytes (up to `KEY`) and its entry, so that finding a word touches one line. Natural
//! text has a few thousand frequent words, whose lines stay in the processor's caches,
//! and a long tail whose lines are in memory (10 MB of Gutenberg text: 1.6M words, 200k
//! distinct, the 16k most frequent covering 84% of them). The encoder asks for the next
//! words' lines (`prefetch`) before it segments the current word, so that the waits for
//! memory overlap work. Words longer than `KEY` bytes, a few percent of the distinct
//! ones, are kept in a hash map.
//!
//! The table grows when three quarters full. Half full cost up to twice the memory (32
//! MB where 16 MB did) for no clear gain; seven eighths full made a 10 MB text 5% slower.
//!
//! Replaced: a 16k-slot direct-mapped table in front of a hash map. A fifth of words
//! missed the small table, and the map's slot, found only by probing, could not be
//! fetched ahead; those misses took a fifth of the encoding time.

use rustc_hash::FxHashMap;

/// The longest word kept in a slot, in bytes: what fills a 64-byte line beside the hash,
/// the length and a 32-byte entry.
const KEY: usize = 23;
/// The length that marks an empty slot.
const EMPTY: u8 = u8::MAX;
/// Slots of a table's first allocation.
const FIRST_SLOTS: usize = 1024;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot<V> {
    hash: u64,
    len: u8,
    key: [u8; KEY],
    value: V,
}

/// Words (byte strings) and a `V` for each.
pub struct WordTable<V> {
    slots: Vec<Slot<V>>,
    /// Words in `slots`.
    len: usize,
    long: FxHashMap<Box<[u8]>, V>,
}

impl<V> Default for WordTable<V> {
    fn default() -> Self {
        WordTable { slots: Vec::new(), len: 0, long: FxHashMap::default() }
    }
}

/// The hash a word is looked up and inserted with.
#[inline]
pub fn word_hash(word: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(word)
}

impl<V: Copy + Default> WordTable<V> {
    /// Asks the processor to bring in the slot where a word of this hash is looked for
    /// first; the lookup that follows then finds it in cache.
    #[inline(always)]
    pub fn prefetch(&self, hash: u64) {
        if self.slots.is_empty() {
            return;
        }
        crate::prefetch::prefetch(&self.slots[hash as usize & (self.slots.len() - 1)]);
    }

    /// The value of `word` (whose hash is `hash`), if it is in the table.
    #[inline]
    pub fn get(&self, word: &[u8], hash: u64) -> Option<V> {
        if word.len() > KEY {
            return self.long.get(word).copied();
        }
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.len == EMPTY {
                return None;
            }
            if slot.hash == hash && slot.len as usize == word.len() && &slot.key[..word.len()] == word {
                return Some(slot.value);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `word`, which must not be in the table yet.
    pub fn insert(&mut self, word: &[u8], hash: u64, value: V) {
        if word.len() > KEY {
            self.long.insert(word.into(), value);
            return;
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mut key = [0; KEY];
        key[..word.len()].copy_from_slice(word);
        self.place(Slot { hash, len: word.len() as u8, key, value });
        self.len += 1;
    }

    /// Empties the table, keeping its slots allocated.
    pub fn clear(&mut self) {
        for slot in &mut self.slots {
            slot.len = EMPTY;
        }
        self.len = 0;
        self.long.clear();
    }

    fn place(&mut self, slot: Slot<V>) {
        let mask = self.slots.len() - 1;
        let mut i = slot.hash as usize & mask;
        while self.slots[i].len != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(FIRST_SLOTS);
        let empty = Slot { hash: 0, len: EMPTY, key: [0; KEY], value: V::default() };
        let old = std::mem::replace(&mut self.slots, vec![empty; size]);
        for slot in old.into_iter().filter(|s| s.len != EMPTY) {
            self.place(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_with_a_32_byte_value_fills_one_cache_line() {
        assert_eq!(std::mem::size_of::<Slot<[u64; 4]>>(), 64);
    }

    #[test]
    fn finds_what_was_inserted_through_growth_and_clearing() {
        let mut table = WordTable::<u32>::default();
        let words: Vec<Vec<u8>> = (0..5000u32).map(|i| format!("▁word{i}").repeat(1 + i as usize % 7).into_bytes()).collect();
        for (i, word) in words.iter().enumerate() {
            assert_eq!(table.get(word, word_hash(word)), None);
            table.insert(word, word_hash(word), i as u32);
        }
        for (i, word) in words.iter().enumerate() {
            assert_eq!(table.get(word, word_hash(word)), Some(i as u32));
        }
        table.clear();
        assert!(words.iter().all(|w| table.get(w, word_hash(w)).is_none()));
    }
}
