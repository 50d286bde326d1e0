//! The hand-written splitters against fancy-regex on the same patterns.

use super::*;

/// Characters that sit on every class boundary the four patterns draw: letters of each
/// case category, marks, digits and other numbers, whitespace of several kinds (with CR
/// and LF apart), apostrophes and contraction letters (`ſ` folds to `s`), `/`, symbols.
const ALPHABET: &[char] = &[
    'a', 'b', 's', 't', 'd', 'm', 'l', 'v', 'e', 'r', 'S', 'T', 'D', 'M', 'L', 'V', 'E', 'R',
    'ſ', 'K', 'Z', 'ǅ', 'ʰ', '中', 'ア', 'é', 'É', 'ß', 'ﬁ', '\u{301}', '\u{93f}', '\u{200d}',
    '0', '7', '½', '٣', 'Ⅻ', ' ', ' ', ' ', '\t', '\n', '\r', '\u{a0}', '\u{3000}', '\u{85}',
    '\u{b}', '\'', '\'', '’', '/', '!', '.', ',', '-', '<', '|', '>', '😀', '\u{fe0f}', '_',
];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_text(rng: &mut XorShift, max_len: usize) -> String {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| ALPHABET[rng.below(ALPHABET.len())]).collect()
}

fn assert_same_pieces(builtin: Builtin, regex: &Splitter, text: &str) {
    let fast = Splitter::Builtin(builtin).pieces(text).unwrap();
    let slow = regex.pieces(text).unwrap();
    assert_eq!(fast, slow, "{builtin:?} splits {text:?} differently from its regex");
}

fn regex_of(builtin: Builtin) -> Splitter {
    Splitter::regex_only(builtin.pattern()).unwrap()
}

#[test]
fn builtin_splitters_equal_their_regex_on_random_text() {
    let mut rng = XorShift(crate::fuzz::seed(0x9E37_79B9_7F4A_7C15));
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3] {
        let regex = regex_of(builtin);
        for _ in 0..crate::fuzz::cases(20_000) {
            let text = random_text(&mut rng, 24);
            assert_same_pieces(builtin, &regex, &text);
        }
    }
}

#[test]
fn builtin_splitters_equal_their_regex_on_known_hard_cases() {
    let cases = [
        "",
        "Hello world",
        "I'm can't we'll they've you're he's I'd 'S 'Ll 'ſ",
        "   leading spaces and trailing   ",
        "line\n\n  indented\r\n\ttab\r\n  \n",
        "numbers 1234567 and ½⅓ and ٣٤٥٦",
        "CamelCaseWord HTTPServer iPhone ǅungla",
        "e\u{301}te\u{301} a\u{301}\u{301} \u{301}x",
        "path/to/file.txt //comment\n/",
        "  !!!\n\n???  ",
        "中文字符，日本語のテキスト。한국어 텍스트",
        "emoji 😀👍🏽 family 👨‍👩‍👧",
        "\u{a0}\u{a0}word\u{3000}x\u{85}y",
    ];
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3] {
        let regex = regex_of(builtin);
        for text in cases {
            assert_same_pieces(builtin, &regex, text);
        }
    }
}

#[test]
fn pieces_cover_the_text_for_builtin_patterns() {
    let text = "It's 2024!  Ça va?\n\n  x";
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3] {
        let pieces = Splitter::Builtin(builtin).pieces(text).unwrap();
        let joined: String = pieces.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(joined, text);
    }
}

#[test]
fn gpt2_pattern_splits_as_documented() {
    let text = "Hello world's  end";
    let pieces: Vec<&str> = Splitter::named("gpt2")
        .unwrap()
        .pieces(text)
        .unwrap()
        .into_iter()
        .map(|(s, e)| &text[s..e])
        .collect();
    assert_eq!(pieces, ["Hello", " world", "'s", " ", " end"]);
}

#[test]
fn long_runs_split_in_linear_time() {
    // One 2 MB word and 2 MB of spaces: quadratic code would take minutes here.
    let word = "a".repeat(2 << 20);
    let spaces = " ".repeat(2 << 20) + "x";
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3] {
        let splitter = Splitter::Builtin(builtin);
        assert_eq!(splitter.pieces(&word).unwrap(), vec![(0, word.len())]);
        let pieces = splitter.pieces(&spaces).unwrap();
        assert_eq!(pieces.len(), 2, "{builtin:?}");
    }
}

#[test]
fn rejects_bad_patterns_with_their_reason() {
    assert!(matches!(Splitter::from_regex("(unclosed"), Err(Error::BadRegex { .. })));
    assert!(matches!(Splitter::from_regex("a*"), Err(Error::BadRegex { .. })));
    assert!(matches!(Splitter::named("cl99k"), Err(Error::UnknownPatternName(_))));
}

/// Mostly ASCII, as prose and code are, with every class the masks tell apart, runs that
/// outgrow a 64-byte view, and now and then a character the masks cannot see.
fn ascii_heavy_text(rng: &mut XorShift, len: usize) -> String {
    const ASCII: &[&str] = &[
        "a", "e", "s", "t", "d", "m", "l", "v", "r", "S", "T", "L", "V", "R", "Q", "z", "Z", "0", "7", "9", " ", " ",
        " ", "  ", "\t", "\n", "\r\n", "\n\n", "\x0b", "\x0c", "\x1f", "'", "'", "/", "//", ".", ",", "!", "-", "_",
        "(", "{", "}", "\"", "#", "\x7f", "\0",
    ];
    const RARE: &[&str] = &["é", "ſ", "\u{301}", "\u{a0}", "中", "٣", "’", "😀", "\u{85}", "ǅ", "ʰ", "\u{3000}"];
    let mut text = String::new();
    while text.len() < len {
        match rng.below(100) {
            0..=2 => text.push_str(RARE[rng.below(RARE.len())]),
            // A long run of one piece (letters, digits, spaces, symbols, newlines).
            3 => text.push_str(&["x", "Y", "5", " ", "+", "\n", "aB"][rng.below(7)].repeat(rng.below(150))),
            _ => text.push_str(ASCII[rng.below(ASCII.len())]),
        }
    }
    text
}

fn masked_pieces(builtin: Builtin, kernel: ascii_masks::Kernel, text: &str) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    masked::for_each_piece(builtin, kernel, text, |start, end| pieces.push((start, end)));
    pieces
}

/// Fails, naming the first piece that differs and the text around it, unless the masked
/// splitter with `kernel` gives the reference's pieces `want`.
fn assert_masked_equal_reference(builtin: Builtin, kernel: ascii_masks::Kernel, text: &str, want: &[(usize, usize)]) {
    let got = masked_pieces(builtin, kernel, text);
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        let (s, _) = want[at.min(want.len() - 1)];
        panic!(
            "{builtin:?} with {kernel:?}: piece {at} differs: {:?} vs {:?} near {:?}",
            got.get(at),
            want.get(at),
            &text[text.floor_char_boundary(s.saturating_sub(20))..text.floor_char_boundary(s + 60)]
        );
    }
}

#[test]
fn masked_splitters_equal_the_reference_with_every_kernel() {
    let mut rng = XorShift(crate::fuzz::seed(0x1357_9BDF_2468_ACE1));
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3] {
        for _ in 0..crate::fuzz::cases(60) {
            // Long enough to cross several chunks of 4096 bytes.
            let len = rng.below(20_000);
            let text = ascii_heavy_text(&mut rng, len);
            let want = Splitter::reference_pieces(builtin, &text);
            for kernel in ascii_masks::Kernel::available() {
                assert_masked_equal_reference(builtin, kernel, &text, &want);
            }
        }
    }
}

#[test]
fn masked_splitters_equal_their_regex_on_ascii_heavy_text() {
    let mut rng = XorShift(crate::fuzz::seed(0x0F1E_2D3C_4B5A_6978));
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3] {
        let regex = regex_of(builtin);
        for _ in 0..crate::fuzz::cases(3_000) {
            let len = rng.below(300);
            let text = ascii_heavy_text(&mut rng, len);
            assert_same_pieces(builtin, &regex, &text);
        }
    }
}

#[test]
fn masked_splitters_handle_every_ascii_pair_and_triple() {
    // Every piece boundary the masks decide depends on at most the byte before a run, the
    // run, and the byte after it; all ASCII triples (and a trailing letter or space) cover
    // the decisions at the edges of runs.
    let bytes: Vec<u8> = (0u8..128).collect();
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k, Builtin::Llama3] {
        let regex = regex_of(builtin);
        let mut text = String::new();
        for &a in &bytes {
            text.clear();
            for &b in &bytes {
                for &c in b"a A1 '\n/." {
                    text.push(a as char);
                    text.push(b as char);
                    text.push(c as char);
                    text.push(' ');
                }
            }
            assert_same_pieces(builtin, &regex, &text);
        }
    }
}

/// ASCII as prose and code have it, with what decides cl100k's block starts in plenty:
/// contractions in every case, digit runs of every length, runs of blanks between line
/// breaks, symbols before line breaks, and long runs; now and then (`rare` in 1,000) a
/// character the masks cannot see.
fn pure_ascii_text(rng: &mut XorShift, len: usize, rare: usize) -> String {
    const ASCII: &[&str] = &[
        "a", "e", "s", "t", "word", "The", " the", " of", "Q", "0", "7", "12", "345", "6789", "1234567", " ", " ", "  ",
        "\t", "\n", "\r\n", "\n\n", "\n  \n", "  \n", " \n ", "\n    ", "\x0b", "\x0c", "\x1f", "'", "'s", "'T", "'re",
        "'Ve", "'LL", "'d", "'M", "'x", " 's", "''s", "/", "//", ".", ".\n", ".\n\n  ", "!\r\n\t", ",", " (", "-", "_",
        "{", "}", "\"", "#", "\x7f", "\0", " .", ".a", " x", "\tx", "\t.",
    ];
    const RARE: &[&str] = &["é", "ſ", "\u{a0}", "中", "٣", "’", "\u{85}", "\u{3000}"];
    let mut text = String::new();
    while text.len() < len {
        let roll = rng.below(1000);
        if roll < rare {
            text.push_str(RARE[rng.below(RARE.len())]);
        } else if roll < rare + 10 {
            text.push_str(&["x", "5", " ", "+", "\n", " \n", "'s"][rng.below(7)].repeat(rng.below(150)));
        } else {
            text.push_str(ASCII[rng.below(ASCII.len())]);
        }
    }
    text
}

#[test]
fn block_starts_equal_the_reference_on_ascii_text() {
    let mut rng = XorShift(crate::fuzz::seed(0x2545_F491_4F6C_DD1D));
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::Llama3] {
        for case in 0..crate::fuzz::cases(300) {
            let len = rng.below(6_000);
            let text = pure_ascii_text(&mut rng, len, [0, 1, 5][case % 3]);
            let want = Splitter::reference_pieces(builtin, &text);
            for kernel in ascii_masks::Kernel::available() {
                assert_masked_equal_reference(builtin, kernel, &text, &want);
            }
        }
    }
}

#[test]
fn block_starts_equal_the_regex_on_ascii_text() {
    let mut rng = XorShift(crate::fuzz::seed(0x9E37_79B9_7F4A_7C15));
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::Llama3] {
        let regex = regex_of(builtin);
        for case in 0..crate::fuzz::cases(1_000) {
            let len = rng.below(700);
            let text = pure_ascii_text(&mut rng, len, [0, 2][case % 2]);
            assert_same_pieces(builtin, &regex, &text);
        }
    }
}

#[test]
fn masks_decide_nearly_every_block_of_ascii_text() {
    // Otherwise the tests above would only test the per-piece splitter.
    let mut rng = XorShift(0x1234_5678);
    let text = pure_ascii_text(&mut rng, 64 * 200, 0);
    let scanner = super::fast::Scanner::new(&text);
    let mut blocks = vec![ascii_masks::Block::default(); 202];
    blocks[0].other = u64::MAX;
    ascii_masks::Kernel::Scalar.classify(text.as_bytes(), 0, &mut blocks[1..]);
    for builtin in [Builtin::Gpt2, Builtin::Cl100k, Builtin::Llama3] {
        let mut carry = super::block_starts::Carry::default();
        let decided = (1..=200)
            .filter(|&k| {
                let base = (k - 1) * 64;
                let window = super::block_starts::Window { base, prev: &blocks[k - 1], cur: &blocks[k], next: &blocks[k + 1] };
                super::block_starts::starts(builtin, &scanner, &window, base, &mut carry).is_some()
            })
            .count();
        assert!(decided >= 190, "{builtin:?}: only {decided} of 200 blocks decided");
    }
}
