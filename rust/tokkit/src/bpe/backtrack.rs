//! Byte-pair encoding of long pieces by walking the piece left to right, the way the
//! rust-gems `bpe` crate showed it can be done, rather than by replaying the merges in
//! rank order.
//!
//! Why it works. Call a token *reachable* when merging its own bytes gives back the token
//! itself; the result of merging any text consists of reachable tokens only (a piece that
//! is a token is taken whole before merging starts, so that case never comes here). For a
//! reachable token, the *split* is the pair of tokens its last merge joined. Two adjacent
//! tokens `a` (ending at byte p) and `b` (starting at p) *stay apart* when merging the bytes
//! of `a` and `b` together gives `[a, b]`: no pair of parts across p joins before `a` and
//! `b` are complete. The merge of a text is the one sequence of reachable tokens that
//! spells the text and whose neighbours all stay apart. So the encoder takes the longest
//! token at each position, checks it against the token before, and on failure tries the
//! next shorter token that is a prefix; when no token fits, the position cannot be a token
//! boundary: it is marked dead and the last token taken back. Each (position, token) pair
//! is tried at most once, so the work is linear in the piece (times the depth of a
//! token's merges, for the check), and it moves through the piece in order.
//!
//! Whether `a` and `b` stay apart is decided by undoing their merges: the parts that meet
//! at p are the right-hand parts of `a` (its split's right side, that one's right side,
//! and so on down to a byte) and the left-hand parts of `b`. Going back in time, undo
//! whichever of the two was formed last (the larger rank; ranks are the order in which a
//! merge happens), and check whether the two parts now facing each other across p form a
//! token that would have joined before the merge just undone. Ties go to the left part, as
//! in the merge itself. If no facing pair joins in time, the two stay apart.
//!
//! The walk assumes what trained vocabularies have: every token's split has lower ranks
//! than the token itself, so ranks order the merges in time. Not every vocabulary keeps
//! to it everywhere (81 of llama3's tokens, such as ".:.:" and " thời", are made last
//! from a part that ranks above them; cl100k and o200k have none), so
//! `Backtracker::new` collects the tokens that break it, and a piece that contains one of
//! them takes the priority-queue merge instead. A piece without them never meets them (a
//! part is always a substring of the piece), nor any token built on them. Tokens with a
//! NUL byte cannot go in the trie, so a piece with a NUL byte takes the other merge too.

use super::encode::{scan_parts_until, Part, ABSENT};
use super::vocab::{Rank, Ranks};
use crate::double_array::DoubleArray;
use aho_corasick::AhoCorasick;

/// What the walk needs to know of one token, in one place: the walk asks for all of it at
/// once. Tokens are numbered by *slot*, their place in byte order, rather than by rank:
/// a text made of few distinct bytes (all letters, say) then keeps to a few regions of
/// the table instead of a few tokens in every cache line of it.
#[derive(Clone, Copy, Debug)]
struct Token {
    rank: Rank,
    /// The slots of its split, or ABSENT twice for single bytes.
    left: u32,
    right: u32,
    /// Its length in bytes (low 8 bits), and above them the slot of the longest token in
    /// the trie that is a proper prefix of this one (NO_SHORTER if none).
    len_shorter: u32,
    /// Low half: bit `byte_bit(b)` is set for the first byte b of every y such that this
    /// token followed by y is a token. High half: likewise for the last byte of every x
    /// such that x followed by this token is a token. Most pairs the walk asks about (all
    /// but two single bytes, which take a table read) are then answered without a
    /// lookup; 32 bits a side keep the letters apart (16 made the walk 10% slower on
    /// random letters). Only joins into tokens in the trie set
    /// bits, so a join into a token no merge makes is never looked up; that changes no
    /// answer, since parts that really face each other only join into tokens merging
    /// makes, and a check that meets such a join also meets a true one further down.
    neighbours: u64,
}

const NO_SHORTER: u32 = u32::MAX >> 8;

impl Token {
    #[inline(always)]
    fn len(&self) -> usize {
        (self.len_shorter & 0xFF) as usize
    }

    /// The slot of the longest shorter token this one starts with, or ABSENT.
    #[inline(always)]
    fn shorter(&self) -> u32 {
        match self.len_shorter >> 8 {
            NO_SHORTER => ABSENT,
            slot => slot,
        }
    }

    #[inline(always)]
    fn may_be_followed_by(&self, first_byte: u8) -> bool {
        self.neighbours & byte_bit(first_byte) != 0
    }

    #[inline(always)]
    fn may_be_preceded_by(&self, last_byte: u8) -> bool {
        self.neighbours >> 32 & byte_bit(last_byte) != 0
    }
}

/// The bit of a byte in `Token::neighbours`' halves.
#[inline(always)]
fn byte_bit(byte: u8) -> u64 {
    1 << (byte % 32)
}

/// The trie of the walk: the layout `DoubleArray::build` made, unit for unit, but with
/// one `u64` a unit holding all a step needs: the byte that leads to the node (bits 0-7;
/// bit 8 set for units no byte leads to), whether the node ends a key (bit 9), the index
/// of its children block (bits 10-39), and the key's slot (bits 40-63). A step is then one
/// read with no arithmetic on offsets, and the longest key's slot comes with the node
/// instead of from one more read at the end. Units are padded to whole blocks of 256, so a
/// step never reads past the end (the bounds check stays, as a guard). At 8 bytes a unit
/// it takes twice the memory of the `DoubleArray` it copies.
#[derive(Clone, Debug)]
struct Trie {
    units: Vec<u64>,
    root: usize,
}

const NO_BYTE: u64 = 1 << 8;
const IS_KEY: u64 = 1 << 9;
const BASE_BITS: u32 = 30;

impl Trie {
    /// None if an index or value does not fit the packing.
    fn new(array: &DoubleArray) -> Option<Trie> {
        let len = array.units().len().next_multiple_of(256);
        if len >= 1 << BASE_BITS {
            return None;
        }
        let mut units = vec![NO_BYTE; len];
        for (index, byte, base, value) in array.nodes() {
            if base >= 1 << BASE_BITS {
                return None;
            }
            let key = match value {
                Some(slot) if slot < 1 << 24 => IS_KEY | (slot as u64) << 40,
                Some(_) => return None,
                None => 0,
            };
            units[index] = byte as u64 | (base as u64) << 10 | key;
        }
        Some(Trie { units, root: array.root_base() })
    }

    /// The slot of the longest key that `text` starts with, or ABSENT.
    #[inline(always)]
    fn longest(&self, text: &[u8]) -> u32 {
        let mut base = self.root;
        let mut found = ABSENT;
        for &byte in text {
            let Some(&unit) = self.units.get(base ^ byte as usize) else { break };
            if unit & 0x1FF != byte as u64 {
                break;
            }
            base = (unit >> 10) as usize & ((1 << BASE_BITS) - 1);
            if unit & IS_KEY != 0 {
                found = (unit >> 40) as u32;
            }
        }
        found
    }
}

/// What the walk needs besides the rank table.
#[derive(Clone, Debug)]
pub struct Backtracker {
    /// Every reachable token without a NUL byte, to its slot.
    trie: Trie,
    /// By slot.
    token: Vec<Token>,
    /// The longest token in `trie`.
    max_len: usize,
    /// The tokens whose split ranks above them (or, never seen in practice, whose split
    /// is not in the trie), if there are any: a piece that contains one is left to the
    /// priority-queue merge.
    out_of_order: Option<AhoCorasick>,
}

impl Backtracker {
    /// The tables for `ranks`, or None when the walk cannot serve them: a byte other than
    /// NUL without a token of its own, a token over 255 bytes or 2^24 - 1 tokens or more
    /// (the packing in `Token`), or a trie or automaton that cannot be built.
    ///
    /// Building runs on the calling thread only: it is called inside a `OnceLock` from
    /// whatever thread meets the first long piece, possibly a rayon worker of a batch, and
    /// a parallel loop there could have that worker pick up another text of the batch and
    /// wait on the same lock.
    pub fn new(ranks: &Ranks) -> Option<Backtracker> {
        if ranks.rank_bound() >= NO_SHORTER as usize
            || ranks.iter().any(|(bytes, _)| bytes.len() > 255)
            || (1..=255u8).any(|byte| ranks.get(&[byte]).is_none())
        {
            return None;
        }
        let mut walked: Vec<(&[u8], Rank, (Rank, Rank))> = Vec::with_capacity(ranks.len());
        let mut out_of_order: Vec<&[u8]> = Vec::new();
        let mut parts: Vec<Part> = Vec::new();
        // A part formed after the token it makes breaks the time order. Single bytes do
        // not count: they are there from the start, whatever their rank.
        let formed_after =
            |part: Rank, rank: Rank| part >= rank && ranks.token(part).is_some_and(|t| t.len() > 1);
        for (bytes, rank) in ranks.iter() {
            let Some((left, right)) = last_merge(ranks, bytes, &mut parts) else { continue };
            if left != ABSENT && (formed_after(left, rank) || formed_after(right, rank)) {
                out_of_order.push(bytes);
            }
            if !bytes.contains(&0) {
                walked.push((bytes, rank, (left, right)));
            }
        }
        walked.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut slot_of = vec![ABSENT; ranks.rank_bound()];
        for (slot, &(_, rank, _)) in walked.iter().enumerate() {
            slot_of[rank as usize] = slot as u32;
        }
        let keys: Vec<(&[u8], u32)> =
            walked.iter().enumerate().map(|(slot, &(bytes, _, _))| (bytes, slot as u32)).collect();
        let max_len = keys.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let trie = Trie::new(&DoubleArray::build(&keys).ok()?)?;
        let mut token: Vec<Token> = Vec::with_capacity(walked.len());
        for &(bytes, rank, (left, right)) in &walked {
            let shorter = match trie.longest(&bytes[..bytes.len() - 1]) {
                ABSENT => NO_SHORTER,
                slot => slot,
            };
            let (mut left, mut right) = match left {
                ABSENT => (ABSENT, ABSENT),
                _ => (slot_of[left as usize], slot_of[right as usize]),
            };
            if bytes.len() > 1 && (left == ABSENT || right == ABSENT) {
                // A part that merging makes but the trie lacks (never seen in the tiktoken
                // files): the walk must not reach this token.
                out_of_order.push(bytes);
                (left, right) = (ABSENT, ABSENT);
            }
            let len_shorter = shorter << 8 | bytes.len() as u32;
            token.push(Token { rank, left, right, len_shorter, neighbours: 0 });
        }
        for &(bytes, _, _) in &walked {
            for cut in 1..bytes.len() {
                let (x, y) = bytes.split_at(cut);
                if let (Some(x), Some(y)) = (ranks.get(x), ranks.get(y)) {
                    let (x, y) = (slot_of[x as usize], slot_of[y as usize]);
                    if x != ABSENT && y != ABSENT {
                        token[x as usize].neighbours |= byte_bit(bytes[cut]);
                        token[y as usize].neighbours |= byte_bit(bytes[cut - 1]) << 32;
                    }
                }
            }
        }
        let out_of_order = match out_of_order.is_empty() {
            true => None,
            false => Some(AhoCorasick::new(&out_of_order).ok()?),
        };
        Some(Backtracker { trie, token, max_len, out_of_order })
    }

    /// Appends the merge of `piece` to `out`; false (leaving `out` as it was) when the
    /// walk does not cover the piece: it has a NUL byte, which the trie cannot hold, or
    /// contains one of the `out_of_order` tokens, or (for a vocabulary the reasoning does
    /// not hold for) the walk finds no encoding.
    pub fn encode(&self, ranks: &Ranks, piece: &[u8], out: &mut Vec<Rank>) -> bool {
        if piece.contains(&0) || self.out_of_order.as_ref().is_some_and(|tokens| tokens.is_match(piece)) {
            return false;
        }
        let n = piece.len();
        // The slots of the tokens taken so far; `pos` is where the last one ends.
        let mut taken: Vec<u32> = Vec::with_capacity(n / 2);
        let mut dead = vec![0u64; (n + 1).div_ceil(64)];
        let is_dead = |dead: &[u64], at: usize| dead[at / 64] >> (at % 64) & 1 != 0;
        let mut pos = 0;
        let mut candidate = self.longest(&piece[pos..]);
        while pos < n {
            let end = pos + self.token[candidate as usize].len();
            let fits = !is_dead(&dead, end)
                && taken.last().is_none_or(|&last| self.stay_apart(ranks, piece, pos, last, candidate));
            if fits {
                taken.push(candidate);
                pos = end;
                if pos < n {
                    candidate = self.longest(&piece[pos..]);
                }
                continue;
            }
            candidate = self.token[candidate as usize].shorter();
            // When no shorter token is left, no token fits at `pos`: it is not a boundary.
            // Take back tokens until one has a shorter alternative to try.
            while candidate == ABSENT {
                dead[pos / 64] |= 1 << (pos % 64);
                let Some(last) = taken.pop() else {
                    // Only a vocabulary the walk's reasoning does not cover gets here: the
                    // caller then takes the priority-queue merge.
                    return false;
                };
                let last = self.token[last as usize];
                pos -= last.len();
                candidate = last.shorter();
            }
        }
        out.extend(taken.iter().map(|&slot| self.token[slot as usize].rank));
        true
    }

    /// The slot of the longest token in the trie that `text` starts with (`text` has no
    /// NUL byte, and every other single byte is in the trie).
    #[inline(always)]
    fn longest(&self, text: &[u8]) -> u32 {
        self.trie.longest(&text[..text.len().min(self.max_len)])
    }

    /// Whether `left` (ending at `pos`) and `right` (starting there) stay apart when their
    /// bytes are merged together.
    #[inline(always)]
    fn stay_apart(&self, ranks: &Ranks, piece: &[u8], pos: usize, left: u32, right: u32) -> bool {
        // A join across `pos` matters only if its rank is below `limit`: it would happen
        // before the merge last undone.
        let mut limit = Rank::MAX;
        let (mut left, mut right) = (self.token[left as usize], self.token[right as usize]);
        let (before, after) = (piece[pos - 1], piece[pos]);
        loop {
            // Two single bytes: one table read instead of the masks' test, a branch that
            // random text mispredicts often. The masks would let the pair through anyway:
            // two bytes that are a token are always in the trie (the piece has no NUL).
            if left.len() + right.len() == 2 {
                if ranks.pair(before, after) < limit {
                    return false;
                }
            } else if left.may_be_followed_by(after) && right.may_be_preceded_by(before) {
                let across = &piece[pos - left.len()..pos + right.len()];
                if ranks.get(across).is_some_and(|across| across < limit) {
                    return false;
                }
            }
            // A single byte was there from the start: it is never the one formed last.
            let left_formed = (left.right != ABSENT).then_some(left.rank);
            let right_formed = (right.left != ABSENT).then_some(right.rank);
            match (left_formed, right_formed) {
                (None, None) => return true,
                // On a tie (the same token on both sides) the left one formed first.
                (Some(l), r) if r.is_none_or(|r| l > r) => {
                    limit = l;
                    left = self.token[left.right as usize];
                }
                _ => {
                    // A join across `pos` ties with `right`'s own merge only when it makes
                    // the same token, and then it is the one further left: it wins.
                    limit = right.rank + 1;
                    right = self.token[right.left as usize];
                }
            }
        }
    }
}

/// The two tokens whose join is the last merge of `token`'s own bytes: (ABSENT, ABSENT) for
/// a single byte, None if merging its bytes does not give the token back.
fn last_merge(ranks: &Ranks, token: &[u8], parts: &mut Vec<Part>) -> Option<(Rank, Rank)> {
    if token.len() == 1 {
        return Some((ABSENT, ABSENT));
    }
    // Merge until two parts are left: if those two are all there is before the end
    // marker, their join is the last merge.
    scan_parts_until(ranks, token, parts, 2);
    (parts.len() == 3).then(|| (parts[0].id, parts[1].id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpe::encode::merge_long;

    /// A vocabulary built the way BPE training builds one: each new token joins two earlier
    /// ones, so every split ranks below its token.
    fn trained(joins: &[(&str, &str)]) -> Ranks {
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        for (a, b) in joins {
            tokens.push([a.as_bytes(), b.as_bytes()].concat());
        }
        Ranks::from_tokens(tokens.into_iter().enumerate().map(|(r, t)| (t, r as Rank))).unwrap()
    }

    fn both(ranks: &Ranks, piece: &[u8]) -> (Vec<Rank>, Vec<Rank>) {
        let walker = Backtracker::new(ranks).expect("a trained vocabulary");
        let mut walked = Vec::new();
        assert!(walker.encode(ranks, piece, &mut walked));
        let mut merged = Vec::new();
        merge_long(ranks, piece, &mut merged);
        (walked, merged)
    }

    #[test]
    fn walks_to_the_same_tokens_as_the_merge_on_every_short_string() {
        let ranks = trained(&[
            ("a", "b"), ("b", "a"), ("a", "a"), ("ab", "a"), ("b", "ab"), ("ab", "ab"),
            ("aa", "a"), ("ba", "ba"), ("ab", "b"), ("b", "b"), ("aa", "aa"), ("bb", "a"),
            ("c", "a"), ("ca", "b"), ("b", "c"), ("a", "bc"),
        ]);
        let alphabet = [b'a', b'b', b'c'];
        for len in 1..=10u32 {
            for code in 0..3usize.pow(len) {
                let piece: Vec<u8> = (0..len).map(|i| alphabet[code / 3usize.pow(i) % 3]).collect();
                let (walked, merged) = both(&ranks, &piece);
                assert_eq!(walked, merged, "{}", String::from_utf8_lossy(&piece));
            }
        }
    }

    #[test]
    fn long_runs_and_pseudo_random_text_agree_with_the_merge() {
        let ranks = trained(&[
            ("a", "a"), ("aa", "aa"), ("aaaa", "a"), ("aa", "a"), ("x", "y"), ("y", "x"),
            ("xy", "x"), ("xyx", "y"), ("y", "xy"), ("a", "x"), ("ax", "y"),
        ]);
        let mut state = crate::fuzz::seed(12345);
        let random: Vec<u8> = (0..100_000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                b"axy"[(state >> 33) as usize % 3]
            })
            .collect();
        for piece in [vec![b'a'; 100_001], b"xy".repeat(50_000), random] {
            let (walked, merged) = both(&ranks, &piece);
            assert_eq!(walked, merged);
        }
    }

    #[test]
    fn a_piece_with_a_token_made_from_a_higher_rank_is_left_to_the_merge() {
        // "aba" ranks below its last merge's part "ab", as llama3's ".:.:" does.
        let mut tokens: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        tokens.extend([(b"aba".to_vec(), 256), (b"ab".to_vec(), 257), (b"cd".to_vec(), 258)]);
        let ranks = Ranks::from_tokens(tokens).unwrap();
        let walker = Backtracker::new(&ranks).unwrap();
        let mut out = Vec::new();
        assert!(!walker.encode(&ranks, b"cdabacd", &mut out));
        assert!(out.is_empty());
        assert!(walker.encode(&ranks, b"cdabcd", &mut out));
        assert_eq!(out, vec![258, 257, 258]);
    }

    #[test]
    fn the_trie_finds_the_longest_token_a_text_starts_with() {
        let ranks = trained(&[
            ("a", "b"), ("ab", "c"), ("abc", "d"), ("b", "c"), ("bc", "d"), ("x", "y"),
            ("abcd", "abcd"), ("y", "x"), ("yx", "yx"),
        ]);
        let walker = Backtracker::new(&ranks).unwrap();
        // The trie holds the tokens that merging their own bytes gives back ("yxyx" is not
        // one: its "xy" joins first), NUL aside.
        let keys: Vec<&[u8]> = ranks
            .iter()
            .filter(|&(bytes, rank)| {
                let mut merged = Vec::new();
                merge_long(&ranks, bytes, &mut merged);
                !bytes.contains(&0) && merged == [rank]
            })
            .map(|(bytes, _)| bytes)
            .collect();
        assert_eq!(keys.len(), 255 + 8);
        let mut state = crate::fuzz::seed(7);
        for _ in 0..crate::fuzz::cases(20_000) {
            let text: Vec<u8> = (0..1 + state as usize % 12)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    b"abcdxy\xc3\xa9\x01\xff"[(state >> 33) as usize % 10]
                })
                .collect();
            let expected = keys.iter().filter(|k| text.starts_with(k)).max_by_key(|k| k.len()).copied();
            let found = walker.longest(&text);
            let found = (found != ABSENT).then(|| ranks.token(walker.token[found as usize].rank).unwrap());
            assert_eq!(found, expected, "{text:?}");
        }
    }

    #[test]
    fn a_piece_with_a_nul_byte_is_left_to_the_merge() {
        let ranks = trained(&[("a", "b")]);
        let walker = Backtracker::new(&ranks).unwrap();
        let mut out = vec![7];
        assert!(!walker.encode(&ranks, b"ab\0ab", &mut out));
        assert_eq!(out, vec![7]);
    }
}
