//! The builtin splitters read off bitmasks: where a piece starts on an ASCII byte and
//! every byte that decides its end is ASCII, its end is a bit scan over the class masks
//! of the 64 bytes from its start (`ascii_masks.rs`), with no decoding and no branch per
//! character. Anything else (a non-ASCII byte that could change the piece, the end of the
//! text, a run longer than the masks reach) returns None, and the caller asks the
//! character-by-character splitter of `fast.rs`, which is the reference: both follow the
//! same alternatives in the same order, and the tests hold them equal.
//!
//! Masks are computed a chunk at a time (64 blocks of 64 bytes, plus one block beyond so
//! that any piece starting in the chunk sees 64 bytes), so classification costs one pass
//! over the text, and a piece costs a few shifts and a bit scan or two.

use super::ascii_masks::{Block, Kernel, BLOCK};
use super::block_starts::{self, Carry, Window};
use super::fast::Scanner;
use super::Builtin;

/// Blocks per chunk.
const CHUNK_BLOCKS: usize = 64;

/// The class masks of a chunk of the text.
pub(super) struct Chunk {
    kernel: Kernel,
    /// The byte the chunk starts at.
    base: usize,
    blocks: [Block; CHUNK_BLOCKS + 1],
}

impl Chunk {
    pub fn new(kernel: Kernel) -> Chunk {
        Chunk { kernel, base: usize::MAX, blocks: [Block::default(); CHUNK_BLOCKS + 1] }
    }

    /// The masks of the 64 bytes from `at` (bit 0 is byte `at`), computing the chunk that
    /// starts there first if `at` is not in the present one.
    #[inline(always)]
    fn view(&mut self, bytes: &[u8], at: usize) -> View<'_> {
        let mut offset = at.wrapping_sub(self.base);
        if offset >= CHUNK_BLOCKS * BLOCK {
            self.base = at;
            self.kernel.classify(bytes, at, &mut self.blocks);
            offset = 0;
        }
        View { here: &self.blocks[offset / BLOCK], next: &self.blocks[offset / BLOCK + 1], shift: offset % BLOCK }
    }
}

/// The class masks of the 64 bytes from a piece's start: the rest of the block it starts
/// in and the start of the next, each mask shifted into place only when asked for.
struct View<'a> {
    here: &'a Block,
    next: &'a Block,
    shift: usize,
}

macro_rules! masks {
    ($($class:ident),*) => {
        $(
            #[inline(always)]
            fn $class(&self) -> u64 {
                // The second shift is split in two so that a shift of 0 takes nothing.
                self.here.$class >> self.shift | (self.next.$class << 1) << (63 - self.shift)
            }
        )*
    };
}

impl View<'_> {
    masks!(upper, lower, letter, digit, space, newline, slash, other);

    /// `[^\s\p{L}\p{N}]` among ASCII bytes.
    #[inline(always)]
    fn symbol(&self) -> u64 {
        !(self.letter() | self.digit() | self.space() | self.other())
    }

    /// True when byte `k` of the view is known: inside the view and ASCII.
    #[inline(always)]
    fn known(&self, k: u32) -> bool {
        k < 64 && self.other() >> k & 1 == 0
    }
}

/// The first byte at or after `from` (< 64) that is not in `mask`; 64 if the run fills
/// the view.
#[inline(always)]
fn run_end(mask: u64, from: u32) -> u32 {
    from + (!mask >> from).trailing_zeros().min(64 - from)
}

#[inline(always)]
fn bit(mask: u64, k: u32) -> bool {
    mask >> k & 1 != 0
}

/// A run of `mask` from `from`, if the byte that ends it is known (an unknown one might
/// have continued it).
#[inline(always)]
fn known_run(v: &View, mask: u64, from: u32) -> Option<u32> {
    let end = run_end(mask, from);
    v.known(end).then_some(end)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Whitespace {
    Gpt2,
    /// cl100k, llama3 and o200k: a run that holds a line break ends after its last one.
    ToLastNewline,
}

/// The piece the whitespace alternatives take at an ASCII whitespace byte (see
/// `fast::whitespace`); the end of the text is unknown, so `\s++$` goes to the reference.
#[inline(always)]
fn whitespace(v: &View, style: Whitespace) -> Option<u32> {
    let end = known_run(v, v.space(), 0)?;
    if style == Whitespace::ToLastNewline {
        let newlines = v.newline() & ((1u64 << end) - 1);
        if newlines != 0 {
            return Some(64 - newlines.leading_zeros());
        }
    }
    // `\s+(?!\S)` leaves the last whitespace byte to the next piece; one alone is `\s`.
    Some(if end > 1 { end - 1 } else { 1 })
}

/// The end of the piece at `i`, if the masks decide it.
#[inline(always)]
fn piece_end(builtin: Builtin, t: &Scanner, i: usize, v: &View) -> Option<usize> {
    if !v.known(0) {
        return None;
    }
    let length = match builtin {
        Builtin::Gpt2 => gpt2(t, i, v),
        Builtin::Cl100k => cl100k_like(t, i, v),
        Builtin::Llama3 => cl100k_like(t, i, v),
        Builtin::O200k => o200k(t, i, v),
    }?;
    Some(i + length as usize)
}

/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
#[inline(always)]
fn gpt2(t: &Scanner, i: usize, v: &View) -> Option<u32> {
    let c = t.bytes[i];
    if c == b'\'' {
        if let Some(end) = t.contraction(i, false) {
            return Some((end - i) as u32);
        }
    }
    let from = if c == b' ' {
        if !v.known(1) {
            return None;
        }
        u32::from(!bit(v.space(), 1))
    } else {
        0
    };
    let letter = v.letter();
    if bit(letter, from) {
        known_run(v, letter, from)
    } else if bit(v.digit(), from) {
        known_run(v, v.digit(), from)
    } else if bit(v.symbol(), from) {
        known_run(v, v.symbol(), from)
    } else {
        whitespace(v, Whitespace::Gpt2)
    }
}

/// cl100k's and llama3's pattern, which differ only where the end of the text decides:
/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|...`
#[inline(always)]
fn cl100k_like(t: &Scanner, i: usize, v: &View) -> Option<u32> {
    let c = t.bytes[i];
    if c == b'\'' {
        if let Some(end) = t.contraction(i, true) {
            return Some((end - i) as u32);
        }
    }
    let letter = v.letter();
    if bit(letter, 0) {
        return known_run(v, letter, 0);
    }
    if !v.known(1) {
        return None;
    }
    if prefixed_letters(v) {
        return known_run(v, letter, 1);
    }
    digits_symbols_or_space(c, v, v.newline())
}

/// True when the byte at 0 is `[^\r\n\p{L}\p{N}]` and a letter follows it (the byte at 1
/// known), so the two start a letter piece together.
#[inline(always)]
fn prefixed_letters(v: &View) -> bool {
    bit(v.letter(), 1) && !bit(v.letter() | v.digit() | v.newline(), 0)
}

/// The alternatives cl100k, llama3 and o200k share after their letter ones, at a byte
/// that starts no letter piece (the byte after it known):
/// `\p{N}{1,3}| ?[^\s\p{L}\p{N}]+TAIL*|` then whitespace, where TAIL is the bytes of
/// `symbol_tail` (`[\r\n]`, or o200k's `[\r\n/]`).
#[inline(always)]
fn digits_symbols_or_space(c: u8, v: &View, symbol_tail: u64) -> Option<u32> {
    if bit(v.digit(), 0) {
        let end = run_end(v.digit(), 0);
        return if end >= 3 { Some(3) } else { v.known(end).then_some(end) };
    }
    let symbol = v.symbol();
    let from = u32::from(c == b' ' && bit(symbol, 1));
    if bit(symbol, from) {
        let end = known_run(v, symbol, from)?;
        let end = run_end(symbol_tail, end);
        return (end < 64).then_some(end);
    }
    whitespace(v, Whitespace::ToLastNewline)
}

/// o200k's pattern on ASCII, where its upper class is `A-Z` and its lower class `a-z`, so
/// its two letter alternatives take an optional prefix, the run of capitals, then the run
/// of small letters, then a contraction if one follows (see `fast::o200k_letters`).
#[inline(always)]
fn o200k(t: &Scanner, i: usize, v: &View) -> Option<u32> {
    let c = t.bytes[i];
    let letter = v.letter();
    let from = if bit(letter, 0) {
        Some(0)
    } else {
        if !v.known(1) {
            return None;
        }
        prefixed_letters(v).then_some(1)
    };
    if let Some(from) = from {
        let capitals_end = known_run(v, v.upper(), from)?;
        let end = known_run(v, v.lower(), capitals_end)?;
        let end = i + end as usize;
        return Some((t.contraction(end, true).unwrap_or(end) - i) as u32);
    }
    digits_symbols_or_space(c, v, v.newline() | v.slash())
}

/// Calls `emit(start, end)` for each piece of the text: for r50k, cl100k and llama3, from
/// the start masks of whole blocks where they decide (`block_starts.rs`); otherwise, and
/// elsewhere, a piece at a time, the masks deciding where they can and the reference
/// splitter where they cannot.
#[inline(always)]
pub(super) fn for_each_piece(builtin: Builtin, kernel: Kernel, text: &str, emit: impl FnMut(usize, usize)) {
    if block_starts::decides(builtin) {
        by_blocks(builtin, kernel, text, emit)
    } else {
        piece_by_piece(builtin, kernel, text, emit)
    }
}

/// Every piece found one at a time.
#[inline(always)]
pub(super) fn piece_by_piece(builtin: Builtin, kernel: Kernel, text: &str, mut emit: impl FnMut(usize, usize)) {
    let mut finder = Finder::new(builtin, kernel, text);
    let mut start = 0;
    while start < text.len() {
        let end = finder.end(start);
        emit(start, end);
        start = end;
    }
}

/// Finds the piece at a given start: the masks where they decide, the reference elsewhere.
struct Finder<'t> {
    builtin: Builtin,
    scanner: Scanner<'t>,
    chunk: Chunk,
}

impl<'t> Finder<'t> {
    fn new(builtin: Builtin, kernel: Kernel, text: &'t str) -> Self {
        Finder { builtin, scanner: Scanner::new(text), chunk: Chunk::new(kernel) }
    }

    #[inline(always)]
    fn end(&mut self, start: usize) -> usize {
        let view = self.chunk.view(self.scanner.bytes, start);
        piece_end(self.builtin, &self.scanner, start, &view).unwrap_or_else(|| self.builtin.piece_end(&self.scanner, start))
    }
}

/// Pieces from each block's starts where its masks decide them,
/// and piece by piece through blocks where they do not.
#[inline(always)]
fn by_blocks(builtin: Builtin, kernel: Kernel, text: &str, mut emit: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    let mut finder = Finder::new(builtin, kernel, text);
    // blocks[0] is the block before the chunk (before the text: all `other`), then the
    // chunk's blocks, then the one after it.
    let mut blocks = [Block::default(); CHUNK_BLOCKS + 2];
    blocks[0].other = u64::MAX;
    let mut carry = Carry::default();
    let mut pos = 0;
    let mut chunk_base = 0;
    while chunk_base < bytes.len() {
        kernel.classify(bytes, chunk_base, &mut blocks[1..]);
        for k in 1..=CHUNK_BLOCKS {
            let base = chunk_base + (k - 1) * BLOCK;
            if base >= bytes.len() {
                break;
            }
            if pos >= base + BLOCK {
                carry = Carry::default();
                continue;
            }
            let window = Window { base, prev: &blocks[k - 1], cur: &blocks[k], next: &blocks[k + 1] };
            match block_starts::starts(builtin, &finder.scanner, &window, pos, &mut carry) {
                Some(starts) => {
                    // Only starts after `pos` are new.
                    let mut starts = match pos.checked_sub(base) {
                        Some(k) => starts & !(2u64 << k).wrapping_sub(1),
                        None => starts,
                    };
                    while starts != 0 {
                        let at = base + starts.trailing_zeros() as usize;
                        emit(pos, at);
                        pos = at;
                        starts &= starts - 1;
                    }
                }
                None => {
                    carry = Carry::default();
                    while pos < base + BLOCK && pos < bytes.len() {
                        let end = finder.end(pos);
                        emit(pos, end);
                        pos = end;
                    }
                }
            }
        }
        blocks[0] = blocks[CHUNK_BLOCKS];
        chunk_base += CHUNK_BLOCKS * BLOCK;
    }
    // The block holding the end of the text is never decided by its masks, so its last
    // piece has been found one at a time.
    debug_assert_eq!(pos, bytes.len());
}
