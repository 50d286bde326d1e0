//! The rank table of a byte-level BPE: token bytes → rank (= id), and back.

use super::backtrack::Backtracker;
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock};

pub type Rank = u32;

/// Lookups by length. Nearly all lookups are short (the merge asks about pairs of parts,
/// and tokens rarely exceed 16 bytes), so short keys never touch a boxed slice:
/// - 2 bytes: a direct table indexed by the two bytes (256 KB, no hashing);
/// - 3 to 8 bytes: a u64 read from the bytes, one hash table per length;
/// - 9 to 16 bytes: a u128 likewise;
/// - longer: the bytes themselves, skipped when longer than the longest token.
///
/// Within one length the keys are injective: the first and last 4 (or 8) bytes,
/// overlapping when the token is shorter than 8 (or 16).
#[inline(always)]
fn key64(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    debug_assert!((3..=8).contains(&n));
    if n >= 4 {
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as u64;
        u32_at(0) | (u32_at(n - 4) << 32)
    } else {
        bytes[0] as u64 | (bytes[1] as u64) << 8 | (bytes[2] as u64) << 16
    }
}

#[inline(always)]
fn key128(bytes: &[u8]) -> u128 {
    let n = bytes.len();
    debug_assert!((9..=16).contains(&n));
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap()) as u128;
    u64_at(0) | (u64_at(n - 8) << 64)
}

const NO_RANK: Rank = Rank::MAX;

/// Mergeable ranks: every token's bytes and its rank. Ranks double as token ids.
#[derive(Clone, Debug)]
pub struct Ranks {
    byte_ranks: [Rank; 256],
    /// `two[(a << 8) | b]`: the rank of the token `[a, b]`, NO_RANK if none.
    two: Box<[Rank]>,
    /// `short[n - 3]`: tokens of n = 3..=8 bytes by `key64`.
    short: Vec<FxHashMap<u64, Rank>>,
    /// `medium[n - 9]`: tokens of n = 9..=16 bytes by `key128`.
    medium: Vec<FxHashMap<u128, Rank>>,
    by_bytes: FxHashMap<Box<[u8]>, Rank>,
    max_len: usize,
    by_rank: Vec<Option<Box<[u8]>>>,
    /// The tables of the backtracking merge, built when the first long piece comes (None
    /// if the vocabulary does not allow it); clones share them.
    backtracker: Arc<OnceLock<Option<Backtracker>>>,
}

impl Ranks {
    /// Builds the table; every single byte must be a token (so any text can be encoded),
    /// and no token or rank may appear twice.
    pub fn from_tokens(tokens: impl IntoIterator<Item = (Vec<u8>, Rank)>) -> Result<Ranks> {
        let (ranks, missing) = Self::from_tokens_missing_bytes(tokens)?;
        if !missing.is_empty() {
            return Err(Error::BadVocabulary(format!(
                "the vocabulary has no token for the single bytes {missing:?}; a byte-level BPE \
                 needs all 256 so that any text can be encoded"
            )));
        }
        Ok(ranks)
    }

    /// Builds the table when some single bytes may have no token (some HF vocabularies
    /// leave out bytes that never occur); returns those bytes too. Their rank is `Rank::MAX`.
    pub fn from_tokens_missing_bytes(tokens: impl IntoIterator<Item = (Vec<u8>, Rank)>) -> Result<(Ranks, Vec<u8>)> {
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
                    "rank {rank} is given twice (to b\"{}\" and b\"{}\"); every rank must be unique",
                    existing.escape_ascii(),
                    bytes.escape_ascii()
                )));
            }
            let boxed: Box<[u8]> = bytes.into_boxed_slice();
            if let Some(other) = by_bytes.insert(boxed.clone(), rank) {
                return Err(Error::BadVocabulary(format!(
                    "token b\"{}\" has two ranks ({other} and {rank}); every token must be unique",
                    boxed.escape_ascii()
                )));
            }
            by_rank[slot] = Some(boxed);
        }
        let mut byte_ranks = [NO_RANK; 256];
        let mut missing = Vec::new();
        for b in 0..=255u8 {
            match by_bytes.get(&[b][..]) {
                Some(&rank) => byte_ranks[b as usize] = rank,
                None => missing.push(b),
            }
        }
        let mut two = vec![NO_RANK; 1 << 16].into_boxed_slice();
        let mut short = vec![FxHashMap::default(); 6];
        let mut medium = vec![FxHashMap::default(); 8];
        for (bytes, &rank) in &by_bytes {
            match bytes.len() {
                2 => two[(bytes[0] as usize) << 8 | bytes[1] as usize] = rank,
                3..=8 => {
                    short[bytes.len() - 3].insert(key64(bytes), rank);
                }
                9..=16 => {
                    medium[bytes.len() - 9].insert(key128(bytes), rank);
                }
                _ => {}
            }
        }
        let max_len = by_bytes.keys().map(|b| b.len()).max().unwrap_or(0);
        let backtracker = Arc::default();
        Ok((Ranks { byte_ranks, two, short, medium, by_bytes, max_len, by_rank, backtracker }, missing))
    }

    #[inline(always)]
    pub fn get(&self, bytes: &[u8]) -> Option<Rank> {
        match bytes.len() {
            0 => None,
            1 => {
                let rank = self.byte_ranks[bytes[0] as usize];
                (rank != NO_RANK).then_some(rank)
            }
            2 => {
                let rank = self.two[(bytes[0] as usize) << 8 | bytes[1] as usize];
                (rank != NO_RANK).then_some(rank)
            }
            n @ 3..=8 => self.short[n - 3].get(&key64(bytes)).copied(),
            n @ 9..=16 => self.medium[n - 9].get(&key128(bytes)).copied(),
            n if n > self.max_len => None,
            _ => self.by_bytes.get(bytes).copied(),
        }
    }

    /// The rank of the token made of the two bytes, or Rank::MAX if there is none.
    #[inline(always)]
    pub fn pair(&self, a: u8, b: u8) -> Rank {
        self.two[(a as usize) << 8 | b as usize]
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

    /// Whether long pieces take the backtracking walk (see `merge_long_piece`); builds its
    /// tables if they are not built yet.
    pub fn walks_long_pieces(&self) -> bool {
        self.walker().is_some()
    }

    /// Appends the merge of `piece` by the backtracking walk alone; false (leaving `out`
    /// as it was) when the walk does not cover this vocabulary or piece.
    pub fn walk_long_piece(&self, piece: &[u8], out: &mut Vec<Rank>) -> bool {
        self.walker().is_some_and(|w| w.encode(self, piece, out))
    }

    fn walker(&self) -> Option<&Backtracker> {
        self.backtracker.get_or_init(|| Backtracker::new(self)).as_ref()
    }

    /// (bytes, rank) in rank order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Rank)> {
        self.by_rank
            .iter()
            .enumerate()
            .filter_map(|(r, t)| t.as_deref().map(|t| (t, r as Rank)))
    }
}

/// tiktoken's rule: any two adjacent parts whose bytes together are a token join into it,
/// the token's rank being the priority; a piece that is a token is taken whole.
impl crate::bpe::encode::MergeRule for Ranks {
    #[inline(always)]
    fn initial_parts(&self, piece: &[u8], mut part: impl FnMut(u32, u32)) -> u32 {
        for (i, &b) in piece.iter().enumerate() {
            part(i as u32, self.byte_ranks[b as usize]);
        }
        piece.len() as u32
    }

    #[inline(always)]
    fn join(&self, piece: &[u8], start: usize, _mid: usize, end: usize, _: u32, _: u32) -> Option<u32> {
        self.get(&piece[start..end])
    }

    #[inline(always)]
    fn joined_id(&self, priority: u32) -> u32 {
        priority
    }

    #[inline(always)]
    fn whole(&self, piece: &[u8]) -> Option<u32> {
        self.get(piece)
    }

    fn priority_bound(&self) -> usize {
        self.rank_bound()
    }

    /// Long pieces take the backtracking walk (`backtrack.rs`), which gives the same tokens
    /// reading the piece in order instead of all over; the priority-queue merge remains for
    /// vocabularies and pieces the walk does not cover.
    fn merge_long_piece(&self, piece: &[u8], out: &mut Vec<u32>) {
        if !self.walk_long_piece(piece, out) {
            crate::bpe::encode::merge_long(self, piece, out);
        }
    }
}
