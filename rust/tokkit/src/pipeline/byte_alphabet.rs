//! GPT-2's byte alphabet: every byte spelled as a printable character, so that byte-level
//! vocabularies can be written as text. The printable Latin-1 bytes stand for themselves,
//! the other 68 bytes for U+0100 onwards, in byte order (space is "Ġ", newline "Ċ").

use std::sync::OnceLock;

fn printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// Byte → character, and the bytes spelled U+0100 + i.
struct Tables {
    chars: [char; 256],
    shifted: [u8; 68],
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Tables { chars: ['\0'; 256], shifted: [0; 68] };
        let mut n = 0;
        for b in 0..=255u8 {
            tables.chars[b as usize] = if printable(b) {
                b as char
            } else {
                tables.shifted[n] = b;
                n += 1;
                char::from_u32(0xFF + n as u32).expect("U+0100..U+0143 are characters")
            };
        }
        tables
    })
}

/// The character that spells byte `b`.
#[inline]
pub fn byte_char(b: u8) -> char {
    tables().chars[b as usize]
}

/// The byte a character spells, if it is in the alphabet.
pub fn char_byte(c: char) -> Option<u8> {
    match c as u32 {
        n @ 0x100..=0x143 => Some(tables().shifted[(n - 0x100) as usize]),
        n @ 0..=0xFF if printable(n as u8) => Some(n as u8),
        _ => None,
    }
}

/// Bytes spelled in the alphabet.
pub fn spell(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| byte_char(b)).collect()
}

/// The bytes a string spells, or None if it has a character outside the alphabet.
pub fn unspell(text: &str) -> Option<Vec<u8>> {
    text.chars().map(char_byte).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(char_byte(byte_char(b)), Some(b));
        }
        assert_eq!(spell(b" world\n"), "Ġworld\u{10a}");
        assert_eq!(unspell("Ġworld"), Some(b" world".to_vec()));
        assert_eq!(unspell("▁x"), None);
    }
}
