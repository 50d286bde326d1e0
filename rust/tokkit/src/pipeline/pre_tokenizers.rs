//! Pre-tokenizers: cutting normalized text into the pieces a model encodes one by one, with
//! HuggingFace `tokenizers`' semantics (a loaded tokenizer.json must cut where HF cuts).
//!
//! A piece borrows its text (and, when offsets are tracked, the original range of each of
//! its bytes) from the normalized text, so cutting allocates nothing; the pre-tokenizers
//! that rewrite text (Metaspace's `▁`, ByteLevel's prefix space) copy the piece they
//! rewrite. Pieces stream to a callback, one stage after another, so a 10 MB text never
//! becomes a vector of pieces. Each stage is linear in the length of its piece.
//!
//! After `ByteLevel`, a piece is bytes rather than characters: HF spells every byte as a
//! character of GPT-2's byte alphabet and goes on with that string, so later stages (and
//! the model) see one character per byte and may cut inside a UTF-8 sequence. tokkit keeps
//! the bytes and applies later stages to their spelling.

use super::byte_alphabet::byte_char;
use super::normalized::{Normalized, Span};
use super::pattern::Pattern;
use crate::error::{Error, Result};
use crate::pretokenize::{Builtin, Splitter as Regex};
use std::sync::OnceLock;
use unicode_categories::UnicodeCategories;

/// What becomes of the parts a pattern matches (HF's `SplitDelimiterBehavior`), splitting
/// "the-final--countdown" on "-":
/// Removed `the final countdown`; Isolated `the - final - - countdown`;
/// MergedWithPrevious `the- final- - countdown`; MergedWithNext `the -final - -countdown`;
/// Contiguous `the - final -- countdown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behavior {
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// When Metaspace puts a `▁` before a piece that does not start with one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrependScheme {
    Always,
    /// Only before the piece that starts the text.
    First,
    Never,
}

#[derive(Clone, Debug)]
pub enum PreTokenizer {
    /// Optionally a space before each piece, GPT-2's regex, then the byte alphabet.
    /// `trim_offsets` belongs to the post-processor; it is kept to be written back.
    ByteLevel { add_prefix_space: bool, trim_offsets: bool, use_regex: bool },
    Split { pattern: Pattern, behavior: Behavior, invert: bool },
    /// Runs of word characters, and runs of other non-space characters (`\w+|[^\w\s]+`,
    /// with the regex crate's `\w`, as HF's).
    Whitespace,
    /// Cuts at whitespace, dropping it.
    WhitespaceSplit,
    /// Spaces become `replacement`, which then starts each piece.
    Metaspace { replacement: char, prepend_scheme: PrependScheme, split: bool },
    /// Numbers apart, each digit alone if `individual_digits`.
    Digits { individual_digits: bool },
    Punctuation { behavior: Behavior },
    /// BERT's: cut at whitespace (dropped) and around each punctuation character.
    Bert,
    Sequence(Vec<PreTokenizer>),
}

/// The text of a piece: characters, or (after ByteLevel) bytes seen in the byte alphabet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text<'a> {
    Chars(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Text<'a> {
    pub fn len(&self) -> usize {
        match self {
            Text::Chars(s) => s.len(),
            Text::Bytes(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_bytes(&self) -> &'a [u8] {
        match self {
            Text::Chars(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        }
    }

    fn slice(&self, start: usize, end: usize) -> Text<'a> {
        match self {
            Text::Chars(s) => Text::Chars(&s[start..end]),
            Text::Bytes(b) => Text::Bytes(&b[start..end]),
        }
    }

    /// The piece as HF shows it: its characters, or the spelling of its bytes.
    pub fn display(&self) -> String {
        match self {
            Text::Chars(s) => s.to_string(),
            Text::Bytes(b) => super::byte_alphabet::spell(b),
        }
    }
}

/// A piece of normalized text.
#[derive(Clone, Copy, Debug)]
pub struct PreToken<'a> {
    pub text: Text<'a>,
    /// The original range of each byte, when offsets are tracked.
    pub align: Option<&'a [Span]>,
    /// Where the piece starts in the original (exact when tracked).
    pub base: usize,
}

impl<'a> PreToken<'a> {
    pub fn whole(normalized: &'a Normalized) -> PreToken<'a> {
        PreToken { text: Text::Chars(normalized.text()), align: normalized.alignments(), base: normalized.base() }
    }

    pub fn sub(&self, start: usize, end: usize) -> PreToken<'a> {
        let align = self.align.map(|a| &a[start..end]);
        let base = align.and_then(|a| a.first()).map_or(self.base, |span| span.0 as usize);
        PreToken { text: self.text.slice(start, end), align, base }
    }

    /// A copy that a pre-tokenizer can rewrite.
    fn owned(self, text: &str) -> Normalized {
        Normalized::from_parts(text.to_string(), self.align.map(<[Span]>::to_vec), self.base)
    }
}

/// Receives the pieces a pre-tokenizer cuts.
pub type Emit<'e> = dyn FnMut(PreToken<'_>) -> Result<()> + 'e;

impl PreTokenizer {
    /// Whether the pieces it makes are bytes (it runs ByteLevel).
    pub fn makes_bytes(&self) -> bool {
        match self {
            PreTokenizer::ByteLevel { .. } => true,
            PreTokenizer::Sequence(all) => all.iter().any(PreTokenizer::makes_bytes),
            _ => false,
        }
    }

    /// Fails on an order of stages tokkit cannot run: one that rewrites characters after
    /// ByteLevel turned them into bytes.
    pub fn check(&self) -> Result<()> {
        let stages: Vec<&PreTokenizer> = self.flatten();
        if let Some(first) = stages.iter().position(|s| s.makes_bytes()) {
            if let Some(later) = stages[first + 1..].iter().find(|s| matches!(s, PreTokenizer::ByteLevel { .. } | PreTokenizer::Metaspace { .. })) {
                return Err(Error::Unsupported(format!(
                    "the pre-tokenizer {} after ByteLevel is not supported by tokkit (it would rewrite \
                     characters that are already bytes)",
                    later.name()
                )));
            }
        }
        Ok(())
    }

    fn flatten(&self) -> Vec<&PreTokenizer> {
        match self {
            PreTokenizer::Sequence(all) => all.iter().flat_map(PreTokenizer::flatten).collect(),
            other => vec![other],
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            PreTokenizer::ByteLevel { .. } => "ByteLevel",
            PreTokenizer::Split { .. } => "Split",
            PreTokenizer::Whitespace => "Whitespace",
            PreTokenizer::WhitespaceSplit => "WhitespaceSplit",
            PreTokenizer::Metaspace { .. } => "Metaspace",
            PreTokenizer::Digits { .. } => "Digits",
            PreTokenizer::Punctuation { .. } => "Punctuation",
            PreTokenizer::Bert => "BertPreTokenizer",
            PreTokenizer::Sequence(_) => "Sequence",
        }
    }

    /// Whether it needs to know where each piece starts in the original even when no
    /// offsets are wanted (Metaspace's "first" scheme does).
    pub fn needs_alignments(&self) -> bool {
        self.flatten().iter().any(|s| matches!(s, PreTokenizer::Metaspace { prepend_scheme: PrependScheme::First, .. }))
    }

    /// Cuts `piece`, passing each non-empty result to `emit` in order.
    pub fn pre_tokenize(&self, piece: PreToken<'_>, emit: &mut Emit<'_>) -> Result<()> {
        match self {
            PreTokenizer::Sequence(all) => run(all, piece, emit),
            PreTokenizer::ByteLevel { add_prefix_space, use_regex, .. } => {
                let Text::Chars(text) = piece.text else { unreachable!("checked when built") };
                if *add_prefix_space && !text.starts_with(' ') {
                    let mut owned = piece.owned(text);
                    owned.prepend(" ");
                    return byte_level(PreToken::whole(&owned), *use_regex, emit);
                }
                byte_level(piece, *use_regex, emit)
            }
            PreTokenizer::Split { pattern, behavior, invert } => {
                split(piece, Finder::Pattern(pattern), *behavior, *invert, emit)
            }
            PreTokenizer::Whitespace => split(piece, Finder::Pattern(words()), Behavior::Removed, true, emit),
            PreTokenizer::WhitespaceSplit => split(piece, Finder::Class(Class::Whitespace), Behavior::Removed, false, emit),
            PreTokenizer::Metaspace { replacement, prepend_scheme, split: cut } => {
                metaspace(piece, *replacement, *prepend_scheme, *cut, emit)
            }
            PreTokenizer::Digits { individual_digits } => {
                let behavior = if *individual_digits { Behavior::Isolated } else { Behavior::Contiguous };
                split(piece, Finder::Class(Class::Numeric), behavior, false, emit)
            }
            PreTokenizer::Punctuation { behavior } => split(piece, Finder::Class(Class::Punctuation), *behavior, false, emit),
            PreTokenizer::Bert => split(piece, Finder::Class(Class::Whitespace), Behavior::Removed, false, &mut |p| {
                split(p, Finder::Class(Class::Punctuation), Behavior::Isolated, false, emit)
            }),
        }
    }
}

impl PreTokenizer {
    /// The splitter whose pieces, taken as bytes, are exactly what this pre-tokenizer hands
    /// the model, when it is the byte-level shape of GPT-2-style and llama3-style files:
    /// ByteLevel with its GPT-2 regex, or a Split on a builtin pattern (isolated, not
    /// inverted) followed by ByteLevel without a regex, neither adding a prefix space. A
    /// builtin splitter's pieces cover the text, so the Split has no gaps to hand on; and
    /// ByteLevel without a regex passes each piece on whole, as bytes. Encoding without
    /// offsets then feeds the splitter's pieces to the model directly (see
    /// `Pipeline::encode_sequence`); the staged path gives the same pieces.
    pub fn byte_pieces(&self) -> Option<&Regex> {
        match self {
            PreTokenizer::ByteLevel { add_prefix_space: false, use_regex: true, .. } => Some(gpt2()),
            PreTokenizer::Sequence(stages) => match stages.as_slice() {
                [PreTokenizer::Split { pattern: Pattern::Regex { regex, .. }, behavior: Behavior::Isolated, invert: false }, PreTokenizer::ByteLevel { add_prefix_space: false, use_regex: false, .. }]
                    if matches!(**regex, Regex::Builtin(_)) =>
                {
                    Some(regex)
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// Runs the stages one after another on `piece`.
pub fn run(stages: &[PreTokenizer], piece: PreToken<'_>, emit: &mut Emit<'_>) -> Result<()> {
    match stages.split_first() {
        None => emit(piece),
        Some((first, rest)) => first.pre_tokenize(piece, &mut |p| run(rest, p, emit)),
    }
}

/// ASCII or Unicode punctuation, as BERT and HF's Punctuation define it. (The ASCII
/// characters in Unicode's punctuation categories are all ASCII punctuation.)
pub fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_punctuation()
    } else {
        c.is_punctuation()
    }
}

/// The character classes the pre-tokenizers cut at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Whitespace,
    Numeric,
    Punctuation,
    Is(char),
}

impl Class {
    #[inline]
    fn contains(self, c: char) -> bool {
        match self {
            Class::Whitespace => c.is_whitespace(),
            Class::Numeric => c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric()),
            Class::Punctuation => is_punctuation(c),
            Class::Is(x) => c == x,
        }
    }

    /// Whether the byte-alphabet spelling of byte `b` is in the class (a table per class,
    /// made once).
    #[inline]
    fn contains_byte(self, b: u8) -> bool {
        static TABLES: OnceLock<[[bool; 256]; 3]> = OnceLock::new();
        let tables = TABLES.get_or_init(|| {
            let mut tables = [[false; 256]; 3];
            for (k, class) in [Class::Whitespace, Class::Numeric, Class::Punctuation].into_iter().enumerate() {
                for b in 0..=255u8 {
                    tables[k][b as usize] = class.contains(byte_char(b));
                }
            }
            tables
        });
        match self {
            Class::Whitespace => tables[0][b as usize],
            Class::Numeric => tables[1][b as usize],
            Class::Punctuation => tables[2][b as usize],
            Class::Is(x) => byte_char(b) == x,
        }
    }
}

fn words() -> &'static Pattern {
    static WORDS: OnceLock<Pattern> = OnceLock::new();
    WORDS.get_or_init(|| Pattern::rust_regex(r"\w+|[^\w\s]+").expect("a valid regex"))
}

fn gpt2() -> &'static Regex {
    static GPT2: OnceLock<Regex> = OnceLock::new();
    GPT2.get_or_init(|| Regex::Builtin(Builtin::Gpt2))
}

fn byte_level(piece: PreToken<'_>, use_regex: bool, emit: &mut Emit<'_>) -> Result<()> {
    let Text::Chars(text) = piece.text else { unreachable!("checked when built") };
    fn as_bytes(p: PreToken<'_>) -> PreToken<'_> {
        PreToken { text: Text::Bytes(p.text.as_bytes()), ..p }
    }
    if !use_regex {
        return if text.is_empty() { Ok(()) } else { emit(as_bytes(piece)) };
    }
    // GPT-2's regex (HF's spelling: `\s+(?!\S)|\s+` where tiktoken has `\s++$|\s+(?!\S)|\s`,
    // which cut the same) covers the whole text, so every piece is a match.
    let mut outcome = Ok(());
    gpt2().for_each_piece(text, |start, end| {
        if outcome.is_ok() {
            outcome = emit(as_bytes(piece.sub(start, end)));
        }
    })?;
    outcome
}

/// Metaspace's rewrite, in one pass: each space becomes the replacement (with the space's
/// range), and a replacement is put in front (with the first character's range, as HF's
/// prepend aligns it) unless the piece is empty or already starts with one.
fn metaspace(piece: PreToken<'_>, replacement: char, scheme: PrependScheme, cut: bool, emit: &mut Emit<'_>) -> Result<()> {
    let Text::Chars(text) = piece.text else { unreachable!("checked when built") };
    let prepend = match scheme {
        PrependScheme::Always => true,
        PrependScheme::First => piece.base == 0,
        PrependScheme::Never => false,
    } && !text.is_empty()
        && !text.starts_with([' ', replacement]);
    let width = replacement.len_utf8();
    let mut rewritten = String::with_capacity(text.len() + width);
    let mut align = piece.align.map(|a| Vec::with_capacity(a.len() + width));
    if prepend {
        rewritten.push(replacement);
        if let (Some(new), Some(old)) = (align.as_mut(), piece.align) {
            new.extend(std::iter::repeat_n(old[0], width));
        }
    }
    for (i, c) in text.char_indices() {
        let c = if c == ' ' { replacement } else { c };
        rewritten.push(c);
        if let (Some(new), Some(old)) = (align.as_mut(), piece.align) {
            new.extend(std::iter::repeat_n(old[i], c.len_utf8()));
        }
    }
    let whole = PreToken { text: Text::Chars(&rewritten), align: align.as_deref(), base: piece.base };
    metaspace_split(whole, replacement, cut, emit)
}

/// Cuts Metaspace's rewritten piece before each replacement character, if asked to.
fn metaspace_split(whole: PreToken<'_>, replacement: char, cut: bool, emit: &mut Emit<'_>) -> Result<()> {
    if cut {
        split(whole, Finder::Class(Class::Is(replacement)), Behavior::MergedWithNext, false, emit)
    } else if whole.text.is_empty() {
        Ok(())
    } else {
        emit(whole)
    }
}

/// What a split looks for: characters of a class (each one a match of its own), or a
/// pattern's matches.
enum Finder<'p> {
    Class(Class),
    Pattern(&'p Pattern),
}

impl Finder<'_> {
    /// Calls `chunk(start, end, is_match)` for consecutive ranges that cover `text`.
    fn chunks(&self, text: Text<'_>, chunk: &mut dyn FnMut(usize, usize, bool) -> Result<()>) -> Result<()> {
        let mut last = 0;
        let mut outcome = Ok(());
        let mut found = |start: usize, end: usize| {
            if outcome.is_ok() && last < start {
                outcome = chunk(last, start, false);
            }
            if outcome.is_ok() {
                outcome = chunk(start, end, true);
            }
            last = end;
        };
        match (self, text) {
            (Finder::Class(class), Text::Chars(s)) => {
                for (i, c) in s.char_indices() {
                    if class.contains(c) {
                        found(i, i + c.len_utf8());
                    }
                }
            }
            (Finder::Class(class), Text::Bytes(b)) => {
                for (i, &byte) in b.iter().enumerate() {
                    if class.contains_byte(byte) {
                        found(i, i + 1);
                    }
                }
            }
            (Finder::Pattern(pattern), Text::Chars(s)) => pattern.for_each_match(s, found)?,
            (Finder::Pattern(pattern), Text::Bytes(b))
                if pattern.first_chars().is_some_and(|first| !b.iter().any(|&x| first.contains_byte(x))) => {}
            (Finder::Pattern(pattern), Text::Bytes(b)) => {
                // Match on the spelling; its k-th character is byte k.
                let spelled = super::byte_alphabet::spell(b);
                let mut byte_of = vec![0u32; spelled.len() + 1];
                let mut k = 0;
                for (i, c) in spelled.char_indices() {
                    byte_of[i..i + c.len_utf8()].fill(k);
                    k += 1;
                }
                byte_of[spelled.len()] = k;
                pattern.for_each_match(&spelled, |s, e| found(byte_of[s] as usize, byte_of[e] as usize))?;
            }
        }
        outcome?;
        if last < text.len() {
            chunk(last, text.len(), false)?;
        }
        Ok(())
    }
}

/// Splits `piece` where `finder` finds its matches (or, with `invert`, where it finds
/// the text between them), treating the matches as `behavior` says.
fn split(piece: PreToken<'_>, finder: Finder<'_>, behavior: Behavior, invert: bool, emit: &mut Emit<'_>) -> Result<()> {
    let mut out = |start: usize, end: usize| if start < end { emit(piece.sub(start, end)) } else { Ok(()) };
    // A range waiting to learn whether it merges with the next one.
    let mut held: Option<(usize, usize, bool)> = None;
    let mut previous_match = false;
    finder.chunks(piece.text, &mut |start, end, found| {
        let is_match = found != invert;
        match behavior {
            Behavior::Removed => {
                if !is_match {
                    out(start, end)?;
                }
            }
            Behavior::Isolated => out(start, end)?,
            Behavior::Contiguous => match held {
                Some((s, _, m)) if m == is_match => held = Some((s, end, m)),
                _ => {
                    if let Some((s, e, _)) = held {
                        out(s, e)?;
                    }
                    held = Some((start, end, is_match));
                }
            },
            Behavior::MergedWithPrevious => {
                if is_match && !previous_match {
                    let from = held.map_or(start, |(s, _, _)| s);
                    held = None;
                    out(from, end)?;
                } else {
                    if let Some((s, e, _)) = held {
                        out(s, e)?;
                    }
                    held = Some((start, end, is_match));
                }
            }
            Behavior::MergedWithNext => match held {
                Some((s, _, true)) if !is_match => {
                    held = None;
                    out(s, end)?;
                }
                _ => {
                    if let Some((s, e, _)) = held {
                        out(s, e)?;
                    }
                    if is_match {
                        held = Some((start, end, true));
                    } else {
                        out(start, end)?;
                    }
                }
            },
        }
        previous_match = is_match;
        Ok(())
    })?;
    if let Some((s, e, _)) = held {
        out(s, e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(pre: &PreTokenizer, text: &str) -> Vec<(String, (usize, usize))> {
        let normalized = Normalized::new(text, 0, true);
        let mut out = Vec::new();
        pre.pre_tokenize(PreToken::whole(&normalized), &mut |p| {
            let align = p.align.unwrap();
            let span = super::super::normalized::original_span(align, 0, p.text.len());
            out.push((p.text.display(), span));
            Ok(())
        })
        .unwrap();
        out
    }

    fn texts(pre: &PreTokenizer, text: &str) -> Vec<String> {
        pieces(pre, text).into_iter().map(|(t, _)| t).collect()
    }

    fn on_dash(behavior: Behavior) -> Vec<String> {
        let pre = PreTokenizer::Split { pattern: Pattern::Literal("-".into()), behavior, invert: false };
        texts(&pre, "the-final--countdown")
    }

    #[test]
    fn split_behaviors_treat_delimiters_as_hf_does() {
        assert_eq!(on_dash(Behavior::Removed), ["the", "final", "countdown"]);
        assert_eq!(on_dash(Behavior::Isolated), ["the", "-", "final", "-", "-", "countdown"]);
        assert_eq!(on_dash(Behavior::MergedWithPrevious), ["the-", "final-", "-", "countdown"]);
        assert_eq!(on_dash(Behavior::MergedWithNext), ["the", "-final", "-", "-countdown"]);
        assert_eq!(on_dash(Behavior::Contiguous), ["the", "-", "final", "--", "countdown"]);
    }

    #[test]
    fn byte_level_spells_bytes_and_keeps_offsets() {
        let pre = PreTokenizer::ByteLevel { add_prefix_space: false, trim_offsets: true, use_regex: true };
        assert_eq!(
            pieces(&pre, "Hello my friend, i⭢j"),
            [
                ("Hello".into(), (0, 5)),
                ("Ġmy".into(), (5, 8)),
                ("Ġfriend".into(), (8, 15)),
                (",".into(), (15, 16)),
                ("Ġi".into(), (16, 18)),
                ("âŃ¢".into(), (18, 21)),
                ("j".into(), (21, 22)),
            ]
        );
    }

    #[test]
    fn stages_after_byte_level_see_the_spelling() {
        // "²" spells the byte 0xB2, which ends "β" (CE B2): Digits cuts inside it, as HF does.
        let pre = PreTokenizer::Sequence(vec![
            PreTokenizer::ByteLevel { add_prefix_space: false, trim_offsets: true, use_regex: true },
            PreTokenizer::Digits { individual_digits: false },
        ]);
        assert_eq!(texts(&pre, "αβ12"), ["Î±Î", "²", "12"]);
    }

    #[test]
    fn metaspace_replaces_spaces_and_starts_pieces() {
        let pre = PreTokenizer::Metaspace { replacement: '▁', prepend_scheme: PrependScheme::Always, split: true };
        assert_eq!(
            pieces(&pre, "Hey   friend!"),
            [("▁Hey".into(), (0, 3)), ("▁".into(), (3, 4)), ("▁".into(), (4, 5)), ("▁friend!".into(), (5, 13))]
        );
    }

    #[test]
    fn bert_cuts_at_spaces_and_around_punctuation() {
        assert_eq!(texts(&PreTokenizer::Bert, "Hey friend!  How's it?"), ["Hey", "friend", "!", "How", "'", "s", "it", "?"]);
        assert_eq!(texts(&PreTokenizer::Whitespace, "Hey friend!  How's"), ["Hey", "friend", "!", "How", "'", "s"]);
    }

    #[test]
    fn metaspace_after_byte_level_is_refused() {
        let pre = PreTokenizer::Sequence(vec![
            PreTokenizer::ByteLevel { add_prefix_space: false, trim_offsets: true, use_regex: true },
            PreTokenizer::Metaspace { replacement: '▁', prepend_scheme: PrependScheme::Always, split: true },
        ]);
        assert!(pre.check().unwrap_err().to_string().contains("Metaspace after ByteLevel"));
    }
}
