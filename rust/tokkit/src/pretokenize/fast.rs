//! Hand-written splitters for the GPT-2, cl100k, llama3 and o200k patterns.
//!
//! Each function returns the end of the piece that the pattern's regex matches at `i`,
//! following the regex's alternatives in order with leftmost-first (backtracking)
//! semantics, so the pieces are the regex's pieces. They are held equal to fancy-regex
//! by the tests in `tests.rs` beside this file and by the Python property tests.
//!
//! Cost: every function is linear in the length of the piece it returns, plus at most one
//! extra scan of the same characters, so splitting is linear in the text. The regexes
//! themselves are not: fancy-regex backtracks `\s+(?!\S)` over long whitespace runs.

use super::classes::{LETTER, LL, LM, LO, LT, LU, MARK, NUMBER, SPACE};

const SPACE_CHAR: u32 = ' ' as u32;
const CR: u32 = '\r' as u32;
const LF: u32 = '\n' as u32;

/// o200k's "upper" class `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` and "lower" class
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`; note that they overlap in Lm, Lo and M.
const UPPER: u8 = LU | LT | LM | LO | MARK;
const LOWER: u8 = LL | LM | LO | MARK;

/// A text being split: its bytes and the class table.
pub(crate) struct Scanner<'a> {
    pub(super) bytes: &'a [u8],
    table: &'static [u8],
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        Scanner { bytes: text.as_bytes(), table: super::classes::table() }
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The code point at byte `i`, its class bits and the byte index after it.
    #[inline(always)]
    fn at(&self, i: usize) -> (u32, u8, usize) {
        let b = self.bytes;
        let b0 = b[i] as u32;
        let (cp, next) = if b0 < 0x80 {
            (b0, i + 1)
        } else if b0 < 0xE0 {
            (((b0 & 0x1F) << 6) | (b[i + 1] as u32 & 0x3F), i + 2)
        } else if b0 < 0xF0 {
            let cp = ((b0 & 0x0F) << 12) | ((b[i + 1] as u32 & 0x3F) << 6) | (b[i + 2] as u32 & 0x3F);
            (cp, i + 3)
        } else {
            let cp = ((b0 & 0x07) << 18)
                | ((b[i + 1] as u32 & 0x3F) << 12)
                | ((b[i + 2] as u32 & 0x3F) << 6)
                | (b[i + 3] as u32 & 0x3F);
            (cp, i + 4)
        };
        (cp, self.table[cp as usize], next)
    }

    /// The start of the character that ends at byte `i`.
    #[inline(always)]
    fn prev(&self, mut i: usize) -> usize {
        i -= 1;
        while self.bytes[i] & 0xC0 == 0x80 {
            i -= 1;
        }
        i
    }

    /// The end of the longest run of characters from `i` that satisfy `keep`.
    #[inline(always)]
    fn run(&self, mut i: usize, keep: impl Fn(u32, u8) -> bool) -> usize {
        while i < self.len() {
            let (cp, class, next) = self.at(i);
            if !keep(cp, class) {
                break;
            }
            i = next;
        }
        i
    }

    /// Like `run`, but at most `limit` characters long.
    #[inline(always)]
    fn run_at_most(&self, mut i: usize, limit: usize, keep: impl Fn(u32, u8) -> bool) -> usize {
        for _ in 0..limit {
            if i >= self.len() {
                break;
            }
            let (cp, class, next) = self.at(i);
            if !keep(cp, class) {
                break;
            }
            i = next;
        }
        i
    }

    /// The class of the character at `i`, or 0 past the end.
    #[inline(always)]
    fn class_at(&self, i: usize) -> u8 {
        if i < self.len() {
            self.at(i).1
        } else {
            0
        }
    }

    /// `'(?:[sdmt]|ll|ve|re)` at `i` (case-insensitively when asked, as `(?i:...)` does
    /// with Unicode simple case folding, under which `ſ` matches `s`). The apostrophe test
    /// is inlined; the rest is rare.
    #[inline(always)]
    pub(super) fn contraction(&self, i: usize, ignore_case: bool) -> Option<usize> {
        if i + 1 < self.len() && self.bytes[i] == b'\'' {
            self.contraction_after_apostrophe(i, ignore_case)
        } else {
            None
        }
    }

    #[inline(never)]
    fn contraction_after_apostrophe(&self, i: usize, ignore_case: bool) -> Option<usize> {
        let fold = |cp: u32| -> u32 {
            if !ignore_case {
                cp
            } else if cp == 'ſ' as u32 {
                's' as u32
            } else if (b'A' as u32..=b'Z' as u32).contains(&cp) {
                cp + 32
            } else {
                cp
            }
        };
        let (c1, _, j) = self.at(i + 1);
        let second = match char::from_u32(fold(c1)) {
            Some('s' | 'd' | 'm' | 't') => return Some(j),
            Some('l') => 'l',
            Some('v' | 'r') => 'e',
            _ => return None,
        };
        if j < self.len() {
            let (c2, _, k) = self.at(j);
            if fold(c2) == second as u32 {
                return Some(k);
            }
        }
        None
    }
}

#[inline(always)]
fn is_letter(_: u32, class: u8) -> bool {
    class & LETTER != 0
}
#[inline(always)]
fn is_number(_: u32, class: u8) -> bool {
    class & NUMBER != 0
}
#[inline(always)]
fn is_space(_: u32, class: u8) -> bool {
    class & SPACE != 0
}
/// `[^\s\p{L}\p{N}]`
#[inline(always)]
fn is_symbol(_: u32, class: u8) -> bool {
    class & (SPACE | LETTER | NUMBER) == 0
}
/// `[^\r\n\p{L}\p{N}]`
#[inline(always)]
fn is_prefix(cp: u32, class: u8) -> bool {
    cp != CR && cp != LF && class & (LETTER | NUMBER) == 0
}
#[inline(always)]
fn is_newline(cp: u32, _: u8) -> bool {
    cp == CR || cp == LF
}

/// How a pattern's whitespace alternatives end a run of whitespace.
#[derive(Clone, Copy)]
enum Whitespace {
    /// `\s++$|\s+(?!\S)|\s`
    Gpt2,
    /// `\s++$|\s*[\r\n]|\s+(?!\S)|\s`
    Cl100k,
    /// `\s*[\r\n]+|\s+(?!\S)|\s+`
    Llama3,
}

/// The piece the whitespace alternatives match at `i`, where a whitespace character starts.
#[inline]
fn whitespace(t: &Scanner, i: usize, style: Whitespace) -> usize {
    let end = t.run(i, is_space);
    let last_newline = || {
        let mut j = end;
        while j > i {
            j = t.prev(j);
            if is_newline(t.bytes[j] as u32, 0) {
                return Some(j + 1);
            }
        }
        None
    };
    let at_end = end == t.len();
    match style {
        Whitespace::Gpt2 | Whitespace::Cl100k if at_end => return end,
        Whitespace::Gpt2 => {}
        Whitespace::Cl100k | Whitespace::Llama3 => {
            if let Some(after) = last_newline() {
                return after;
            }
            if at_end {
                return end;
            }
        }
    }
    // `\s+(?!\S)` keeps the last whitespace character for the next piece; a single one
    // falls through to `\s`.
    let last = t.prev(end);
    if last > i {
        last
    } else {
        t.at(i).2
    }
}

/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
pub(crate) fn gpt2(t: &Scanner, i: usize) -> usize {
    if let Some(end) = t.contraction(i, false) {
        return end;
    }
    let (cp, class, next) = t.at(i);
    let (start, class) = if cp == SPACE_CHAR && next < t.len() { (next, t.class_at(next)) } else { (i, class) };
    if class & LETTER != 0 {
        t.run(start, is_letter)
    } else if class & NUMBER != 0 {
        t.run(start, is_number)
    } else if class & SPACE == 0 {
        t.run(start, is_symbol)
    } else {
        whitespace(t, i, Whitespace::Gpt2)
    }
}

/// The cl100k pattern and the llama3 pattern differ only in their whitespace alternatives
/// (and in possessive quantifiers, which change nothing for these alternatives):
/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|...`
#[inline(always)]
fn cl100k_like(t: &Scanner, i: usize, style: Whitespace) -> usize {
    if let Some(end) = t.contraction(i, true) {
        return end;
    }
    let (cp, class, next) = t.at(i);
    if class & LETTER != 0 {
        return t.run(next, is_letter);
    }
    let next_class = t.class_at(next);
    if next_class & LETTER != 0 && is_prefix(cp, class) {
        return t.run(next, is_letter);
    }
    if class & NUMBER != 0 {
        return t.run_at_most(i, 3, is_number);
    }
    let start = if cp == SPACE_CHAR && next < t.len() && is_symbol(0, next_class) { next } else { i };
    if is_symbol(0, t.class_at(start)) {
        let end = t.run(start, is_symbol);
        return t.run(end, is_newline);
    }
    whitespace(t, i, style)
}

pub(crate) fn cl100k(t: &Scanner, i: usize) -> usize {
    cl100k_like(t, i, Whitespace::Cl100k)
}

pub(crate) fn llama3(t: &Scanner, i: usize) -> usize {
    cl100k_like(t, i, Whitespace::Llama3)
}

/// o200k's two letter alternatives,
/// `[^\r\n\p{L}\p{N}]?UPPER*LOWER+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` then
/// `[^\r\n\p{L}\p{N}]?UPPER+LOWER*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`, tried as the regex
/// tries them: the optional prefix taken first, then UPPER* from its longest down.
///
/// The downward search is cheap: when it steps below the end of the UPPER run, each
/// candidate start fails after one character unless it succeeds, since the characters
/// after it were already found not to be LOWER.
#[inline]
fn o200k_letters(t: &Scanner, i: usize, cp: u32, class: u8, next: usize) -> Option<usize> {
    let with_prefix = is_prefix(cp, class);
    for upper_min in [0usize, 1] {
        let lower_min = 1 - upper_min;
        for start in [next, i] {
            if start == next && !with_prefix {
                continue;
            }
            let upper_end = t.run(start, |_, c| c & UPPER != 0);
            let mut split = upper_end;
            loop {
                if split > start || upper_min == 0 {
                    let lower_end = t.run(split, |_, c| c & LOWER != 0);
                    if lower_end > split || lower_min == 0 {
                        return Some(t.contraction(lower_end, true).unwrap_or(lower_end));
                    }
                }
                if split == start {
                    break;
                }
                split = t.prev(split);
            }
        }
    }
    None
}

/// The o200k pattern: the two letter alternatives above, then
/// `\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
pub(crate) fn o200k(t: &Scanner, i: usize) -> usize {
    let (cp, class, next) = t.at(i);
    if let Some(end) = o200k_letters(t, i, cp, class, next) {
        return end;
    }
    if class & NUMBER != 0 {
        return t.run_at_most(i, 3, is_number);
    }
    let next_class = t.class_at(next);
    let start = if cp == SPACE_CHAR && next < t.len() && is_symbol(0, next_class) { next } else { i };
    if is_symbol(0, t.class_at(start)) {
        let end = t.run(start, is_symbol);
        return t.run(end, |c, _| c == CR || c == LF || c == '/' as u32);
    }
    whitespace(t, i, Whitespace::Llama3)
}
