//! Unicode character classes for the hand-written pre-tokenizers.
//!
//! The table is built once, from regex-syntax's own Unicode data, so the splitters in
//! `fast.rs` classify every code point exactly as the regex engine (and thus tiktoken)
//! does, whatever Unicode version that crate carries. One byte per code point (1.1 MB):
//! a flat table costs one load per character; a two-level table was not needed, since
//! text in one script touches only a few cache lines of it.

use regex_syntax::hir::{Class, HirKind};
use std::sync::OnceLock;

pub const LU: u8 = 1 << 0; // uppercase letter
pub const LL: u8 = 1 << 1; // lowercase letter
pub const LT: u8 = 1 << 2; // titlecase letter
pub const LM: u8 = 1 << 3; // modifier letter
pub const LO: u8 = 1 << 4; // other letter
pub const MARK: u8 = 1 << 5; // \p{M}
pub const NUMBER: u8 = 1 << 6; // \p{N}
pub const SPACE: u8 = 1 << 7; // \s (Unicode White_Space)
pub const LETTER: u8 = LU | LL | LT | LM | LO;

static TABLE: OnceLock<Box<[u8]>> = OnceLock::new();

fn build_table() -> Box<[u8]> {
    let mut table = vec![0u8; 0x11_0000].into_boxed_slice();
    let classes = [
        (r"\p{Lu}", LU),
        (r"\p{Ll}", LL),
        (r"\p{Lt}", LT),
        (r"\p{Lm}", LM),
        (r"\p{Lo}", LO),
        (r"\p{M}", MARK),
        (r"\p{N}", NUMBER),
        (r"\s", SPACE),
    ];
    for (pattern, bit) in classes {
        let hir = regex_syntax::Parser::new()
            .parse(pattern)
            .expect("a fixed Unicode class parses");
        let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
            unreachable!("{pattern} is a Unicode class")
        };
        for range in class.ranges() {
            for cp in range.start() as usize..=range.end() as usize {
                table[cp] |= bit;
            }
        }
    }
    table
}

/// The class bits of every code point, indexed by the code point (built on first use).
pub fn table() -> &'static [u8] {
    TABLE.get_or_init(build_table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(cp: u32) -> u8 {
        table()[cp as usize]
    }

    #[test]
    fn classifies_like_the_unicode_categories() {
        assert_eq!(class_of('a' as u32), LL);
        assert_eq!(class_of('A' as u32), LU);
        assert_eq!(class_of('ǅ' as u32), LT);
        assert_eq!(class_of('ʰ' as u32), LM);
        assert_eq!(class_of('中' as u32), LO);
        assert_eq!(class_of('\u{301}' as u32), MARK);
        assert_eq!(class_of('7' as u32), NUMBER);
        assert_eq!(class_of('½' as u32), NUMBER);
        assert_eq!(class_of(' ' as u32), SPACE);
        assert_eq!(class_of('\u{a0}' as u32), SPACE);
        assert_eq!(class_of('\u{3000}' as u32), SPACE);
        assert_eq!(class_of('!' as u32), 0);
    }
}
