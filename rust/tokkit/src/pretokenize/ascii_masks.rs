//! The classes of ASCII bytes, 64 bytes at a time, as bitmasks: bit k of a mask says
//! whether byte k is in the class. The splitters in `masked.rs` read a piece's end off
//! these masks with one bit scan instead of a branch per character.
//!
//! Three kernels compute the same masks: AVX2 (32 bytes per compare), SSE2 (16; every
//! x86-64 has it) and a scalar twin that reads each byte's classes from a table built from
//! `classes::table()`, so the ASCII classes are the regex engine's own. `Kernel::best`
//! picks the widest the processor has, once, at run time; the tests hold every kernel the
//! machine can run equal to the scalar twin.

use super::classes::{LL, LU, NUMBER, SPACE};
use std::sync::OnceLock;

/// Bytes per block: one bit per byte in a u64.
pub const BLOCK: usize = 64;

/// The class masks of one 64-byte block. Bytes past the end of the text count as `other`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Block {
    /// `A-Z`
    pub upper: u64,
    /// `a-z`
    pub lower: u64,
    /// `A-Za-z`: `upper | lower`, the run most pieces are.
    pub letter: u64,
    /// `0-9`
    pub digit: u64,
    /// ASCII `\s`: tab, line feed, vertical tab, form feed, carriage return, space.
    pub space: u64,
    /// `\r` and `\n`
    pub newline: u64,
    /// ` ` (the optional space before a symbol run)
    pub blank: u64,
    /// `/` (o200k's symbol pieces end with `[\r\n/]*`)
    pub slash: u64,
    /// Not ASCII (a byte of a multi-byte character), or past the end of the text: the
    /// masks say nothing about it, so a splitter whose answer depends on it asks the
    /// character-by-character splitter instead.
    pub other: u64,
}

/// How a block is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Sse2,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The widest kernel this processor runs (detected once).
    pub fn best() -> Kernel {
        static BEST: OnceLock<Kernel> = OnceLock::new();
        *BEST.get_or_init(|| *Self::available().last().expect("the scalar kernel always runs"))
    }

    /// Every kernel this processor runs, narrowest first.
    pub fn available() -> Vec<Kernel> {
        #[allow(unused_mut)]
        let mut kernels = vec![Kernel::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            kernels.push(Kernel::Sse2);
            if std::arch::is_x86_feature_detected!("avx2") {
                kernels.push(Kernel::Avx2);
            }
        }
        kernels
    }

    /// The masks of `bytes[start..]`, `count` blocks of 64 bytes, written to `out`
    /// (`out[k]` for the block at `start + 64k`); bytes past the end are `other`.
    pub fn classify(self, bytes: &[u8], start: usize, out: &mut [Block]) {
        let whole = bytes.len().saturating_sub(start) / BLOCK;
        let direct = whole.min(out.len());
        let (full, rest) = out.split_at_mut(direct);
        let run = &bytes[start..start + direct * BLOCK];
        match self {
            Kernel::Scalar => full.iter_mut().zip(run.chunks_exact(BLOCK)).for_each(|(b, c)| *b = scalar(c)),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: SSE2 is part of x86-64.
            Kernel::Sse2 => unsafe { x86::sse2_blocks(run, full) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `available` offers this kernel only where the processor has AVX2.
            Kernel::Avx2 => unsafe { x86::avx2_blocks(run, full) },
        }
        // The block holding the end of the text, copied into a buffer padded with a
        // non-ASCII byte, and then blocks wholly past the end.
        if rest.is_empty() {
            return;
        }
        let mut tail = [0x80u8; BLOCK];
        let left = &bytes[(start + direct * BLOCK).min(bytes.len())..];
        tail[..left.len()].copy_from_slice(left);
        for (k, block) in rest.iter_mut().enumerate() {
            if k == 1 {
                tail = [0x80; BLOCK];
            }
            *block = match self {
                Kernel::Scalar => scalar(&tail),
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                Kernel::Sse2 => unsafe { x86::sse2_block(&tail) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                Kernel::Avx2 => unsafe { x86::avx2_block(&tail) },
            };
        }
    }
}

const UPPER_BIT: u8 = 1 << 0;
const LOWER_BIT: u8 = 1 << 1;
const DIGIT_BIT: u8 = 1 << 2;
const SPACE_BIT: u8 = 1 << 3;
const NEWLINE_BIT: u8 = 1 << 4;
const SLASH_BIT: u8 = 1 << 5;
const OTHER_BIT: u8 = 1 << 6;
const BLANK_BIT: u8 = 1 << 7;

/// Each byte's classes, from the Unicode class table (the regex engine's data).
fn byte_classes() -> &'static [u8; 256] {
    static TABLE: OnceLock<[u8; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let unicode = super::classes::table();
        let mut table = [OTHER_BIT; 256];
        for b in 0..128u8 {
            let class = unicode[b as usize];
            let mut bits = 0;
            for (has, bit) in [
                (class & LU != 0, UPPER_BIT),
                (class & LL != 0, LOWER_BIT),
                (class & NUMBER != 0, DIGIT_BIT),
                (class & SPACE != 0, SPACE_BIT),
                (b == b'\r' || b == b'\n', NEWLINE_BIT),
                (b == b'/', SLASH_BIT),
                (b == b' ', BLANK_BIT),
            ] {
                if has {
                    bits |= bit;
                }
            }
            table[b as usize] = bits;
        }
        table
    })
}

/// The scalar twin: one table load per byte.
fn scalar(bytes: &[u8]) -> Block {
    let table = byte_classes();
    let mut block = Block::default();
    for (k, &b) in bytes.iter().enumerate() {
        let bits = table[b as usize];
        let set = |mask: &mut u64, bit: u8| *mask |= u64::from(bits & bit != 0) << k;
        set(&mut block.upper, UPPER_BIT);
        set(&mut block.lower, LOWER_BIT);
        set(&mut block.digit, DIGIT_BIT);
        set(&mut block.space, SPACE_BIT);
        set(&mut block.newline, NEWLINE_BIT);
        set(&mut block.slash, SLASH_BIT);
        set(&mut block.blank, BLANK_BIT);
        set(&mut block.other, OTHER_BIT);
    }
    block.letter = block.upper | block.lower;
    block
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The vector kernels. Every class but `other` is a range (or two) of ASCII bytes,
    //! tested with signed compares: a byte of 0x80 or more is negative, so it falls in no
    //! range and only its sign bit (`other`) is set.

    use super::{Block, BLOCK};
    use std::arch::x86_64::*;

    macro_rules! kernel {
        ($name:ident, $blocks:ident, $feature:literal, $vec:ty, $lanes:literal, $load:ident, $set1:ident,
         $gt:ident, $eq:ident, $and:ident, $or:ident, $movemask:ident) => {
            /// The masks of one 64-byte block.
            #[target_feature(enable = $feature)]
            pub unsafe fn $name(bytes: &[u8; BLOCK]) -> Block {
                let mut block = Block::default();
                for part in 0..BLOCK / $lanes {
                    // SAFETY: the load reads `$lanes` bytes inside `bytes`.
                    let x: $vec = unsafe { $load(bytes.as_ptr().add(part * $lanes) as *const $vec) };
                    macro_rules! byte {
                        ($b:expr) => {
                            $set1($b as i8)
                        };
                    }
                    // lo <= x <= hi, for 0 <= lo <= hi < 0x80.
                    macro_rules! within {
                        ($lo:expr, $hi:expr) => {
                            $and($gt(x, byte!($lo - 1)), $gt(byte!($hi + 1), x))
                        };
                    }
                    macro_rules! mask {
                        ($v:expr) => {
                            ($movemask($v) as u32 as u64) << (part * $lanes)
                        };
                    }
                    block.upper |= mask!(within!(b'A', b'Z'));
                    block.lower |= mask!(within!(b'a', b'z'));
                    block.digit |= mask!(within!(b'0', b'9'));
                    let blank = $eq(x, byte!(b' '));
                    block.space |= mask!($or(within!(b'\t', b'\r'), blank));
                    block.blank |= mask!(blank);
                    block.newline |= mask!($or($eq(x, byte!(b'\r')), $eq(x, byte!(b'\n'))));
                    block.slash |= mask!($eq(x, byte!(b'/')));
                    block.other |= mask!(x);
                }
                block.letter = block.upper | block.lower;
                block
            }

            /// The masks of consecutive blocks: `out[k]` from `bytes[64k..64k + 64]`.
            #[target_feature(enable = $feature)]
            pub unsafe fn $blocks(bytes: &[u8], out: &mut [Block]) {
                for (block, chunk) in out.iter_mut().zip(bytes.chunks_exact(BLOCK)) {
                    // SAFETY: the caller has the feature; the chunk is 64 bytes.
                    *block = unsafe { $name(chunk.try_into().expect("64 bytes")) };
                }
            }
        };
    }

    kernel!(sse2_block, sse2_blocks, "sse2", __m128i, 16, _mm_loadu_si128, _mm_set1_epi8, _mm_cmpgt_epi8,
            _mm_cmpeq_epi8, _mm_and_si128, _mm_or_si128, _mm_movemask_epi8);
    kernel!(avx2_block, avx2_blocks, "avx2", __m256i, 32, _mm256_loadu_si256, _mm256_set1_epi8,
            _mm256_cmpgt_epi8, _mm256_cmpeq_epi8, _mm256_and_si256, _mm256_or_si256, _mm256_movemask_epi8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_classes_are_the_unicode_ones() {
        let table = byte_classes();
        assert_eq!(table[b'Q' as usize], UPPER_BIT);
        assert_eq!(table[b'q' as usize], LOWER_BIT);
        assert_eq!(table[b'7' as usize], DIGIT_BIT);
        assert_eq!(table[b'\n' as usize], SPACE_BIT | NEWLINE_BIT);
        assert_eq!(table[0x0B], SPACE_BIT);
        assert_eq!(table[b'/' as usize], SLASH_BIT);
        assert_eq!(table[b' ' as usize], SPACE_BIT | BLANK_BIT);
        // Unit and record separators are not White_Space, so not `\s`.
        assert_eq!(table[0x1F], 0);
        assert_eq!(table[0xC3], OTHER_BIT);
    }

    /// Every kernel gives the scalar twin's masks on every byte value in every lane, and
    /// on random blocks, whole or cut short by the end of the text.
    #[test]
    fn every_kernel_equals_the_scalar_twin() {
        let mut state = crate::fuzz::seed(0x243F_6A88_85A3_08D3);
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<Vec<u8>> = (0..4).map(|k| (0..=255u8).map(|b| b.rotate_left(k)).collect()).collect();
        for _ in 0..crate::fuzz::cases(2_000) {
            let len = (next() % 300) as usize;
            // Half the texts draw from bytes near the class edges, half from all bytes.
            let edges = b"\x08\t\n\x0b\x0c\r\x0e\x1f !./0189:@AZ[`az{\x7f\x80\xc3\xff";
            let near = next() % 2 == 0;
            texts.push((0..len).map(|_| if near { edges[(next() % edges.len() as u64) as usize] } else { next() as u8 }).collect());
        }
        for text in &texts {
            for start in [0, 1.min(text.len()), text.len() / 2, text.len()] {
                let mut want = [Block::default(); 6];
                Kernel::Scalar.classify(text, start, &mut want);
                for kernel in Kernel::available() {
                    let mut got = [Block::default(); 6];
                    kernel.classify(text, start, &mut got);
                    assert_eq!(got, want, "{kernel:?} on {text:?} from {start}");
                }
            }
        }
    }

    #[test]
    fn bytes_past_the_end_are_other() {
        let mut blocks = [Block::default(); 3];
        Kernel::best().classify(b"ab", 0, &mut blocks);
        assert_eq!(blocks[0].lower, 0b11);
        assert_eq!(blocks[0].other, !0b11);
        assert_eq!(blocks[1].other, u64::MAX);
        assert_eq!(blocks[2].other, u64::MAX);
    }
}
