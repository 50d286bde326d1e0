//! The short tokens of a vocabulary (1 to 12 bytes: nearly all of them) in one
//! open-addressed table, so that finding whether a piece is a token costs one hash and
//! usually one 16-byte slot, whatever its length.
//!
//! A slot is two u64 words. The first holds bytes 0 to 7 of the token, the second bytes 8
//! to 11, then the length (bits 32 to 35) and the id (bits 40 to 63). Unused byte
//! positions are 0, so the bytes and the length (the key: the first word and the low 40
//! bits of the second) tell distinct byte strings apart, and no key is all zero, which
//! marks an empty slot. Within a text, a piece's key is two unaligned loads, two masks and
//! an or (`pack_in`), with no branch on its length beyond "short or not". On prose,
//! pieces of 1 to 10 bytes come in no predictable order, and that branch was what a table
//! per length paid for in mispredictions.
//!
//! A key's home slot is the top bits of a multiplicative hash. A lookup walks slots from
//! there until it finds the key or an empty slot. Tokens are inserted in id order, and
//! BPE ids follow how early a token was merged, which roughly follows how common it is.
//! So common tokens get their home slots, and at most 60% of slots are filled.

/// Tokens longer than this are not in the table.
pub const MAX_PACKED: usize = 12;

/// The id returned for a key that is not in the table.
pub const NOT_FOUND: u32 = u32::MAX;

/// Ids are kept in 24 bits.
pub const MAX_ID: u32 = (1 << 24) - 1;

/// The bits of a slot's second word that belong to the key.
const KEY_HIGH: u64 = (1 << 40) - 1;

/// A token's bytes and length as the table keys them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Key {
    low: u64,
    high: u64,
}

/// `LOW_MASK[n]` and `HIGH_MASK[n]` keep the bytes of an n-byte key in its two words.
const LOW_MASK: [u64; MAX_PACKED + 1] = {
    let mut masks = [0u64; MAX_PACKED + 1];
    let mut n = 1;
    while n <= MAX_PACKED {
        masks[n] = if n >= 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
        n += 1;
    }
    masks
};

const HIGH_MASK: [u64; MAX_PACKED + 1] = {
    let mut masks = [0u64; MAX_PACKED + 1];
    let mut n = 9;
    while n <= MAX_PACKED {
        masks[n] = (1u64 << (8 * (n - 8))) - 1;
        n += 1;
    }
    masks
};

/// The key of `bytes` (1 to `MAX_PACKED` of them): overlapping loads, so that no byte
/// outside the slice is read.
#[inline(always)]
pub fn pack_slice(bytes: &[u8]) -> Key {
    let n = bytes.len();
    debug_assert!((1..=MAX_PACKED).contains(&n));
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes")) as u64;
    let (low, high) = if n >= 8 {
        let tail = u64::from_le_bytes(bytes[n - 8..].try_into().expect("8 bytes"));
        (u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")), tail.checked_shr(8 * (16 - n) as u32).unwrap_or(0))
    } else if n >= 4 {
        (u32_at(0) | u32_at(n - 4) << (8 * (n - 4)), 0)
    } else {
        let byte = |i: usize| (bytes[i] as u64) << (8 * i);
        (byte(0) | byte(n / 2) | byte(n - 1), 0)
    };
    Key { low, high: high | (n as u64) << 32 }
}

/// The key of the first `n` bytes of `window`.
#[inline(always)]
fn from_window(window: &[u8; 16], n: usize) -> Key {
    let low = u64::from_le_bytes(window[..8].try_into().expect("8 bytes"));
    let high = u32::from_le_bytes(window[8..12].try_into().expect("4 bytes")) as u64;
    Key { low: low & LOW_MASK[n], high: high & HIGH_MASK[n] | (n as u64) << 32 }
}

/// The key of `text[start..end]`, or None if that is empty or longer than `MAX_PACKED`.
#[inline(always)]
pub fn pack_in(text: &[u8], start: usize, end: usize) -> Option<Key> {
    let n = end.wrapping_sub(start);
    if n.wrapping_sub(1) >= MAX_PACKED {
        return None;
    }
    Some(match text.get(start..start + 16) {
        Some(window) => from_window(window.try_into().expect("16 bytes"), n),
        None => pack_slice(&text[start..end]),
    })
}

#[inline(always)]
fn hash(key: Key) -> u64 {
    (key.low ^ key.high.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

#[derive(Clone, Copy, Default)]
struct Slot {
    low: u64,
    /// Key bits 0-39, id bits 40-63; 0 when the slot is empty.
    high: u64,
}

/// Token keys → ids, built once and then only read.
#[derive(Clone)]
pub struct TokenTable {
    slots: Box<[Slot]>,
    /// 64 − log2(slot count): a hash's top bits pick the home slot.
    shift: u32,
    len: usize,
}

impl std::fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenTable({} tokens in {} slots)", self.len, self.slots.len())
    }
}

impl TokenTable {
    /// A table of `tokens` (bytes and id, no bytes twice, ids up to `MAX_ID`) that are 1 to
    /// `MAX_PACKED` bytes long; others are left out. They are inserted in the order given,
    /// so the first take their home slots.
    pub fn new<'a>(tokens: impl IntoIterator<Item = (&'a [u8], u32)> + Clone) -> TokenTable {
        let count = tokens.clone().into_iter().filter(|(bytes, _)| (1..=MAX_PACKED).contains(&bytes.len())).count();
        // At most 60% of the slots filled, and at least two slots.
        let slots = (count * 5 / 3 + 1).next_power_of_two().max(2);
        Self::with_slots(slots, tokens)
    }

    /// A table of `slots` slots (a power of two, at least 2, more than the tokens).
    fn with_slots<'a>(slots: usize, tokens: impl IntoIterator<Item = (&'a [u8], u32)>) -> TokenTable {
        debug_assert!(slots.is_power_of_two() && slots >= 2);
        let mut table = TokenTable {
            slots: vec![Slot::default(); slots].into_boxed_slice(),
            shift: 64 - slots.trailing_zeros(),
            len: 0,
        };
        for (bytes, id) in tokens {
            if (1..=MAX_PACKED).contains(&bytes.len()) {
                assert!(id <= MAX_ID, "token ids in a token table fit in 24 bits");
                table.insert(pack_slice(bytes), id);
            }
        }
        assert!(table.len < slots, "a token table needs a free slot to end every search");
        table
    }

    fn home(&self, key: Key) -> usize {
        (hash(key) >> self.shift) as usize
    }

    fn insert(&mut self, key: Key, id: u32) {
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        while self.slots[at].high != 0 {
            debug_assert!(self.slots[at].low != key.low || self.slots[at].high & KEY_HIGH != key.high);
            at = (at + 1) & mask;
        }
        self.slots[at] = Slot { low: key.low, high: key.high | (id as u64) << 40 };
        self.len += 1;
    }

    /// The id of the token with this key, or `NOT_FOUND`.
    #[inline(always)]
    pub fn get(&self, key: Key) -> u32 {
        self.get_from(key, self.home(key))
    }

    /// `get`, the search beginning at `home` (which `home_of` gave for this key).
    #[inline(always)]
    pub fn get_from(&self, key: Key, home: usize) -> u32 {
        let mask = self.slots.len() - 1;
        let mut at = home;
        loop {
            let slot = self.slots[at & mask];
            if slot.low == key.low && slot.high & KEY_HIGH == key.high {
                return (slot.high >> 40) as u32;
            }
            if slot.high == 0 {
                return NOT_FOUND;
            }
            at += 1;
        }
    }

    /// Where the search for `key` begins; `prefetch` and `get_from` take it, so that a
    /// batch hashes each key once.
    #[inline(always)]
    pub fn home_of(&self, key: Key) -> usize {
        self.home(key)
    }

    /// Asks for the cache line of the slot at `home`, so that a `get_from` soon after
    /// finds it there.
    #[inline(always)]
    pub fn prefetch(&self, home: usize) {
        crate::prefetch::prefetch(&self.slots[home & (self.slots.len() - 1)]);
    }

    /// How many tokens the table holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn packing_in_a_text_equals_packing_the_slice() {
        let mut state = 0x1234_5678_9abc_def1;
        let text: Vec<u8> = (0..300).map(|_| xorshift(&mut state) as u8).collect();
        for start in 0..text.len() {
            for end in start..=text.len().min(start + 20) {
                let n = end - start;
                let expected = (1..=MAX_PACKED).contains(&n).then(|| pack_slice(&text[start..end]));
                assert_eq!(pack_in(&text, start, end), expected, "{start}..{end}");
            }
        }
    }

    #[test]
    fn keys_are_distinct_and_keep_every_byte() {
        // A key decodes back to its bytes, so two byte strings never share one.
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let n = 1 + (xorshift(&mut state) % MAX_PACKED as u64) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| xorshift(&mut state) as u8).collect();
            let key = pack_slice(&bytes);
            assert_eq!((key.high >> 32) as usize, n);
            assert_eq!(key.high & !KEY_HIGH, 0);
            let mut decoded = key.low.to_le_bytes().to_vec();
            decoded.extend_from_slice(&(key.high as u32).to_le_bytes());
            assert_eq!(decoded[..n], bytes[..]);
            assert!(decoded[n..].iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn finds_every_token_and_nothing_else() {
        let mut state = 0xdead_beef_cafe_f00d;
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        let mut seen: std::collections::HashSet<Vec<u8>> = tokens.iter().cloned().collect();
        while tokens.len() < 50_000 {
            let n = 1 + (xorshift(&mut state) % 16) as usize;
            // Few distinct bytes, so that many tokens share prefixes and suffixes.
            let bytes: Vec<u8> = (0..n).map(|_| b"ab \n"[(xorshift(&mut state) % 4) as usize]).collect();
            if seen.insert(bytes.clone()) {
                tokens.push(bytes);
            }
        }
        let table = TokenTable::new(tokens.iter().enumerate().map(|(id, t)| (t.as_slice(), id as u32)));
        assert_eq!(table.len(), tokens.iter().filter(|t| t.len() <= MAX_PACKED).count());
        for (id, token) in tokens.iter().enumerate() {
            if token.len() <= MAX_PACKED {
                assert_eq!(table.get(pack_slice(token)), id as u32);
            }
        }
        for _ in 0..20_000 {
            let n = 1 + (xorshift(&mut state) % MAX_PACKED as u64) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| b"abc \n"[(xorshift(&mut state) % 5) as usize]).collect();
            let expected = tokens.iter().position(|t| *t == bytes).map_or(NOT_FOUND, |id| id as u32);
            assert_eq!(table.get(pack_slice(&bytes)), expected, "{bytes:?}");
        }
    }

    #[test]
    fn a_taken_home_slot_sends_the_search_on_to_the_next() {
        // Three tokens whose home is slot 3 of four: they fill slots 3, 0 and 1.
        let probe = &TokenTable::with_slots(4, std::iter::empty());
        let homed = |home: usize| (0..=255u8).map(|b| vec![b'x', b]).filter(move |t| probe.home(pack_slice(t)) == home);
        let tokens: Vec<Vec<u8>> = homed(3).take(3).collect();
        let table = TokenTable::with_slots(4, tokens.iter().enumerate().map(|(id, t)| (t.as_slice(), id as u32)));
        assert_eq!(table.slots.iter().map(|s| s.high >> 40).collect::<Vec<_>>(), [1, 2, 0, 0]);
        assert_eq!(table.slots[2].high, 0);
        for (id, token) in tokens.iter().enumerate() {
            assert_eq!(table.get(pack_slice(token)), id as u32);
        }
        for home in 0..4 {
            let absent = homed(home).nth(5).expect("an absent key");
            assert_eq!(table.get(pack_slice(&absent)), NOT_FOUND);
        }
    }
}
