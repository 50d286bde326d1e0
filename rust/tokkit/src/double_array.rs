//! A double-array trie over byte strings, in the unit layout of darts-clone: the layout of
//! the precompiled normalization maps inside SentencePiece `.model` files, which tokkit
//! reads, and of the piece tries tokkit builds for its own lattices.
//!
//! Data structure: one `u32` per unit. A node at index `n` with offset `o` keeps its child
//! for byte `b` at `n ^ o ^ b`; that unit carries `b` as its label, so a lookup checks one
//! label per byte: a prefix search costs one array read per byte of the key, with no
//! branching on the number of children. A key's value sits at `n ^ o` (the label-0 slot)
//! of the node the key ends at, flagged by bit 8 of the node; its unit has bit 31 set, so
//! its label never equals a byte. Offsets below 2^21 are stored as they are, larger ones as
//! multiples of 256 (bit 9 set).
//!
//! Building places the nodes depth first, each at the first free slots that fit all its
//! children (a free list over the array, at most `MAX_TRIES` candidates per node, then a
//! fresh block of 256; a free unit that too many nodes failed to use leaves the list):
//! O(keys · length) for the tries of vocabularies and charsmaps.

use crate::error::{Error, Result};

const HAS_LEAF: u32 = 1 << 8;
const IS_LEAF: u32 = 1 << 31;
/// Free units a node's base search tries before it takes a fresh block.
const MAX_TRIES: usize = 64;
/// Failed searches after which a free unit leaves the free list (`Builder::retire`).
const MAX_FAILURES: u8 = 16;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DoubleArray {
    units: Vec<u32>,
}

#[inline(always)]
fn offset(unit: u32) -> usize {
    ((unit >> 10) << ((unit & (1 << 9)) >> 6)) as usize
}

#[inline(always)]
fn label(unit: u32) -> u32 {
    unit & (IS_LEAF | 0xFF)
}

impl DoubleArray {
    /// A trie from units written by darts-clone (or by `build`). Any units are accepted:
    /// searches on malformed units end early instead of reading out of bounds.
    pub fn from_units(units: Vec<u32>) -> DoubleArray {
        DoubleArray { units }
    }

    pub fn units(&self) -> &[u32] {
        &self.units
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The walk from the root, one byte at a time.
    #[inline(always)]
    pub fn root(&self) -> Cursor {
        Cursor { pos: self.units.first().map_or(0, |&u| offset(u)), leaf: false }
    }

    /// Moves `cursor` along `byte`; false (leaving the cursor unusable) if no key goes on
    /// that way.
    #[inline(always)]
    pub fn step(&self, cursor: &mut Cursor, byte: u8) -> bool {
        let pos = cursor.pos ^ byte as usize;
        match self.units.get(pos) {
            Some(&unit) if label(unit) == byte as u32 => {
                cursor.pos = pos ^ offset(unit);
                cursor.leaf = unit & HAS_LEAF != 0;
                true
            }
            _ => false,
        }
    }

    /// The value of the key the cursor has walked, if that is a key.
    #[inline(always)]
    pub fn value(&self, cursor: &Cursor) -> Option<u32> {
        if cursor.leaf {
            self.units.get(cursor.pos).map(|&u| u & !IS_LEAF)
        } else {
            None
        }
    }

    /// Calls `found(length, value)` for every key that is a prefix of `text`, shortest first.
    #[inline]
    pub fn common_prefixes(&self, text: &[u8], mut found: impl FnMut(usize, u32)) {
        let mut cursor = self.root();
        for (i, &byte) in text.iter().enumerate() {
            if !self.step(&mut cursor, byte) {
                return;
            }
            if let Some(value) = self.value(&cursor) {
                found(i + 1, value);
            }
        }
    }

    /// The index of the root's children block: a walk's first step reads the unit at
    /// `root_base() ^ byte`.
    pub fn root_base(&self) -> usize {
        self.root().pos
    }

    /// Every unit labelled with a byte (1-255), as (its index, that byte, the index of its
    /// children block, the value of the key it ends, if it ends one), in index order: what
    /// another layout of the same trie needs to copy it. For a trie from `build` these are
    /// exactly the nodes a byte leads to; darts-clone files may also label units no walk
    /// reaches, which a copy keeps unreachable.
    pub fn nodes(&self) -> impl Iterator<Item = (usize, u8, usize, Option<u32>)> + '_ {
        self.units.iter().enumerate().skip(1).filter_map(|(i, &unit)| {
            let byte = label(unit);
            if byte == 0 || byte > 0xFF {
                return None; // a value, or a free unit
            }
            let base = i ^ offset(unit);
            let value = match unit & HAS_LEAF {
                0 => None,
                _ => self.units.get(base).map(|&u| u & !IS_LEAF),
            };
            Some((i, byte as u8, base, value))
        })
    }

    /// The value of exactly `key`.
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        let mut cursor = self.root();
        for &byte in key {
            if !self.step(&mut cursor, byte) {
                return None;
            }
        }
        self.value(&cursor)
    }

    /// Builds a trie of `keys`: non-empty, without NUL bytes, values below 2^31. Duplicate
    /// keys keep the first value.
    pub fn build(keys: &[(&[u8], u32)]) -> Result<DoubleArray> {
        let mut sorted: Vec<(&[u8], u32)> = Vec::with_capacity(keys.len());
        for &(key, value) in keys {
            if key.is_empty() || key.contains(&0) || value >= IS_LEAF {
                return Err(Error::InvalidArgument(format!(
                    "cannot put the key {:?} (value {value}) in a trie: keys must be non-empty, \
                     without NUL bytes, and values below 2^31",
                    String::from_utf8_lossy(key)
                )));
            }
            sorted.push((key, value));
        }
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        sorted.dedup_by(|later, earlier| later.0 == earlier.0);
        let mut builder = Builder::default();
        builder.grow();
        builder.take(0);
        if !sorted.is_empty() {
            builder.place_all(&sorted)?;
        }
        // A free unit gets a label no byte has, so a walk never steps into it.
        let mut free = builder.head;
        while free != NIL {
            builder.units[free as usize] = IS_LEAF;
            free = builder.next_free[free as usize];
        }
        builder.units.truncate(builder.last_used + 1);
        Ok(DoubleArray { units: builder.units })
    }
}

/// A position in a walk down the trie.
#[derive(Clone, Copy, Debug)]
pub struct Cursor {
    pos: usize,
    leaf: bool,
}

#[derive(Default)]
struct Builder {
    units: Vec<u32>,
    /// Whether a node already has its children at this base: two nodes must never share
    /// one, or a byte could lead from one node into the other's children.
    base_used: Vec<bool>,
    /// Free slots as a doubly linked list (`NIL`-terminated), in index order.
    next_free: Vec<u32>,
    prev_free: Vec<u32>,
    /// How many searches for a base have failed on each free unit.
    failures: Vec<u8>,
    head: u32,
    tail: u32,
    last_used: usize,
}

const NIL: u32 = u32::MAX;

impl Builder {
    /// Appends a block of 256 free units.
    fn grow(&mut self) -> usize {
        let start = self.units.len();
        if self.units.is_empty() {
            self.head = NIL;
            self.tail = NIL;
        }
        for i in start..start + 256 {
            self.units.push(0);
            self.base_used.push(false);
            self.next_free.push(NIL);
            self.failures.push(0);
            self.prev_free.push(self.tail);
            if self.tail == NIL {
                self.head = i as u32;
            } else {
                self.next_free[self.tail as usize] = i as u32;
            }
            self.tail = i as u32;
        }
        start
    }

    fn is_free(&self, i: usize) -> bool {
        i >= self.units.len() || self.prev_free[i] != NIL || self.head == i as u32
    }

    fn take(&mut self, i: usize) {
        while i >= self.units.len() {
            self.grow();
        }
        self.unlink(i);
        self.last_used = self.last_used.max(i);
    }

    /// Gives up on a free unit that many nodes have failed to use: it stays free (with a
    /// label no byte has) but leaves the free list, so the search for a base stops walking
    /// over it. Without this, a large vocabulary fills the front of the list with units
    /// that fit nothing, every search fails on them, and each failure adds a fresh block.
    fn retire(&mut self, i: usize) {
        self.unlink(i);
        self.units[i] = IS_LEAF;
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.prev_free[i], self.next_free[i]);
        if prev == NIL {
            self.head = next;
        } else {
            self.next_free[prev as usize] = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.prev_free[next as usize] = prev;
        }
        self.prev_free[i] = NIL;
        self.next_free[i] = NIL;
    }

    fn encodable(node: usize, base: usize) -> bool {
        let o = node ^ base;
        o < (1 << 21) || (o & 0xFF == 0 && o < (1 << 29))
    }

    /// A base for the children of `node`: every `base ^ label` free and not the root, and
    /// the base itself not the root either (a NUL byte would step from the node to it).
    fn find_base(&mut self, node: usize, labels: &[u8]) -> usize {
        let mut candidate = self.head;
        for _ in 0..MAX_TRIES {
            if candidate == NIL {
                break;
            }
            let base = candidate as usize ^ labels[0] as usize;
            if base != 0
                && !self.base_used[base]
                && Self::encodable(node, base)
                && labels.iter().all(|&l| {
                    let i = base ^ l as usize;
                    i != 0 && self.is_free(i)
                })
            {
                return base;
            }
            let next = self.next_free[candidate as usize];
            self.failures[candidate as usize] += 1;
            if self.failures[candidate as usize] == MAX_FAILURES {
                self.retire(candidate as usize);
            }
            candidate = next;
        }
        // A fresh block, addressed so that the offset is a multiple of 256.
        let block = self.units.len();
        self.grow();
        block | (node & 0xFF)
    }

    fn place_all(&mut self, keys: &[(&[u8], u32)]) -> Result<()> {
        // (node index, key range, depth): the keys of the range share their first `depth`
        // bytes, which lead to the node.
        let mut stack = vec![(0usize, 0usize, keys.len(), 0usize)];
        let mut labels = Vec::with_capacity(256);
        let mut ranges = Vec::with_capacity(256);
        while let Some((node, lo, hi, depth)) = stack.pop() {
            labels.clear();
            ranges.clear();
            let mut i = lo;
            while i < hi {
                let key = keys[i].0;
                let l = if key.len() == depth { 0 } else { key[depth] };
                let start = i;
                i += 1;
                while i < hi {
                    let next = keys[i].0;
                    let nl = if next.len() == depth { 0 } else { next[depth] };
                    if nl != l {
                        break;
                    }
                    i += 1;
                }
                labels.push(l);
                ranges.push((start, i));
            }
            let base = self.find_base(node, &labels);
            self.base_used[base] = true;
            let o = node ^ base;
            let encoded = if o < (1 << 21) { (o as u32) << 10 } else { ((o as u32) << 2) | (1 << 9) };
            self.units[node] |= encoded;
            for (&l, &(start, end)) in labels.iter().zip(ranges.iter()) {
                let child = base ^ l as usize;
                self.take(child);
                if l == 0 {
                    self.units[child] = IS_LEAF | keys[start].1;
                    self.units[node] |= HAS_LEAF;
                } else {
                    self.units[child] = l as u32;
                    stack.push((child, start, end, depth + 1));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie(keys: &[&str]) -> DoubleArray {
        let pairs: Vec<(&[u8], u32)> = keys.iter().enumerate().map(|(i, k)| (k.as_bytes(), i as u32)).collect();
        DoubleArray::build(&pairs).unwrap()
    }

    #[test]
    fn finds_every_key_and_nothing_else() {
        let keys = ["a", "ab", "abc", "b", "bcd", "▁the", "▁th", "日本", "日本語"];
        let t = trie(&keys);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(t.get(k.as_bytes()), Some(i as u32), "{k}");
        }
        for missing in ["", "abcd", "bc", "c", "▁t", "日"] {
            assert_eq!(t.get(missing.as_bytes()), None, "{missing}");
        }
    }

    #[test]
    fn the_nodes_spell_every_key_and_carry_the_values_of_keys_only() {
        let keys = ["a", "ab", "abc", "b", "bcd", "▁the", "▁th", "日本", "日本語"];
        let t = trie(&keys);
        let nodes: std::collections::HashMap<usize, (u8, usize, Option<u32>)> =
            t.nodes().map(|(index, byte, base, value)| (index, (byte, base, value))).collect();
        let mut on_a_path = std::collections::HashSet::new();
        for key in keys {
            let mut base = t.root_base();
            for (depth, &byte) in key.as_bytes().iter().enumerate() {
                let index = base ^ byte as usize;
                let &(label, children, value) = nodes.get(&index).expect("a node on the key's path");
                assert_eq!(label, byte);
                let prefix = &key.as_bytes()[..=depth];
                let expected = keys.iter().position(|k| k.as_bytes() == prefix).map(|i| i as u32);
                assert_eq!(value, expected, "{}", String::from_utf8_lossy(prefix));
                base = children;
                on_a_path.insert(index);
            }
        }
        assert_eq!(nodes.len(), on_a_path.len(), "every node lies on a key's path");
    }

    #[test]
    fn common_prefixes_come_shortest_first() {
        let t = trie(&["a", "ab", "abc", "b"]);
        let mut found = Vec::new();
        t.common_prefixes(b"abcd", |len, value| found.push((len, value)));
        assert_eq!(found, vec![(1, 0), (2, 1), (3, 2)]);
    }

    #[test]
    fn many_keys_build_and_search() {
        let keys: Vec<String> = (0..50_000u32).map(|i| format!("{}{}", i * 7919 % 100_003, i % 13)).collect();
        let pairs: Vec<(&[u8], u32)> = keys.iter().enumerate().map(|(i, k)| (k.as_bytes(), i as u32)).collect();
        let t = DoubleArray::build(&pairs).unwrap();
        let mut first = std::collections::HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            first.entry(k.clone()).or_insert(i as u32);
        }
        for (k, &i) in &first {
            assert_eq!(t.get(k.as_bytes()), Some(i));
        }
    }

    #[test]
    fn a_walk_never_leaves_the_keys() {
        let offset = crate::fuzz::seed(1442695040888963407);
        let keys: Vec<String> = (0..crate::fuzz::cases(20_000) as u64)
            .map(|i| {
                let x = i.wrapping_mul(6364136223846793005).wrapping_add(offset);
                (0..1 + (x >> 60) % 6).map(|j| b"abcde"[((x >> (j * 5 + 3)) % 5) as usize] as char).collect()
            })
            .collect();
        let pairs: Vec<(&[u8], u32)> = keys.iter().enumerate().map(|(i, k)| (k.as_bytes(), i as u32)).collect();
        let t = DoubleArray::build(&pairs).unwrap();
        let set: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        for key in &keys {
            for extra in ["a", "b", "e", "ab", "q", "\0"] {
                let probe = format!("{key}{extra}");
                assert_eq!(t.get(probe.as_bytes()).is_some(), set.contains(probe.as_str()), "{probe:?}");
            }
        }
    }

    #[test]
    fn a_large_vocabulary_stays_compact() {
        // Words of a mixed alphabet (one-, two- and three-byte characters), like a large
        // multilingual vocabulary: the build must keep filling free units rather than
        // adding fresh blocks for nodes that fit nowhere in the front of the list.
        let alphabet: Vec<char> = "etaoinshrdlucmfwypvbgkjqxz éàüöñçøåłśžčđ日本語中文한국어ыжщэюя".chars().collect();
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        let keys: Vec<String> =
            (0..200_000).map(|_| (0..1 + next(9)).map(|_| alphabet[next(alphabet.len())]).collect()).collect();
        let pairs: Vec<(&[u8], u32)> = keys.iter().enumerate().map(|(i, k)| (k.as_bytes(), i as u32)).collect();
        let t = DoubleArray::build(&pairs).unwrap();
        // Every node and every key's value needs a unit of its own. This build takes 1.7
        // times that; without retiring units it took 200 times.
        let mut prefixes = std::collections::HashSet::new();
        for key in &keys {
            for end in 1..=key.len() {
                prefixes.insert(&key.as_bytes()[..end]);
            }
        }
        let needed = prefixes.len() + keys.len();
        assert!(t.units().len() < needed * 2, "{} units for {needed} nodes and values", t.units().len());
        for &(key, _) in pairs.iter().step_by(97) {
            assert_eq!(t.get(key).map(|v| keys[v as usize].as_bytes()), Some(key));
        }
    }

    #[test]
    fn malformed_units_end_the_search() {
        let t = DoubleArray::from_units(vec![u32::MAX, 7, 1 << 31]);
        assert_eq!(t.get(b"abc"), None);
        t.common_prefixes(b"\xff\xfe", |_, _| {});
    }
}
