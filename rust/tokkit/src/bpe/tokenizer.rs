//! A byte-level BPE tokenizer in tiktoken's manner: special tokens, then a pre-tokenizer
//! regex, then rank-based merging of each piece's bytes.

use super::encode::{MergeRule, PieceEncoder};
use super::merge_list::MergeList;
use super::vocab::{Rank, Ranks};
use crate::error::{Error, Result};
use crate::piece_cache::{with_kept, CacheInfo, Kept, ModelId};
use crate::pretokenize::Splitter;
use crate::special::{Segment, SpecialSet, SpecialTokens};
use rayon::prelude::*;

/// Which merge rule a byte-level BPE follows.
#[derive(Clone, Debug)]
pub enum ByteBpeModel {
    /// tiktoken's: ranks of token bytes.
    Ranks(Ranks),
    /// A merge list's.
    Merges(MergeList),
}

impl From<Ranks> for ByteBpeModel {
    fn from(ranks: Ranks) -> ByteBpeModel {
        ByteBpeModel::Ranks(ranks)
    }
}

impl From<MergeList> for ByteBpeModel {
    fn from(list: MergeList) -> ByteBpeModel {
        ByteBpeModel::Merges(list)
    }
}

impl ByteBpeModel {
    /// Token bytes ↔ ids.
    pub fn vocab(&self) -> &Ranks {
        match self {
            ByteBpeModel::Ranks(ranks) => ranks,
            ByteBpeModel::Merges(list) => list.vocab(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ByteLevelBpe {
    model: ByteBpeModel,
    pre_tokenizer: Splitter,
    specials: SpecialTokens,
    /// One past the largest id (ranks and special tokens).
    id_bound: u32,
    /// Finds this tokenizer's piece encoder among those a thread keeps.
    id: ModelId,
}

thread_local! {
    /// Each thread's piece encoder (and piece cache) for its last few tokenizers.
    static ENCODERS: Kept<PieceEncoder> = const { std::cell::RefCell::new(Vec::new()) };
}

impl ByteLevelBpe {
    pub fn new(model: impl Into<ByteBpeModel>, pre_tokenizer: Splitter, specials: Vec<(String, u32)>) -> Result<ByteLevelBpe> {
        let model = model.into();
        let ranks = model.vocab();
        for (text, id) in &specials {
            if let Some(bytes) = ranks.token(*id) {
                return Err(Error::InvalidArgument(format!(
                    "the special token {text:?} has id {id}, which the vocabulary already uses for \
                     {:?}; give it an id of its own",
                    String::from_utf8_lossy(bytes)
                )));
            }
        }
        let specials = SpecialTokens::new(specials)?;
        let largest_special = specials.iter().last().map(|&(_, id)| id as usize + 1).unwrap_or(0);
        let id_bound = ranks.rank_bound().max(largest_special) as u32;
        Ok(ByteLevelBpe { model, pre_tokenizer, specials, id_bound, id: ModelId::new() })
    }

    pub fn model(&self) -> &ByteBpeModel {
        &self.model
    }

    /// The vocabulary: token bytes ↔ ids.
    pub fn vocab(&self) -> &Ranks {
        self.model.vocab()
    }

    pub fn pre_tokenizer(&self) -> &Splitter {
        &self.pre_tokenizer
    }

    pub fn specials(&self) -> &SpecialTokens {
        &self.specials
    }

    /// One past the largest token id (the size an embedding table needs).
    pub fn id_bound(&self) -> u32 {
        self.id_bound
    }

    /// Runs `work` with this thread's piece encoder for this tokenizer, whose cache holds
    /// the pieces merged by earlier calls on this thread.
    fn with_encoder<T>(&self, work: impl FnOnce(&mut PieceEncoder) -> T) -> T {
        with_kept(&ENCODERS, self.id, work, |_| {})
    }

    /// What this thread's piece cache for this tokenizer has done and holds.
    pub fn cache_info(&self) -> CacheInfo {
        self.with_encoder(|encoder| encoder.cache().info())
    }

    /// Encodes ordinary text (no special-token handling) into `out`.
    fn encode_text(&self, text: &str, out: &mut Vec<Rank>, encoder: &mut PieceEncoder) -> Result<()> {
        match &self.model {
            ByteBpeModel::Ranks(ranks) => self.encode_text_by(ranks, text, out, encoder),
            ByteBpeModel::Merges(list) => self.encode_text_by(list, text, out, encoder),
        }
    }

    #[inline(always)]
    fn encode_text_by(
        &self,
        rule: &impl MergeRule,
        text: &str,
        out: &mut Vec<Rank>,
        encoder: &mut PieceEncoder,
    ) -> Result<()> {
        let bytes = text.as_bytes();
        let batched = self.pre_tokenizer.for_each_batch(text, |start, ends| {
            encoder.encode_batch(rule, bytes, start, ends, out);
        });
        if batched {
            return Ok(());
        }
        // A regex need not match every character; text between its matches would be lost.
        let (mut covered, mut gap) = (0, None);
        self.pre_tokenizer.for_each_piece(text, |start, end| {
            if start != covered && gap.is_none() {
                gap = Some(covered);
            }
            covered = end;
            encoder.encode_in(rule, bytes, start, end, out)
        })?;
        match gap.or((covered != text.len()).then_some(covered)) {
            None => Ok(()),
            Some(at) => Err(Error::PatternGap {
                at: text[..at].chars().count(),
                text: text[at..].chars().take(20).collect(),
            }),
        }
    }

    fn encode_piece(&self, piece: &[u8], out: &mut Vec<Rank>, encoder: &mut PieceEncoder) {
        match &self.model {
            ByteBpeModel::Ranks(ranks) => encoder.encode(ranks, piece, out),
            ByteBpeModel::Merges(list) => encoder.encode(list, piece, out),
        }
    }

    /// Encodes `text` as ordinary text: special-token text is encoded like any other.
    pub fn encode_ordinary(&self, text: &str) -> Result<Vec<Rank>> {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        self.with_encoder(|encoder| self.encode_text(text, &mut out, encoder))?;
        Ok(out)
    }

    /// Encodes `text`, turning the `allowed` special tokens into their ids and failing on
    /// any `disallowed` one (see `SpecialTokens::segments`).
    pub fn encode(&self, text: &str, allowed: &SpecialSet, disallowed: &SpecialSet) -> Result<Vec<Rank>> {
        self.with_encoder(|encoder| self.encode_with(text, allowed, disallowed, encoder))
    }

    fn encode_with(
        &self,
        text: &str,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        encoder: &mut PieceEncoder,
    ) -> Result<Vec<Rank>> {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        for segment in self.specials.segments(text, allowed, disallowed)? {
            match segment {
                Segment::Text { start, end } => self.encode_text(&text[start..end], &mut out, encoder)?,
                Segment::Special { id, .. } => out.push(id),
            }
        }
        Ok(out)
    }

    /// Like `encode`, with each token's byte range in `text`. A token that ends or starts
    /// inside a multi-byte character gets the byte range of its own bytes.
    pub fn encode_with_spans(
        &self,
        text: &str,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
    ) -> Result<(Vec<Rank>, Vec<(usize, usize)>)> {
        let mut ids = Vec::new();
        let mut spans = Vec::new();
        self.with_encoder(|encoder| -> Result<()> {
            for segment in self.specials.segments(text, allowed, disallowed)? {
                match segment {
                    Segment::Text { start, end } => {
                        let first = ids.len();
                        self.encode_text(&text[start..end], &mut ids, encoder)?;
                        let mut offset = start;
                        for &id in &ids[first..] {
                            let len = self.vocab().token(id).map_or(0, <[u8]>::len);
                            spans.push((offset, offset + len));
                            offset += len;
                        }
                    }
                    Segment::Special { id, start, end } => {
                        ids.push(id);
                        spans.push((start, end));
                    }
                }
            }
            Ok(())
        })?;
        Ok((ids, spans))
    }

    /// Encodes arbitrary bytes: valid UTF-8 runs are pre-tokenized as text, and each run
    /// of invalid bytes is merged as one piece, so `decode_bytes` gives the bytes back.
    pub fn encode_bytes(&self, mut bytes: &[u8]) -> Result<Vec<Rank>> {
        let mut out = Vec::with_capacity(bytes.len() / 4 + 1);
        self.with_encoder(|encoder| -> Result<()> {
            while !bytes.is_empty() {
                match std::str::from_utf8(bytes) {
                    Ok(text) => {
                        self.encode_text(text, &mut out, encoder)?;
                        break;
                    }
                    Err(e) => {
                        let valid = e.valid_up_to();
                        let text = std::str::from_utf8(&bytes[..valid]).expect("checked valid");
                        self.encode_text(text, &mut out, encoder)?;
                        let invalid = e.error_len().unwrap_or(bytes.len() - valid);
                        self.encode_piece(&bytes[valid..valid + invalid], &mut out, encoder);
                        bytes = &bytes[valid + invalid..];
                    }
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Encodes many texts in parallel (rayon); the result is in input order. Each worker
    /// thread uses its own piece encoder, kept across calls.
    pub fn encode_batch(
        &self,
        texts: &[&str],
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
    ) -> Result<Vec<Vec<Rank>>> {
        texts
            .par_iter()
            .map(|text| self.with_encoder(|encoder| self.encode_with(text, allowed, disallowed, encoder)))
            .collect()
    }

    /// The bytes of a token (a rank or a special token).
    pub fn token_bytes(&self, id: Rank) -> Option<&[u8]> {
        self.vocab().token(id).or_else(|| self.specials.text(id).map(str::as_bytes))
    }

    /// The id of the token with exactly these bytes (special tokens included).
    pub fn token_id(&self, bytes: &[u8]) -> Option<Rank> {
        self.vocab()
            .get(bytes)
            .or_else(|| std::str::from_utf8(bytes).ok().and_then(|t| self.specials.id(t)))
    }

    /// The bytes that `ids` stand for, or an error naming the first unknown id.
    pub fn decode_bytes(&self, ids: &[Rank]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(ids.len() * 4);
        for &id in ids {
            let bytes = self.token_bytes(id).ok_or(Error::InvalidId {
                id: id as u64,
                max: self.id_bound.saturating_sub(1),
            })?;
            out.extend_from_slice(bytes);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> ByteLevelBpe {
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        for t in ["he", "ll", "hell", "hello", " w", "or", " wor", " world"] {
            tokens.push(t.as_bytes().to_vec());
        }
        let ranks =
            Ranks::from_tokens(tokens.into_iter().enumerate().map(|(r, t)| (t, r as Rank))).unwrap();
        ByteLevelBpe::new(ranks, Splitter::named("gpt2").unwrap(), vec![("<|end|>".into(), 300)])
            .unwrap()
    }

    #[test]
    fn encodes_and_decodes_back() {
        let bpe = toy();
        let ids = bpe.encode_ordinary("hello world!").unwrap();
        assert_eq!(ids, vec![259, 263, b'!' as Rank]);
        assert_eq!(bpe.decode_bytes(&ids).unwrap(), b"hello world!");
    }

    #[test]
    fn special_tokens_follow_the_allowed_set() {
        let bpe = toy();
        let all = SpecialSet::All;
        let none = SpecialSet::none();
        assert_eq!(bpe.encode("hello<|end|>", &all, &all).unwrap(), vec![259, 300]);
        assert!(matches!(bpe.encode("hello<|end|>", &none, &all), Err(Error::DisallowedSpecial(_))));
        // As ordinary text: "<|" "end" "|>", seven single bytes.
        assert_eq!(bpe.encode("<|end|>", &none, &none).unwrap().len(), 7);
    }

    #[test]
    fn spans_cover_each_token() {
        let bpe = toy();
        let (ids, spans) = bpe.encode_with_spans("hello world", &SpecialSet::All, &SpecialSet::All).unwrap();
        assert_eq!(ids, vec![259, 263]);
        assert_eq!(spans, vec![(0, 5), (5, 11)]);
    }

    #[test]
    fn invalid_bytes_round_trip() {
        let bpe = toy();
        let bytes = b"hello \xff\xfe world \xe2\x82";
        let ids = bpe.encode_bytes(bytes).unwrap();
        assert_eq!(bpe.decode_bytes(&ids).unwrap(), bytes);
    }

    #[test]
    fn unknown_ids_are_an_error() {
        let bpe = toy();
        assert_eq!(bpe.decode_bytes(&[299]), Err(Error::InvalidId { id: 299, max: 300 }));
    }

    /// A toy whose only merges are the given tokens, in rank order after the 256 bytes.
    fn toy_with(merged: &[&str]) -> ByteLevelBpe {
        let tokens = (0..=255u8).map(|b| vec![b]).chain(merged.iter().map(|t| t.as_bytes().to_vec()));
        let ranks = Ranks::from_tokens(tokens.enumerate().map(|(r, t)| (t, r as Rank))).unwrap();
        ByteLevelBpe::new(ranks, Splitter::named("gpt2").unwrap(), vec![]).unwrap()
    }

    #[test]
    fn kept_caches_never_lend_one_tokenizers_ids_to_another() {
        // Six tokenizers (more than a thread keeps) merge "abcd" differently; each call,
        // in any order, on the calling thread or a batch worker, gives the tokenizer's own ids.
        let tokenizers: Vec<ByteLevelBpe> = (0..6)
            .map(|k| match k % 3 {
                0 => toy_with(&["ab", "cd"]),
                1 => toy_with(&["bc", "abc"]),
                _ => toy_with(&["cd", "bcd"]),
            })
            .collect();
        let expected = |k: usize| match k % 3 {
            0 => vec![256, 257],
            1 => vec![257, b'd' as Rank],
            _ => vec![b'a' as Rank, 257],
        };
        for round in 0..3 {
            for (k, bpe) in tokenizers.iter().enumerate().rev().skip(round) {
                assert_eq!(bpe.encode_ordinary("abcd").unwrap(), expected(k), "tokenizer {k}, round {round}");
                let texts = ["abcd", "x abcd"];
                let batch = bpe.encode_batch(&texts, &SpecialSet::none(), &SpecialSet::none()).unwrap();
                assert_eq!(batch[0], expected(k));
            }
        }
        // A clone encodes as the original does, and shares its cache.
        let clone = tokenizers[1].clone();
        assert_eq!(clone.encode_ordinary("abcd abcd").unwrap(), [expected(1), vec![b' ' as Rank, 257, b'd' as Rank]].concat());
    }

    #[test]
    fn special_ids_must_not_collide_with_ranks() {
        let bpe = toy();
        let err = ByteLevelBpe::new(bpe.vocab().clone(), Splitter::named("gpt2").unwrap(), vec![("<x>".into(), 5)]);
        assert!(err.is_err());
    }
}
