//! What every model family keeps between calls: the ids of the pieces it has already
//! encoded, per thread and per model.
//!
//! Encoding a piece is a pure function of the piece and the model, so a cached piece
//! never changes an id; it only skips the merge (or lattice) that made the ids. Natural
//! text repeats its words across documents as much as within one, so the cache outlives
//! the call: each thread keeps one for each of the last `KEPT_MODELS` models it used,
//! found by the model's `ModelId`. Nothing is shared between threads, so no lock is taken
//! and no thread waits; two threads each learn the same words once.

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::LocalKey;

/// Which model a thread's kept state belongs to. Every model built gets a new one; a clone
/// keeps it, since it encodes exactly as the original does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelId(u64);

impl ModelId {
    pub fn new() -> ModelId {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        ModelId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for ModelId {
    fn default() -> ModelId {
        ModelId::new()
    }
}

/// How many models' state a thread keeps; the one used longest ago goes first.
const KEPT_MODELS: usize = 4;

/// A thread's state for each of its last few models.
pub type Kept<T> = RefCell<Vec<(ModelId, T)>>;

/// Runs `work` with this thread's state for model `id` (made with `Default` the first
/// time), then `tidy`s it (to let go of what one odd call grew).
pub fn with_kept<T: Default, R>(
    kept: &'static LocalKey<Kept<T>>,
    id: ModelId,
    work: impl FnOnce(&mut T) -> R,
    tidy: impl FnOnce(&mut T),
) -> R {
    kept.with(|kept| {
        let mut kept = kept.borrow_mut();
        let index = match kept.iter().position(|(kept_id, _)| *kept_id == id) {
            Some(index) => index,
            None => {
                if kept.len() == KEPT_MODELS {
                    kept.remove(0);
                }
                kept.push((id, T::default()));
                kept.len() - 1
            }
        };
        let state = &mut kept[index].1;
        let result = work(state);
        tidy(state);
        result
    })
}

/// The ids (and span lengths, for models that report them) of pieces already encoded, so
/// a repeated piece costs one lookup. It is emptied when it holds `CACHE_MAX_IDS` ids, so
/// its memory stays bounded (at most 2^20 ids and their keys: about 20 MB at the very
/// most, 2-8 MB on a few MB of ordinary text). Pieces of up to 16 bytes
/// (nearly all) are keyed, one table per length, by a u128 read straight from their
/// bytes (the first and last 8, overlapping: injective within one length), so a lookup
/// follows no pointer and calls no memcmp.
#[derive(Default)]
pub struct PieceCache {
    short: [FxHashMap<u128, (u32, u32)>; 17],
    long: FxHashMap<Box<[u8]>, (u32, u32)>,
    ids: Vec<u32>,
    lens: Vec<u32>,
    lookups: u64,
    hits: u64,
}

/// What a thread's piece cache for one model has done: lookups and hits since the thread
/// first used the model, and what it holds now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheInfo {
    pub lookups: u64,
    pub hits: u64,
    pub pieces: usize,
    pub ids: usize,
}

/// Large enough for the distinct pieces of a few MB of text in hundreds of languages
/// (UDHR's 342 Latin-script translations need about 400,000 ids with cl100k): a smaller
/// cache emptied itself within one call there and merged every piece again on the next.
const CACHE_MAX_IDS: usize = 1 << 20;

/// Longer pieces are not cached: they rarely come twice, and hashing and copying a
/// long piece costs time for nothing.
pub const CACHE_MAX_PIECE: usize = 1 << 10;

#[inline(always)]
fn short_key(piece: &[u8]) -> u128 {
    let n = piece.len();
    let u64_at = |i: usize| u64::from_le_bytes(piece[i..i + 8].try_into().expect("8 bytes")) as u128;
    let u32_at = |i: usize| u32::from_le_bytes(piece[i..i + 4].try_into().expect("4 bytes")) as u128;
    match n {
        8..=16 => u64_at(0) | u64_at(n - 8) << 64,
        4..=7 => u32_at(0) | u32_at(n - 4) << 32,
        _ => piece.iter().enumerate().fold(0, |key, (i, &b)| key | (b as u128) << (8 * i)),
    }
}

impl PieceCache {
    /// The ids and span lengths cached for `piece` (no lengths if none were given).
    #[inline]
    pub fn get(&mut self, piece: &[u8]) -> Option<(&[u32], &[u32])> {
        self.lookups += 1;
        let &(start, len) = match self.short.get(piece.len()) {
            Some(table) => table.get(&short_key(piece))?,
            None => self.long.get(piece)?,
        };
        self.hits += 1;
        let range = start as usize..(start + len) as usize;
        Some((&self.ids[range.clone()], self.lens.get(range).unwrap_or(&[])))
    }

    pub fn info(&self) -> CacheInfo {
        let pieces = self.short.iter().map(FxHashMap::len).sum::<usize>() + self.long.len();
        CacheInfo { lookups: self.lookups, hits: self.hits, pieces, ids: self.ids.len() }
    }

    /// Caches `piece`'s ids and span lengths (`lens` empty, or one per id), unless the
    /// piece is longer than `CACHE_MAX_PIECE`.
    pub fn put(&mut self, piece: &[u8], ids: &[u32], lens: &[u32]) {
        debug_assert!(lens.is_empty() || lens.len() == ids.len());
        if piece.len() > CACHE_MAX_PIECE {
            return;
        }
        if self.ids.len() >= CACHE_MAX_IDS {
            self.short.iter_mut().for_each(FxHashMap::clear);
            self.long.clear();
            self.ids.clear();
            self.lens.clear();
        }
        if !lens.is_empty() && self.lens.len() < self.ids.len() {
            self.lens.resize(self.ids.len(), 0);
        }
        let entry = (self.ids.len() as u32, ids.len() as u32);
        self.ids.extend_from_slice(ids);
        self.lens.extend_from_slice(lens);
        match self.short.get_mut(piece.len()) {
            Some(table) => table.insert(short_key(piece), entry),
            None => self.long.insert(piece.into(), entry),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keeps_distinct_pieces_apart() {
        let mut pieces = std::collections::BTreeSet::new();
        for n in 1..=20 {
            let run = "a".repeat(n - 1);
            pieces.extend(["b".repeat(n), format!("{run}a"), format!("{run}c"), format!("c{run}")]);
        }
        let mut cache = PieceCache::default();
        for (i, w) in pieces.iter().enumerate() {
            cache.put(w.as_bytes(), &[i as u32], &[1]);
        }
        for (i, w) in pieces.iter().enumerate() {
            assert_eq!(cache.get(w.as_bytes()).unwrap().0, &[i as u32], "{w}");
        }
    }

    #[test]
    fn lengths_stay_with_their_ids_when_some_pieces_have_none() {
        let mut cache = PieceCache::default();
        cache.put(b"ab", &[1, 2], &[]);
        cache.put(b"cd", &[3], &[2]);
        assert_eq!(cache.get(b"cd").unwrap(), (&[3][..], &[2][..]));
        assert_eq!(cache.get(b"ab").unwrap().0, &[1, 2]);
    }

    thread_local! {
        static KEPT: Kept<Vec<u32>> = const { RefCell::new(Vec::new()) };
    }

    #[test]
    fn each_model_keeps_its_own_state_and_the_oldest_goes() {
        let ids: Vec<ModelId> = (0..=KEPT_MODELS).map(|_| ModelId::new()).collect();
        for (k, &id) in ids.iter().enumerate() {
            with_kept(&KEPT, id, |state| state.push(k as u32), |_| {});
        }
        // The first model's state was dropped to make room; the others kept theirs.
        assert_eq!(with_kept(&KEPT, ids[0], |state| state.clone(), |_| {}), Vec::<u32>::new());
        assert_eq!(with_kept(&KEPT, ids[KEPT_MODELS], |state| state.clone(), |_| {}), vec![KEPT_MODELS as u32]);
    }
}
