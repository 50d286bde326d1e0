//! The rank table of a byte-level BPE: token bytes → rank (= id), and back.

use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

pub type Rank = u32;

/// Mergeable ranks: every token's bytes and its rank. Ranks double as token ids.
#[derive(Clone, Debug)]
pub struct Ranks {
    by_bytes: FxHashMap<Box<[u8]>, Rank>,
    by_rank: Vec<Option<Box<[u8]>>>,
    byte_ranks: [Rank; 256],
}

impl Ranks {
    /// Builds the table; every single byte must be a token (so any text can be encoded),
    /// and no token or rank may appear twice.
    pub fn from_tokens(tokens: impl IntoIterator<Item = (Vec<u8>, Rank)>) -> Result<Ranks> {
        let mut by_bytes: FxHashMap<Box<[u8]>, Rank> = FxHashMap::default();
        let mut by_rank: Vec<Option<Box<[u8]>>> = Vec::new();
        for (bytes, rank) in tokens {
            if bytes.is_empty() {
                return Err(Error::BadVocabulary(format!("rank {rank} is an empty token")));
            }
            if rank == Rank::MAX {
                return Err(Error::BadVocabulary(format!("rank {rank} is too large")));
            }
            let slot = rank as usize;
            if slot >= by_rank.len() {
                by_rank.resize(slot + 1, None);
            }
            if let Some(existing) = &by_rank[slot] {
                return Err(Error::BadVocabulary(format!(
                    "rank {rank} is given twice (to {existing:?} and {bytes:?}); every rank must be unique"
                )));
            }
            let boxed: Box<[u8]> = bytes.into_boxed_slice();
            if let Some(other) = by_bytes.insert(boxed.clone(), rank) {
                return Err(Error::BadVocabulary(format!(
                    "token {boxed:?} has two ranks ({other} and {rank}); every token must be unique"
                )));
            }
            by_rank[slot] = Some(boxed);
        }
        let mut byte_ranks = [0; 256];
        let mut missing = Vec::new();
        for b in 0..=255u8 {
            match by_bytes.get(&[b][..]) {
                Some(&rank) => byte_ranks[b as usize] = rank,
                None => missing.push(b),
            }
        }
        if !missing.is_empty() {
            return Err(Error::BadVocabulary(format!(
                "the vocabulary has no token for the single bytes {missing:?}; a byte-level BPE \
                 needs all 256 so that any text can be encoded"
            )));
        }
        Ok(Ranks { by_bytes, by_rank, byte_ranks })
    }

    #[inline(always)]
    pub fn get(&self, bytes: &[u8]) -> Option<Rank> {
        self.by_bytes.get(bytes).copied()
    }

    #[inline(always)]
    pub fn byte_rank(&self, byte: u8) -> Rank {
        self.byte_ranks[byte as usize]
    }

    pub fn token(&self, rank: Rank) -> Option<&[u8]> {
        self.by_rank.get(rank as usize).and_then(|t| t.as_deref())
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.by_bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_bytes.is_empty()
    }

    /// One past the largest rank.
    pub fn rank_bound(&self) -> usize {
        self.by_rank.len()
    }

    /// (bytes, rank) in rank order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Rank)> {
        self.by_rank
            .iter()
            .enumerate()
            .filter_map(|(r, t)| t.as_deref().map(|t| (t, r as Rank)))
    }
}
