//! HF's BPE model, in two engines that share `bpe::encode`'s merge (scan for short pieces,
//! bucket queue for long ones) and give HF's ids and spans:
//!
//! - `ByteBpe`, for byte-level files (GPT-2, RoBERTa, Falcon, Llama 3): the vocabulary is
//!   spelled in the byte alphabet, so it is read back into bytes and the pieces are merged
//!   as bytes by the byte-level `MergeList`. Bytes without a token (Falcon has none for
//!   some control bytes) are dropped before merging, as HF drops them.
//! - `Bpe`, over characters (SentencePiece-style files such as Phi-3, and tokkit's own
//!   character-level BPE): the initial parts of a word are its characters, each looked up
//!   as a token (with `continuing_subword_prefix` after the first and `end_of_word_suffix`
//!   on the last); a character that is not a token becomes its `<0xXX>` byte tokens
//!   (`byte_fallback`) or the unknown token (consecutive ones fused with `fuse_unk`), or
//!   is dropped. Merges then join pairs of ids, earliest merge first.
//!
//! Phi-3 has no pre-tokenizer: a whole text is one "word". Merging it whole is
//! O(n log n), but the cache cannot help. So `Bpe` cuts a word where no merge can ever
//! join across the cut: between two characters that are tokens on their own and that
//! appear next to each other in no token (in SentencePiece vocabularies, before every "▁"
//! that follows a letter), and next to a character that becomes byte-fallback tokens when
//! no merge takes a byte token. Parts on the two sides of such a cut never join, and the
//! merge order within each side does not depend on the other, so the ids are the same;
//! each cut word is then merged once and cached.

use super::model::{ModelScratch, Vocab};
use crate::bpe::encode::{merge_long, merge_long_parts, merge_scan, scan_parts, MergeRule, ABSENT};
use crate::bpe::{MergeList, Ranks};
use crate::error::{Error, Result};
use rustc_hash::{FxHashMap, FxHashSet};

/// Pieces at least this long go to the long merge (as in `bpe::encode`).
const LONG_PIECE: usize = 128;

/// The options of a BPE model, as tokenizer.json spells them (kept to be written back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BpeOptions {
    pub unk_token: Option<String>,
    pub continuing_subword_prefix: Option<String>,
    pub end_of_word_suffix: Option<String>,
    pub fuse_unk: bool,
    pub byte_fallback: bool,
    pub ignore_merges: bool,
}

#[inline(always)]
fn key(left: u32, right: u32) -> u64 {
    (left as u64) << 32 | right as u64
}

/// The spelling of the byte-fallback token for `b`: `<0x41>`.
pub fn byte_token(b: u8) -> String {
    format!("<0x{b:02X}>")
}

// ---- byte-level ---------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct ByteBpe {
    list: MergeList,
    /// Bytes with no token (dropped before merging).
    missing: [bool; 256],
    any_missing: bool,
    options: BpeOptions,
}

impl ByteBpe {
    /// A byte-level model from its vocabulary spelled in the byte alphabet and its merges,
    /// or None if it cannot be one (a token outside the alphabet, a prefix or suffix, or
    /// missing bytes that must become an unknown or byte-fallback token).
    pub fn from_spelled(vocab: &Vocab, merges: &[(u32, u32)], options: &BpeOptions) -> Result<Option<ByteBpe>> {
        let affixes = [&options.continuing_subword_prefix, &options.end_of_word_suffix];
        if affixes.iter().any(|a| a.as_deref().is_some_and(|s| !s.is_empty())) {
            return Ok(None);
        }
        let mut tokens = Vec::with_capacity(vocab.len());
        for (token, id) in vocab.iter() {
            match super::byte_alphabet::unspell(token) {
                Some(bytes) if !bytes.is_empty() => tokens.push((bytes, id)),
                _ => return Ok(None),
            }
        }
        let (ranks, missing_bytes) = Ranks::from_tokens_missing_bytes(tokens)?;
        if !missing_bytes.is_empty() && (options.unk_token.is_some() || options.byte_fallback) {
            return Ok(None);
        }
        let mut missing = [false; 256];
        for &b in &missing_bytes {
            missing[b as usize] = true;
        }
        let list = MergeList::new(ranks, merges.to_vec(), options.ignore_merges)?;
        Ok(Some(ByteBpe { list, missing, any_missing: !missing_bytes.is_empty(), options: options.clone() }))
    }

    pub fn options(&self) -> &BpeOptions {
        &self.options
    }

    pub fn merges(&self) -> &[(u32, u32)] {
        self.list.merges()
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.list.vocab().get(&super::byte_alphabet::unspell(token)?)
    }

    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.list.vocab().token(id).map(super::byte_alphabet::spell)
    }

    pub fn vocab_size(&self) -> usize {
        self.list.vocab().len()
    }

    pub fn id_bound(&self) -> u32 {
        self.list.vocab().rank_bound() as u32
    }

    pub fn tokenize(&self, piece: &[u8], scratch: &mut ModelScratch, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) {
        let first = ids.len();
        if let Some(id) = self.list.whole(piece) {
            ids.push(id);
        } else if self.any_missing && piece.iter().any(|&b| self.missing[b as usize]) {
            return self.tokenize_dropping(piece, scratch, ids, spans);
        } else if let Some((cached, _)) = scratch.cache.get(piece) {
            ids.extend_from_slice(cached);
        } else {
            if piece.len() < LONG_PIECE {
                merge_scan(&self.list, piece, &mut scratch.parts, ids);
            } else {
                merge_long(&self.list, piece, ids);
            }
            scratch.cache.put(piece, &ids[first..], &[]);
        }
        if let Some(spans) = spans {
            let mut at = 0;
            for &id in &ids[first..] {
                let len = self.list.vocab().token(id).map_or(0, <[u8]>::len);
                spans.push((at, at + len));
                at += len;
            }
        }
    }

    /// A piece with bytes that have no token: they are dropped, and, as in HF, a token's
    /// span counts only the kept bytes before it, in the byte alphabet's spelling (where
    /// the bytes past U+00FF take two), read back as a span of bytes of the piece.
    fn tokenize_dropping(&self, piece: &[u8], scratch: &mut ModelScratch, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) {
        let kept: Vec<u8> = piece.iter().copied().filter(|&b| !self.missing[b as usize]).collect();
        let first = ids.len();
        if kept.len() < LONG_PIECE {
            merge_scan(&self.list, &kept, &mut scratch.parts, ids);
        } else {
            merge_long(&self.list, &kept, ids);
        }
        let Some(spans) = spans else { return };
        let spelled_len = |b: u8| super::byte_alphabet::byte_char(b).len_utf8();
        // The byte of the piece whose spelling holds each spelled offset.
        let mut byte_at = Vec::with_capacity(piece.len() * 2);
        for (k, &b) in piece.iter().enumerate() {
            byte_at.extend(std::iter::repeat_n(k, spelled_len(b)));
        }
        let mut at = 0; // spelled offset, counting kept bytes only
        let mut kept_at = 0;
        for &id in &ids[first..] {
            let len = self.list.vocab().token(id).map_or(0, <[u8]>::len);
            let width: usize = kept[kept_at..kept_at + len].iter().map(|&b| spelled_len(b)).sum();
            let start = byte_at.get(at).copied().unwrap_or(piece.len());
            let end = byte_at.get(at + width - 1).map_or(piece.len(), |&k| k + 1);
            spans.push((start, end));
            at += width;
            kept_at += len;
        }
    }
}

// ---- characters ---------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Bpe {
    vocab: Vocab,
    merges: Vec<(u32, u32)>,
    /// (left << 32 | right) → priority (the merge's position; the last one for a pair
    /// listed twice, as HF).
    pairs: FxHashMap<u64, u32>,
    /// priority → the id the merge makes.
    merged: Vec<u32>,
    options: BpeOptions,
    /// The initial id of each character: first/later in the word × last or not.
    symbols: [FxHashMap<char, u32>; 4],
    ascii: [[u32; 128]; 4],
    /// `<0xXX>` ids (ABSENT where missing), when `byte_fallback`.
    byte_ids: [u32; 256],
    unk_id: Option<u32>,
    cuts: Option<Cuts>,
}

/// Where a word can be cut (see the module documentation): between two characters that
/// are tokens when the second is in `before` and the pair is not in `joined`; next to a
/// character that is not a token when `apart_from_unknown`.
#[derive(Clone, Debug)]
struct Cuts {
    joined: FxHashSet<(char, char)>,
    before: FxHashSet<char>,
    /// Every byte has a byte-fallback token and no merge takes one, so a character that
    /// is not a token never joins its neighbours.
    apart_from_unknown: bool,
}

impl Bpe {
    pub fn new(vocab: Vocab, merges: Vec<(u32, u32)>, options: BpeOptions) -> Result<Bpe> {
        let prefix = options.continuing_subword_prefix.clone().unwrap_or_default();
        let suffix = options.end_of_word_suffix.clone().unwrap_or_default();
        let mut pairs = FxHashMap::default();
        let mut merged = Vec::with_capacity(merges.len());
        for (priority, &(left, right)) in merges.iter().enumerate() {
            let token = |id: u32| {
                vocab.token(id).ok_or_else(|| Error::BadVocabulary(format!("merge {priority} uses id {id}, which is not in the vocabulary")))
            };
            let (a, b) = (token(left)?, token(right)?);
            // HF drops the prefix's length from the right part, whatever it starts with.
            let joined = format!("{a}{}", b.get(prefix.len()..).unwrap_or(""));
            let id = vocab.id(&joined).ok_or_else(|| {
                Error::BadVocabulary(format!("merge {priority} joins {a:?} and {b:?} into {joined:?}, which is not in the vocabulary"))
            })?;
            pairs.insert(key(left, right), priority as u32);
            merged.push(id);
        }
        let mut symbols: [FxHashMap<char, u32>; 4] = Default::default();
        let mut ascii = [[ABSENT; 128]; 4];
        for (token, id) in vocab.iter() {
            for (form, (pre, suf)) in [("", ""), (prefix.as_str(), ""), ("", suffix.as_str()), (prefix.as_str(), suffix.as_str())].iter().enumerate() {
                let Some(core) = token.strip_prefix(pre).and_then(|t| t.strip_suffix(suf)) else { continue };
                let mut chars = core.chars();
                if let (Some(c), None) = (chars.next(), chars.next()) {
                    symbols[form].insert(c, id);
                    if c.is_ascii() {
                        ascii[form][c as usize] = id;
                    }
                }
            }
        }
        let mut byte_ids = [ABSENT; 256];
        if options.byte_fallback {
            for b in 0..=255u8 {
                byte_ids[b as usize] = vocab.id(&byte_token(b)).unwrap_or(ABSENT);
            }
        }
        let unk_id = match &options.unk_token {
            Some(unk) => Some(vocab.required(unk, "unk_token")?),
            None => None,
        };
        let mut bpe = Bpe { vocab, merges, pairs, merged, options, symbols, ascii, byte_ids, unk_id, cuts: None };
        if prefix.is_empty() && suffix.is_empty() {
            bpe.cuts = Some(bpe.find_cuts());
        }
        Ok(bpe)
    }

    /// Characters that appear after few others inside tokens are where words get cut.
    fn find_cuts(&self) -> Cuts {
        let mut joined = FxHashSet::default();
        let mut left_of: FxHashMap<char, FxHashSet<char>> = FxHashMap::default();
        for (token, _) in self.vocab.iter() {
            let mut chars = token.chars();
            let Some(mut previous) = chars.next() else { continue };
            for c in chars {
                joined.insert((previous, c));
                left_of.entry(c).or_default().insert(previous);
                previous = c;
            }
        }
        let before = self.symbols[0]
            .keys()
            .copied()
            .filter(|c| left_of.get(c).is_none_or(|left| left.len() <= 8))
            .collect();
        let byte_tokens: FxHashSet<u32> = self.byte_ids.iter().copied().filter(|&id| id != ABSENT).collect();
        let apart_from_unknown = self.options.byte_fallback
            && byte_tokens.len() == 256
            && !self.merges.iter().any(|(l, r)| byte_tokens.contains(l) || byte_tokens.contains(r));
        Cuts { joined, before, apart_from_unknown }
    }

    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    pub fn merges(&self) -> &[(u32, u32)] {
        &self.merges
    }

    pub fn options(&self) -> &BpeOptions {
        &self.options
    }

    /// The id of character `c` as the initial part of a word (`form`: bit 0 = not first,
    /// bit 1 = last).
    #[inline(always)]
    fn symbol(&self, form: usize, c: char) -> Option<u32> {
        if c.is_ascii() {
            let id = self.ascii[form][c as usize];
            (id != ABSENT).then_some(id)
        } else {
            self.symbols[form].get(&c).copied()
        }
    }

    pub fn tokenize(&self, word: &str, scratch: &mut ModelScratch, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) {
        if self.options.ignore_merges {
            if let Some(id) = self.vocab.id(word) {
                ids.push(id);
                if let Some(spans) = spans {
                    spans.push((0, word.len()));
                }
                return;
            }
        }
        let mut spans = spans;
        let mut at = 0; // HF's coordinates: kept bytes before this word
        let mut start = 0;
        if let Some(cuts) = &self.cuts {
            let mut previous: Option<(char, bool)> = None;
            for (i, c) in word.char_indices() {
                let known = self.symbol(0, c).is_some();
                if let Some((p, p_known)) = previous {
                    let cut = if p_known && known {
                        cuts.before.contains(&c) && !cuts.joined.contains(&(p, c))
                    } else {
                        cuts.apart_from_unknown
                    };
                    if cut {
                        at = self.tokenize_word(&word[start..i], at, scratch, ids, spans.as_deref_mut());
                        start = i;
                    }
                }
                previous = Some((c, known));
            }
        }
        self.tokenize_word(&word[start..], at, scratch, ids, spans);
    }

    /// Merges one word (or one part of a cut word), its spans starting at `at`; returns
    /// where its last span ends.
    fn tokenize_word(&self, word: &str, at: usize, scratch: &mut ModelScratch, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) -> usize {
        if let Some((cached, lens)) = scratch.cache.get(word.as_bytes()) {
            ids.extend_from_slice(cached);
            return push_spans(lens, at, spans);
        }
        let first = ids.len();
        scratch.lens.clear();
        if word.len() < LONG_PIECE {
            scan_parts(self, word.as_bytes(), &mut scratch.parts);
            for w in scratch.parts.windows(2) {
                ids.push(w[0].id);
                scratch.lens.push(w[1].start - w[0].start);
            }
        } else {
            let mut previous: Option<u32> = None;
            let lens = &mut scratch.lens;
            let last = merge_long_parts(self, word.as_bytes(), |start, id| {
                ids.push(id);
                if let Some(p) = previous {
                    lens.push(start - p);
                }
                previous = Some(start);
            });
            if let Some(p) = previous {
                lens.push(last - p);
            }
        }
        scratch.cache.put(word.as_bytes(), &ids[first..], &scratch.lens);
        push_spans(&scratch.lens, at, spans)
    }
}

/// Pushes spans of the given lengths, one after another from `at`; returns the end.
fn push_spans(lens: &[u32], mut at: usize, mut spans: Option<&mut Vec<(usize, usize)>>) -> usize {
    for &len in lens {
        if let Some(spans) = spans.as_deref_mut() {
            spans.push((at, at + len as usize));
        }
        at += len as usize;
    }
    at
}

impl MergeRule for Bpe {
    const BYTE_PARTS: bool = false;

    /// HF's `merge_word`: see the module documentation. A pending unknown token is added
    /// only when a known character (or the end) follows, so byte-fallback tokens met in
    /// between come first, as in HF.
    fn initial_parts(&self, piece: &[u8], mut part: impl FnMut(u32, u32)) -> u32 {
        let word = std::str::from_utf8(piece).expect("words are text");
        let mut at = 0u32;
        let mut unknown: Option<(u32, u32)> = None;
        let mut chars = word.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let last = chars.peek().is_none();
            let form = (i > 0) as usize | (last as usize) << 1;
            let len = c.len_utf8() as u32;
            if let Some(id) = self.symbol(form, c) {
                if let Some((unk, unk_len)) = unknown.take() {
                    part(at, unk);
                    at += unk_len;
                }
                part(at, id);
                at += len;
                continue;
            }
            if self.options.byte_fallback {
                let spelled = self.spelled(form, c);
                if spelled.bytes().all(|b| self.byte_ids[b as usize] != ABSENT) {
                    for b in spelled.bytes() {
                        part(at, self.byte_ids[b as usize]);
                        at += 1;
                    }
                    continue;
                }
            }
            if let Some(unk_id) = self.unk_id {
                unknown = match unknown {
                    Some((unk, unk_len)) if self.options.fuse_unk => Some((unk, unk_len + len)),
                    Some((unk, unk_len)) => {
                        part(at, unk);
                        at += unk_len;
                        Some((unk_id, len))
                    }
                    None => Some((unk_id, len)),
                };
            }
        }
        if let Some((unk, unk_len)) = unknown {
            part(at, unk);
            at += unk_len;
        }
        at
    }

    #[inline(always)]
    fn join(&self, _: &[u8], _: usize, _: usize, _: usize, left: u32, right: u32) -> Option<u32> {
        self.pairs.get(&key(left, right)).copied()
    }

    #[inline(always)]
    fn joined_id(&self, priority: u32) -> u32 {
        self.merged[priority as usize]
    }

    #[inline(always)]
    fn whole(&self, _: &[u8]) -> Option<u32> {
        None
    }

    fn priority_bound(&self) -> usize {
        self.merges.len()
    }
}

impl Bpe {
    /// A character as the token string HF looks up (with prefix and suffix).
    fn spelled(&self, form: usize, c: char) -> String {
        let mut s = String::new();
        if form & 1 == 1 {
            s.push_str(self.options.continuing_subword_prefix.as_deref().unwrap_or(""));
        }
        s.push(c);
        if form & 2 == 2 {
            s.push_str(self.options.end_of_word_suffix.as_deref().unwrap_or(""));
        }
        s
    }
}
