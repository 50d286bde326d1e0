//! A SentencePiece tokenizer: special tokens, then normalization (`normalizer.rs`), then
//! segmentation by the model's algorithm (Unigram Viterbi or SentencePiece BPE), then the
//! post-processing SentencePiece applies: runs of unknown pieces join into one, and with
//! byte_fallback an unknown piece becomes the byte pieces of its UTF-8 bytes.
//!
//! Special tokens are the model's CONTROL pieces (`<s>`, `</s>`, ...): with tiktoken's
//! rules, as everywhere in tokkit. Each stretch of text between special tokens is
//! normalized as a sentence of its own (so it gets its own dummy prefix).

use super::viterbi::{merge_unknowns, Token, ViterbiEncoder};
use super::lattice::{Lattice, Rng};
use super::model::{Algorithm, Piece, PieceModel};
use super::bpe;
use crate::error::{Error, Result};
use crate::formats::sentencepiece::{ModelProto, NormalizerSpec, ProtoPiece, PieceType, TrainerSpec};
use crate::sentencepiece::normalizer::{CharsMap, SpmNormalizer, SPACE_SYMBOL};
use crate::rows::IdRows;
use crate::special::{Segment, SpecialSet, SpecialTokens};
use rayon::prelude::*;
use std::sync::Mutex;

const DEFAULT_UNK_SURFACE: &str = " \u{2047} ";

#[derive(Clone, Debug)]
pub struct SentencePiece {
    model: PieceModel,
    normalizer: SpmNormalizer,
    specials: SpecialTokens,
    /// What decoding writes for the unknown piece.
    unk_surface: String,
    /// The file this came from, for writing back what tokkit does not interpret.
    proto: ModelProto,
    pool: ScratchPool,
}

/// EncodeScratch spaces, with their word caches, kept between calls: a call takes one (or makes
/// one) and puts it back, so repeated calls reuse the cache and threads never share one.
#[derive(Default)]
struct ScratchPool(Mutex<Vec<EncodeScratch>>);

/// EncodeScratch spaces kept at most; buffers beyond this many bytes are shrunk when returned.
const POOL_SIZE: usize = 64;
const KEPT_BUFFER: usize = 1 << 20;

impl Clone for ScratchPool {
    fn clone(&self) -> Self {
        ScratchPool::default()
    }
}

impl std::fmt::Debug for ScratchPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScratchPool")
    }
}

impl ScratchPool {
    fn with<T>(&self, work: impl FnOnce(&mut EncodeScratch) -> T) -> T {
        let taken = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut scratch = taken.unwrap_or_default();
        let out = work(&mut scratch);
        scratch.normalized.shrink_to(KEPT_BUFFER);
        scratch.origins.shrink_to(KEPT_BUFFER / 8);
        scratch.tokens.shrink_to(KEPT_BUFFER / 12);
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(scratch);
        }
        out
    }
}

/// EncodeScratch space kept between texts of one call or one batch worker.
#[derive(Default)]
pub struct EncodeScratch {
    normalized: Vec<u8>,
    origins: Vec<usize>,
    tokens: Vec<Token>,
    viterbi: ViterbiEncoder,
}

impl SentencePiece {
    /// A tokenizer from a parsed `.model` file.
    pub fn from_proto(proto: ModelProto) -> Result<SentencePiece> {
        let trainer = proto.trainer_spec.clone().unwrap_or_default();
        let algorithm = match trainer.checked_model_type()? {
            crate::formats::sentencepiece::ModelType::Unigram => Algorithm::Unigram,
            crate::formats::sentencepiece::ModelType::Bpe => Algorithm::Bpe,
            other => {
                return Err(Error::BadVocabulary(format!(
                    "this SentencePiece model is of type {other:?}; tokkit reads Unigram and BPE models"
                )))
            }
        };
        if trainer.treat_whitespace_as_suffix.unwrap_or(false) {
            return Err(Error::BadVocabulary(
                "this model treats whitespace as a suffix (treat_whitespace_as_suffix), which tokkit \
                 does not support; use a model with the whitespace prefix"
                    .into(),
            ));
        }
        let mut pieces = Vec::with_capacity(proto.pieces.len());
        for p in &proto.pieces {
            pieces.push(Piece { text: p.piece.clone().unwrap_or_default(), score: p.score.unwrap_or(0.0), kind: p.piece_type()? });
        }
        let model = PieceModel::new(algorithm, pieces, trainer.byte_fallback.unwrap_or(false))?;
        let spec = proto.normalizer_spec.clone().unwrap_or_default();
        let charsmap = match spec.precompiled_charsmap.as_deref() {
            Some(blob) if !blob.is_empty() => Some(CharsMap::from_blob(blob)?),
            _ => None,
        };
        let mut normalizer = SpmNormalizer::new(
            spec.name.as_deref().unwrap_or("identity"),
            charsmap,
            spec.add_dummy_prefix.unwrap_or(true),
            spec.remove_extra_whitespaces.unwrap_or(true),
            spec.escape_whitespaces.unwrap_or(true),
        );
        let user_defined: Vec<&str> = model
            .pieces()
            .iter()
            .filter(|p| p.kind == PieceType::UserDefined)
            .map(|p| p.text.as_str())
            .collect();
        normalizer.set_user_defined(&user_defined)?;
        let specials = SpecialTokens::new(
            model
                .pieces()
                .iter()
                .enumerate()
                .filter(|(_, p)| p.kind == PieceType::Control)
                .map(|(id, p)| (p.text.clone(), id as u32)),
        )?;
        let unk_surface = trainer.unk_surface.clone().unwrap_or_else(|| DEFAULT_UNK_SURFACE.to_string());
        Ok(SentencePiece { model, normalizer, specials, unk_surface, proto, pool: ScratchPool::default() })
    }

    /// A tokenizer from pieces and a normalizer (trained models, tokenizer.json models).
    pub fn new(algorithm: Algorithm, pieces: Vec<Piece>, normalizer: NormalizerSpec, trainer: TrainerSpec) -> Result<SentencePiece> {
        let mut trainer = trainer;
        trainer.model_type = Some(
            match algorithm {
                Algorithm::Unigram => crate::formats::sentencepiece::ModelType::Unigram,
                Algorithm::Bpe => crate::formats::sentencepiece::ModelType::Bpe,
            } as i32,
        );
        trainer.vocab_size = Some(pieces.len() as i32);
        let proto = ModelProto {
            pieces: pieces
                .iter()
                .map(|p| ProtoPiece { piece: Some(p.text.clone()), score: Some(p.score), kind: Some(p.kind as i32) })
                .collect(),
            trainer_spec: Some(trainer),
            normalizer_spec: Some(normalizer),
            self_test_data: None,
            denormalizer_spec: None,
        };
        SentencePiece::from_proto(proto)
    }

    /// The `ModelProto` of this tokenizer, for writing a `.model` file.
    pub fn to_proto(&self) -> ModelProto {
        self.proto.clone()
    }

    pub fn model(&self) -> &PieceModel {
        &self.model
    }

    pub fn normalizer(&self) -> &SpmNormalizer {
        &self.normalizer
    }

    pub fn specials(&self) -> &SpecialTokens {
        &self.specials
    }

    pub fn id_bound(&self) -> u32 {
        self.model.len() as u32
    }

    /// The normalized form of `text`, as the model sees it.
    pub fn normalize(&self, text: &str) -> String {
        self.normalizer.normalize_str(text)
    }

    /// Segments `bytes` (normalized first) into `scratch.tokens`, in normalized offsets,
    /// unknown runs joined. With `origins`, `scratch.origins` maps them back.
    pub fn segment(&self, bytes: &[u8], scratch: &mut EncodeScratch, origins: bool) {
        scratch.normalized.clear();
        scratch.origins.clear();
        scratch.tokens.clear();
        self.normalizer.normalize(bytes, &mut scratch.normalized, origins.then_some(&mut scratch.origins));
        let text = &scratch.normalized;
        match self.model.algorithm {
            Algorithm::Unigram => scratch.viterbi.encode(&self.model, text, &mut scratch.tokens),
            Algorithm::Bpe => {
                bpe::encode(&self.model, |t| self.normalizer.user_defined_prefix(t), text, &mut scratch.tokens)
            }
        }
        merge_unknowns(&mut scratch.tokens, self.model.unk_id());
    }

    /// The ids of the tokens in `scratch`, unknown pieces split into bytes when the model
    /// falls back to bytes.
    fn push_ids(&self, scratch: &EncodeScratch, out: &mut Vec<u32>) {
        for token in &scratch.tokens {
            self.push_token_ids(&scratch.normalized, token, out);
        }
    }

    #[inline]
    fn push_token_ids(&self, normalized: &[u8], token: &Token, out: &mut Vec<u32>) {
        match self.model.byte_ids() {
            Some(bytes) if token.id == self.model.unk_id() => {
                let surface = &normalized[token.start as usize..token.end as usize];
                out.extend(surface.iter().map(|&b| bytes[b as usize]));
            }
            _ => out.push(token.id),
        }
    }

    /// Encodes `text` as ordinary text (control-piece text is just text).
    pub fn encode_ordinary(&self, text: &str) -> Vec<u32> {
        self.encode_bytes(text.as_bytes())
    }

    /// Encodes any bytes; bytes that are not UTF-8 are read as U+FFFD, as SentencePiece does.
    pub fn encode_bytes(&self, bytes: &[u8]) -> Vec<u32> {
        self.pool.with(|scratch| {
            let mut out = Vec::with_capacity(bytes.len() / 3 + 2);
            self.segment(bytes, scratch, false);
            self.push_ids(scratch, &mut out);
            out
        })
    }

    /// Encodes `text`, turning the `allowed` special tokens into their ids and failing on
    /// any `disallowed` one.
    pub fn encode(&self, text: &str, allowed: &SpecialSet, disallowed: &SpecialSet) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        self.pool.with(|scratch| self.encode_into(text, allowed, disallowed, scratch, &mut out))?;
        Ok(out)
    }

    /// Appends the ids of `text` to `out`.
    fn encode_into(&self, text: &str, allowed: &SpecialSet, disallowed: &SpecialSet, scratch: &mut EncodeScratch, out: &mut Vec<u32>) -> Result<()> {
        for segment in self.specials.segments(text, allowed, disallowed)? {
            match segment {
                Segment::Text { start, end } => {
                    self.segment(&text.as_bytes()[start..end], scratch, false);
                    self.push_ids(scratch, out);
                }
                Segment::Special { id, .. } => out.push(id),
            }
        }
        Ok(())
    }

    /// Encodes many texts in parallel; the rows are in input order. Each job encodes a
    /// run of texts with one scratch space, into one buffer.
    pub fn encode_batch(&self, texts: &[&str], allowed: &SpecialSet, disallowed: &SpecialSet) -> Result<IdRows> {
        let per_job = texts.len().div_ceil(rayon::current_num_threads() * 4).max(1);
        let parts: Vec<Result<(Vec<u32>, Vec<usize>)>> = texts
            .par_chunks(per_job)
            .map(|chunk| {
                let mut ids = Vec::with_capacity(chunk.iter().map(|text| text.len() / 3 + 2).sum());
                let mut ends = Vec::with_capacity(chunk.len());
                self.pool.with(|scratch| {
                    for text in chunk {
                        self.encode_into(text, allowed, disallowed, scratch, &mut ids)?;
                        ends.push(ids.len());
                    }
                    Ok((ids, ends))
                })
            })
            .collect();
        Ok(IdRows::from_parts(parts.into_iter().collect::<Result<_>>()?))
    }

    /// Like `encode`, with each token's byte range in `text`. Byte pieces of one unknown
    /// piece all get its range.
    pub fn encode_with_spans(&self, text: &str, allowed: &SpecialSet, disallowed: &SpecialSet) -> Result<(Vec<u32>, Vec<(usize, usize)>)> {
        let mut ids = Vec::new();
        let mut spans = Vec::new();
        let mut scratch = EncodeScratch::default();
        for segment in self.specials.segments(text, allowed, disallowed)? {
            match segment {
                Segment::Text { start, end } => {
                    self.segment(&text.as_bytes()[start..end], &mut scratch, true);
                    for token in &scratch.tokens {
                        let span = (start + scratch.origins[token.start as usize], start + scratch.origins[token.end as usize]);
                        let first = ids.len();
                        self.push_token_ids(&scratch.normalized, token, &mut ids);
                        spans.extend(std::iter::repeat_n(span, ids.len() - first));
                    }
                }
                Segment::Special { id, start, end } => {
                    ids.push(id);
                    spans.push((start, end));
                }
            }
        }
        Ok((ids, spans))
    }

    /// The pieces of `text` as SentencePiece names them: the piece text, the normalized
    /// text of an unknown piece, `<0xE3>` for a byte piece.
    pub fn encode_pieces(&self, text: &str, allowed: &SpecialSet, disallowed: &SpecialSet) -> Result<Vec<String>> {
        let segments = self.specials.segments(text, allowed, disallowed)?;
        let mut out = Vec::new();
        self.pool.with(|scratch| {
            for segment in segments {
                match segment {
                    Segment::Text { start, end } => {
                        self.segment(&text.as_bytes()[start..end], scratch, false);
                        for token in &scratch.tokens {
                            let surface = &scratch.normalized[token.start as usize..token.end as usize];
                            match self.model.byte_ids() {
                                Some(bytes) if token.id == self.model.unk_id() => {
                                    out.extend(surface.iter().map(|&b| self.model.piece(bytes[b as usize]).text.clone()))
                                }
                                _ => out.push(String::from_utf8_lossy(surface).into_owned()),
                            }
                        }
                    }
                    Segment::Special { id, .. } => out.push(self.model.piece(id).text.clone()),
                }
            }
        });
        Ok(out)
    }

    fn unigram_lattice(&self, text: &str, what: &str) -> Result<(Vec<u8>, Lattice)> {
        if self.model.algorithm != Algorithm::Unigram {
            return Err(Error::InvalidArgument(format!("{what} needs a Unigram model; this is a SentencePiece BPE model")));
        }
        let mut normalized = Vec::new();
        self.normalizer.normalize(text.as_bytes(), &mut normalized, None);
        let lattice = Lattice::new(&self.model, &normalized);
        Ok((normalized, lattice))
    }

    /// The ids of a path through a lattice, post-processed as `encode` does.
    fn path_ids(&self, normalized: &[u8], lattice: &Lattice, path: &[u32]) -> Vec<u32> {
        let mut tokens: Vec<Token> = path
            .iter()
            .map(|&e| {
                let edge = &lattice.edges[e as usize];
                Token { start: edge.start, end: edge.end, id: edge.id }
            })
            .collect();
        merge_unknowns(&mut tokens, self.model.unk_id());
        let mut ids = Vec::with_capacity(tokens.len());
        for token in &tokens {
            self.push_token_ids(normalized, token, &mut ids);
        }
        ids
    }

    /// The `k` most likely segmentations of `text` (ordinary text), best first, each with
    /// its score (the sum of its pieces' scores).
    pub fn nbest(&self, text: &str, k: usize) -> Result<Vec<(Vec<u32>, f64)>> {
        let (normalized, lattice) = self.unigram_lattice(text, "n-best encoding")?;
        Ok(lattice.nbest(k).into_iter().map(|(path, score)| (self.path_ids(&normalized, &lattice, &path), score)).collect())
    }

    /// A segmentation of `text` drawn with probability ∝ P(segmentation)^alpha: among all
    /// of them (`nbest_size` None) or among the `nbest_size` best.
    pub fn sample(&self, text: &str, alpha: f64, nbest_size: Option<usize>, seed: u64) -> Result<Vec<u32>> {
        let (normalized, lattice) = self.unigram_lattice(text, "sampling")?;
        let mut rng = Rng::new(seed);
        let path = match nbest_size {
            None => lattice.sample(alpha, &mut rng),
            Some(k) => {
                let candidates = lattice.nbest(k);
                let top = candidates.first().map_or(0.0, |c| c.1);
                let weights: Vec<f64> = candidates.iter().map(|c| (alpha * (c.1 - top)).exp()).collect();
                let mut draw = rng.uniform() * weights.iter().sum::<f64>();
                let mut chosen = candidates.len().saturating_sub(1);
                for (i, w) in weights.iter().enumerate() {
                    if draw < *w {
                        chosen = i;
                        break;
                    }
                    draw -= w;
                }
                candidates.into_iter().nth(chosen).map(|c| c.0).unwrap_or_default()
            }
        };
        Ok(self.path_ids(&normalized, &lattice, &path))
    }

    /// The text of a piece.
    pub fn token_bytes(&self, id: u32) -> Option<&[u8]> {
        self.model.pieces().get(id as usize).map(|p| p.text.as_bytes())
    }

    /// The id of the piece with exactly this text.
    pub fn token_id(&self, bytes: &[u8]) -> Option<u32> {
        std::str::from_utf8(bytes).ok().and_then(|t| self.model.id_of(t))
    }

    /// The text the ids stand for, as SentencePiece decodes it: `▁` becomes a space, the
    /// dummy prefix is dropped, control pieces vanish, byte pieces become their bytes and
    /// the unknown piece its surface (` ⁇ `).
    pub fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(ids.len() * 4);
        let mut at_start = true;
        for &id in ids {
            let piece = self.model.pieces().get(id as usize).ok_or(Error::InvalidId {
                id: id as u64,
                max: self.id_bound().saturating_sub(1),
            })?;
            match piece.kind {
                PieceType::Control => continue,
                PieceType::Unknown => out.extend_from_slice(self.unk_surface.as_bytes()),
                PieceType::Byte => out.push(self.model.byte_of(id).expect("byte pieces name a byte")),
                _ => {
                    let mut text = piece.text.as_str();
                    if at_start && self.normalizer.add_dummy_prefix {
                        text = text.strip_prefix(SPACE_SYMBOL).unwrap_or(text);
                    }
                    for (i, part) in text.split(SPACE_SYMBOL).enumerate() {
                        if i > 0 {
                            out.push(b' ');
                        }
                        out.extend_from_slice(part.as_bytes());
                    }
                }
            }
            at_start = false;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> SentencePiece {
        let pieces = [("<unk>", 0.0, PieceType::Unknown), ("<s>", 0.0, PieceType::Control), ("▁", -2.0, PieceType::Normal),
            ("▁he", -1.0, PieceType::Normal), ("llo", -1.5, PieceType::Normal), ("l", -3.0, PieceType::Normal),
            ("o", -3.0, PieceType::Normal), ("▁w", -2.0, PieceType::Normal), ("or", -2.0, PieceType::Normal),
            ("d", -3.0, PieceType::Normal)];
        let pieces = pieces.iter().map(|&(t, s, k)| Piece { text: t.into(), score: s, kind: k }).collect();
        let normalizer = NormalizerSpec { name: Some("identity".into()), ..Default::default() };
        SentencePiece::new(Algorithm::Unigram, pieces, normalizer, TrainerSpec::default()).unwrap()
    }

    #[test]
    fn encodes_and_decodes_a_sentence() {
        let sp = toy();
        let ids = sp.encode_ordinary("  hello   world ");
        assert_eq!(ids, vec![3, 4, 7, 8, 5, 9]);
        assert_eq!(sp.decode_bytes(&ids).unwrap(), b"hello world");
    }

    #[test]
    fn control_pieces_are_special_tokens() {
        let sp = toy();
        let all = SpecialSet::All;
        assert_eq!(sp.encode("hello<s>", &all, &all).unwrap(), vec![3, 4, 1]);
        assert!(sp.encode("hello<s>", &SpecialSet::none(), &all).is_err());
    }

    #[test]
    fn unknown_characters_are_one_unknown_piece() {
        let sp = toy();
        let pieces = sp.encode_pieces("he字字", &SpecialSet::none(), &SpecialSet::none()).unwrap();
        assert_eq!(pieces, ["▁he", "字字"]);
        assert_eq!(sp.decode_bytes(&sp.encode_ordinary("he字")).unwrap(), "he \u{2047} ".as_bytes());
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let sp = toy();
        let (ids, spans) = sp.encode_with_spans(" hello", &SpecialSet::none(), &SpecialSet::none()).unwrap();
        assert_eq!(ids, vec![3, 4]);
        assert_eq!(spans, vec![(1, 3), (3, 6)]);
    }
}
