//! The rank table of a byte-level BPE: token bytes → rank (= id), and back.

use super::backtrack::Backtracker;
use super::token_table::{self, TokenTable, MAX_PACKED, NOT_FOUND};
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock};

pub type Rank = u32;

// Lookups by length. Nearly all lookups are short (the merge asks about pairs of parts,
// and tokens rarely exceed 16 bytes), so short keys never touch a boxed slice:
// - 2 bytes: a direct table indexed by the two bytes (256 KB, no hashing);
// - 1 to 12 bytes: the token table (`token_table.rs`), which is also where a whole piece
//   is looked up, whatever its length;
// - 13 to 16 bytes (words of 7 or 8 Cyrillic or Greek letters, 5 CJK characters): a u128
//   read from the bytes, one hash table per length;
// - longer: the bytes themselves, skipped when longer than the longest token.

/// The key of 13 to 16 bytes in their table: the first and last 8, overlapping; within
/// one length it tells byte strings apart.
#[inline(always)]
fn key128(bytes: &[u8]) -> u128 {
    let n = bytes.len();
    debug_assert!((13..=16).contains(&n));
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes")) as u128;
    u64_at(0) | u64_at(n - 8) << 64
}

const NO_RANK: Rank = Rank::MAX;

// A token table miss is what `MergeRule::whole_batch` reports for a piece not taken whole.
const _: () = assert!(NOT_FOUND == crate::bpe::encode::ABSENT);

/// Mergeable ranks: every token's bytes and its rank. Ranks double as token ids.
#[derive(Clone, Debug)]
pub struct Ranks {
    byte_ranks: [Rank; 256],
    /// `two[(a << 8) | b]`: the rank of the token `[a, b]`, NO_RANK if none.
    two: Box<[Rank]>,
    /// Tokens of 1 to `MAX_PACKED` bytes; None if an id is too large for it.
    table: Option<TokenTable>,
    /// `medium[n - 13]`: tokens of n = 13..=16 bytes by `key128`.
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
        let mut medium = vec![FxHashMap::default(); 4];
        for (bytes, &rank) in &by_bytes {
            match bytes.len() {
                2 => two[(bytes[0] as usize) << 8 | bytes[1] as usize] = rank,
                13..=16 => {
                    medium[bytes.len() - 13].insert(key128(bytes), rank);
                }
                _ => {}
            }
        }
        // Tokens go in by rank, the commonest first.
        let in_rank_order = by_rank.iter().enumerate().filter_map(|(rank, t)| Some((t.as_deref()?, rank as Rank)));
        let fits = in_rank_order.clone().all(|(bytes, rank)| bytes.len() > MAX_PACKED || rank <= token_table::MAX_ID);
        let table = fits.then(|| TokenTable::new(in_rank_order));
        let max_len = by_bytes.keys().map(|b| b.len()).max().unwrap_or(0);
        let backtracker = Arc::default();
        Ok((Ranks { byte_ranks, two, table, medium, by_bytes, max_len, by_rank, backtracker }, missing))
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
            3..=MAX_PACKED if self.table.is_some() => self.rank_in_table(token_table::pack_slice(bytes)),
            n @ 13..=16 => self.medium[n - 13].get(&key128(bytes)).copied(),
            n if n > self.max_len => None,
            _ => self.by_bytes.get(bytes).copied(),
        }
    }

    /// The rank of the token `text[start..end]`, if it is one; as `get`, but faster on a
    /// slice of a longer text.
    #[inline(always)]
    pub fn get_in(&self, text: &[u8], start: usize, end: usize) -> Option<Rank> {
        match token_table::pack_in(text, start, end) {
            Some(key) if self.table.is_some() => self.rank_in_table(key),
            _ => self.get(&text[start..end]),
        }
    }

    #[inline(always)]
    fn rank_in_table(&self, key: token_table::Key) -> Option<Rank> {
        let rank = self.table.as_ref()?.get(key);
        (rank != NOT_FOUND).then_some(rank)
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

    #[inline(always)]
    fn whole_in(&self, text: &[u8], start: usize, end: usize) -> Option<u32> {
        self.get_in(text, start, end)
    }

    /// Each piece's home slot is asked for `AHEAD` pieces before it is read, so that
    /// lookups wait on memory together rather than one after another.
    #[inline(always)]
    fn whole_batch(&self, text: &[u8], start: usize, ends: &[usize], ids: &mut [u32]) {
        const AHEAD: usize = 16;
        let Some(table) = &self.table else {
            let mut start = start;
            for (&end, id) in ends.iter().zip(ids) {
                *id = self.get(&text[start..end]).unwrap_or(Rank::MAX);
                start = end;
            }
            return;
        };
        // The key and home slot of the piece ending at ends[k] (a default key for a piece
        // too long for the table), AHEAD pieces ahead, in a ring.
        let mut ring = [(token_table::Key::default(), 0usize); AHEAD];
        let mut ahead_from = start;
        let mut look_ahead = |end: usize| {
            let entry = match token_table::pack_in(text, ahead_from, end) {
                Some(key) => {
                    let home = table.home_of(key);
                    table.prefetch(home);
                    (key, home)
                }
                None => (token_table::Key::default(), 0),
            };
            ahead_from = end;
            entry
        };
        for (k, &end) in ends.iter().take(AHEAD).enumerate() {
            ring[k] = look_ahead(end);
        }
        let mut from = start;
        for (k, (&end, id)) in ends.iter().zip(ids).enumerate() {
            let (key, home) = ring[k % AHEAD];
            *id = if key != token_table::Key::default() {
                table.get_from(key, home)
            } else {
                self.get(&text[from..end]).unwrap_or(Rank::MAX)
            };
            from = end;
            if let Some(&ahead) = ends.get(k + AHEAD) {
                ring[k % AHEAD] = look_ahead(ahead);
            }
        }
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
