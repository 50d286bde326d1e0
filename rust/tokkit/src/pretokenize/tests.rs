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
