//! Pieces of ASCII text a block of 64 bytes at a time, for cl100k, llama3 and GPT-2 (r50k,
//! p50k): the bytes where pieces start, as one bitmask computed from the class masks, and
//! then one bit scan per piece. No decision is made per piece, so there is no branch to
//! mispredict. (GPT-2's rules are simpler; they are given at `gpt2` below.)
//!
//! On ASCII, cl100k's and llama3's pattern
//! `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
//! starts a piece at exactly these bytes (L letters, N digits, S whitespace, NL `\r\n`,
//! T whitespace other than NL, O the rest, "symbols"):
//! - a symbol that begins its run, unless a space comes before it (` ?` takes that space,
//!   and the piece starts there). Call such a symbol *solo*.
//! - a letter that begins its run, unless the byte before it is T or a solo symbol: the
//!   letters' optional prefix takes that byte, and the piece starts there;
//! - the first digit of a run, and every third digit after it;
//! - the first whitespace byte of a run, unless it is a line break that a symbol piece
//!   took (`[\r\n]*` after the symbols takes all the line breaks that follow them); then
//!   the first T byte after those line breaks;
//! - the first T byte after a line break in a whitespace run, when no line break follows
//!   in the same run (`\s*[\r\n]` ends after the run's last line break);
//! - a T byte followed by a byte that is not whitespace (`\s+(?!\S)` leaves the run's
//!   last byte, and a lone one is `\s`, or the prefix of what follows);
//! - after a contraction (a solo `'` followed by s, t, m, d, re, ve or ll in either case),
//!   the letter that follows it, if any.
//!
//! A block is decided this way when it and the bytes that decide it (three before, one
//! after, and the end of a run of T bytes after a line break) are ASCII and inside the
//! text; the end of the text always is decided elsewhere (`\s++$`). Other blocks go to the
//! per-piece splitter (`masked.rs` and its reference), which is exact everywhere. Runs
//! crossing blocks carry what the next block needs: the digit starts, whether a symbol
//! piece is taking line breaks, and a start a contraction put past the block's end.

use super::ascii_masks::{Block, BLOCK};
use super::fast::Scanner;
use super::Builtin;

/// What a block passes to the next one.
#[derive(Clone, Copy, Default)]
pub(super) struct Carry {
    /// The digit starts of the block.
    digits: u64,
    /// Whether its last byte is a line break a symbol piece took (bit 0).
    taken_newline: u64,
    /// Starts in the next block that a contraction at the end of this one put there.
    forced: u64,
    /// Bytes of the next block that a contraction at the end of this one took.
    taken: u64,
}

/// A block and its neighbours' class masks.
pub(super) struct Window<'a> {
    /// The byte the block starts at.
    pub base: usize,
    pub prev: &'a Block,
    pub cur: &'a Block,
    pub next: &'a Block,
}

/// Bit k is bit k−1 of the mask (from `prev`'s last bit at k = 0).
#[inline(always)]
fn before(x: u64, prev: u64) -> u64 {
    x << 1 | prev >> 63
}

/// Bit k is bit k−2 of the mask.
#[inline(always)]
fn before2(x: u64, prev: u64) -> u64 {
    x << 2 | prev >> 62
}

/// Bit k is bit k+1 of the mask (from `next`'s first bit at k = 63).
#[inline(always)]
fn after(x: u64, next: u64) -> u64 {
    x >> 1 | next << 63
}

/// The bytes of the window's block where pieces start, or None if the masks do not
/// decide them. `pos` is a known start (at or before the block, or in it): a digit run
/// it begins continues in threes from it even when the block before was not decided.
#[inline(always)]
pub(super) fn starts(builtin: Builtin, scanner: &Scanner, w: &Window, pos: usize, carry: &mut Carry) -> Option<u64> {
    // The block, the byte after it and the three before it must be known. Before the
    // text's first block, `prev` says nothing is there (every byte `other`).
    if w.cur.other != 0 || w.next.other & 1 != 0 || (w.base != 0 && w.prev.other >> 61 != 0) {
        return None;
    }
    match builtin {
        Builtin::Cl100k | Builtin::Llama3 => cl100k_like(scanner, w, pos, carry),
        Builtin::Gpt2 => Some(gpt2(scanner, w, carry)),
        Builtin::O200k => None,
    }
}

/// Which builtins `starts` decides blocks for.
pub(super) fn decides(builtin: Builtin) -> bool {
    builtin != Builtin::O200k
}

/// Applies the contractions at `candidates` (apostrophes that start a piece and have a
/// letter after them) to `starts`: the letter after the apostrophe is inside the
/// contraction, and the letter after the contraction, if any, starts a piece. Returns
/// what falls in the next block: the starts put there and the bytes taken there.
#[inline(always)]
fn contractions(scanner: &Scanner, w: &Window, mut candidates: u64, ignore_case: bool, starts: &mut u64) -> (u64, u64) {
    let letters = w.cur.letter as u128 | (w.next.letter as u128) << 64;
    let (mut forced, mut taken) = (0, 0);
    while candidates != 0 {
        let at = w.base + candidates.trailing_zeros() as usize;
        if let Some(end) = scanner.contraction(at, ignore_case) {
            let inside = at + 1 - w.base;
            if inside < BLOCK {
                *starts &= !(1 << inside);
            } else {
                taken = 1;
            }
            let k = end - w.base;
            if letters >> k & 1 != 0 {
                if k < BLOCK {
                    *starts |= 1 << k;
                } else {
                    forced |= 1 << (k - BLOCK);
                }
            }
        }
        candidates &= candidates - 1;
    }
    (forced, taken)
}

#[inline(always)]
fn cl100k_like(scanner: &Scanner, w: &Window, pos: usize, carry: &mut Carry) -> Option<u64> {
    let (base, prev, cur, next) = (w.base, w.prev, w.cur, w.next);
    let (letter, digit, space, newline, blank) = (cur.letter, cur.digit, cur.space, cur.newline, cur.blank);
    let blanks = space & !newline;
    let symbol = !(letter | digit | space);
    let prev_symbol = !(prev.letter | prev.digit | prev.space | prev.other);
    let prev_blanks = prev.space & !prev.newline;

    // Symbols beginning their run with no space before them.
    let solo = symbol & !before(symbol, prev_symbol) & !before(blank, prev.blank);
    let prev_solo_last = prev_symbol >> 63 & !(prev_symbol >> 62) & !(prev.blank >> 62) & 1;
    let after_solo = solo << 1 | prev_solo_last;

    let letters = letter & !before(letter, prev.letter) & !(before(blanks, prev_blanks) | after_solo);

    let digit_runs = digit & !before(digit, prev.digit);
    let third = digit & before(digit, prev.digit) & before2(digit, prev.digit);
    let pos_bit = match pos.checked_sub(base) {
        Some(k) if k < BLOCK => 1u64 << k,
        _ => 0,
    };
    let mut digits = digit_runs | pos_bit & digit | carry.digits >> 61 & third;
    loop {
        let more = digits | digits << 3 & third;
        if more == digits {
            break;
        }
        digits = more;
    }

    // Line breaks right after symbols, and those after them, belong to the symbol piece.
    let seeds = newline & (before(symbol, prev_symbol) | carry.taken_newline);
    let taken = newline & !newline.wrapping_add(seeds);
    let after_taken = blanks & (taken << 1 | carry.taken_newline);
    let run_starts = space & !before(space, prev.space) & !taken;

    // T bytes after a line break start a piece if their run ends in a non-space byte.
    let after_newline = blanks & before(newline, prev.newline);
    let next_blanks = next.space & !next.newline;
    let blanks128 = blanks as u128 | (next_blanks as u128) << 64;
    let (sum, overflow) = blanks128.overflowing_add(after_newline as u128);
    if overflow {
        return None;
    }
    let ends = sum & !blanks128;
    if ends & (next.other as u128) << 64 != 0 {
        return None;
    }
    let mut line_tails = after_newline;
    let mut more_newlines = ends & (newline as u128 | (next.newline as u128) << 64);
    while more_newlines != 0 {
        // The run ending here began at the last candidate before it: not a start.
        let below = after_newline as u128 & ((1u128 << more_newlines.trailing_zeros()) - 1);
        line_tails &= !(1u64 << (127 - below.leading_zeros()));
        more_newlines &= more_newlines - 1;
    }

    let last_blanks = blanks & !after(space, next.space);

    let mut starts = (solo | letters | digits | run_starts | after_taken | line_tails | last_blanks | carry.forced)
        & !carry.taken;
    let (forced, taken_next) = contractions(scanner, w, solo & after(letter, next.letter), true, &mut starts);
    *carry = Carry { digits, taken_newline: taken >> 63, forced, taken: taken_next };
    Some(starts)
}

/// GPT-2's pattern (r50k, p50k),
/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, on ASCII:
/// a piece starts at the first byte of every run of letters, digits or symbols, unless a
/// space comes before it (` ?` takes the space, and the piece starts there); at the first
/// byte of a whitespace run, and at its last byte when a byte that is not whitespace
/// follows; and after a contraction (a `'` beginning its run, followed by s, t, m, d, re,
/// ve or ll, in small letters) at the letter that follows it, if any, and not at the letter
/// after the apostrophe.
#[inline(always)]
fn gpt2(scanner: &Scanner, w: &Window, carry: &mut Carry) -> u64 {
    let (prev, cur, next) = (w.prev, w.cur, w.next);
    let (letter, digit, space) = (cur.letter, cur.digit, cur.space);
    let symbol = !(letter | digit | space);
    let prev_symbol = !(prev.letter | prev.digit | prev.space | prev.other);
    let unprefixed = !before(cur.blank, prev.blank);
    let symbol_runs = symbol & !before(symbol, prev_symbol);
    let runs = letter & !before(letter, prev.letter) | digit & !before(digit, prev.digit) | symbol_runs;
    let spaces = space & !before(space, prev.space) | space & !after(space, next.space);
    let mut starts = (runs & unprefixed | spaces | carry.forced) & !carry.taken;
    let candidates = symbol_runs & unprefixed & after(letter, next.letter);
    let (forced, taken) = contractions(scanner, w, candidates, false, &mut starts);
    *carry = Carry { forced, taken, ..Carry::default() };
    starts
}
