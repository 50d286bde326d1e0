//! A tokenizer as a pipeline of stages, HuggingFace `tokenizers`' design, with its
//! semantics so that a loaded tokenizer.json gives HF's ids, tokens and offsets:
//!
//! text → added tokens (matched in the original text) → normalizer → added tokens
//! (matched in the normalized text) → pre-tokenizer → model → post-processor.
//!
//! One module per stage: `normalized.rs` (text with offsets back to the original),
//! `normalizers.rs`, `added_vocabulary.rs`, `pre_tokenizers.rs`, the models (`bpe.rs`,
//! `wordpiece.rs`, `word_level.rs`, `unigram.rs`, behind `model.rs`), `post_processors.rs`, and
//! `decoders.rs` for the way back. `formats/hf_json.rs` reads and writes tokenizer.json.
//!
//! Encoding streams: each pre-token goes to the model as soon as it is cut, and nothing
//! as large as the text is built besides the normalized text and the output. Offsets are
//! tracked only when asked for (8 bytes per byte of text). A batch is encoded in parallel
//! (rayon); the result does not depend on the number of threads.
//!
//! Each thread keeps the model's scratch space, with its cache of merged words, across
//! calls (for the last few pipelines it ran), so many short calls or a batch's documents
//! share one cache, as HF's BPE shares its cache. rayon's `map_init` would make a fresh one
//! per split of the batch, and a fresh cache per call loses most of its hits on short
//! texts. The cache holds pure functions of the word, so it never changes an id.

pub mod added_vocabulary;
pub mod bpe;
pub mod byte_alphabet;
pub mod decoders;
pub mod model;
pub mod normalized;
pub mod normalizers;
pub mod pattern;
pub mod post_processors;
pub mod pre_tokenizers;
pub mod train;
pub mod unigram;
pub mod word_level;
pub mod wordpiece;

use crate::error::{Error, Result};
use crate::piece_cache::{with_kept, CacheInfo, Kept, ModelId};
use crate::special::SpecialSet;
use added_vocabulary::{AddedVocabulary, Choice, Found};
use decoders::{Decoded, Decoder};
use model::{Model, ModelScratch};
use normalized::{original_span, CharOffsets, Normalized};
use normalizers::Normalizer;
use post_processors::PostProcessor;
use pre_tokenizers::{PreToken, PreTokenizer, Text};
use rayon::prelude::*;
use std::borrow::Cow;

/// The output of encoding: ids, and for a detailed encoding each token's string, offsets
/// and type id (0 for the first sequence, 1 for the second, or as a template says).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Encoding {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
    pub tokens: Vec<String>,
    pub offsets: Vec<(usize, usize)>,
}

impl Encoding {
    pub fn push(&mut self, id: u32, token: &str, offsets: (usize, usize), type_id: u32, detailed: bool) {
        self.ids.push(id);
        if detailed {
            self.tokens.push(token.to_string());
            self.offsets.push(offsets);
            self.type_ids.push(type_id);
        }
    }

    /// Appends `other`, with its type ids set to `type_id` if given.
    pub fn append(&mut self, other: Encoding, type_id: Option<u32>, detailed: bool) {
        let n = other.ids.len();
        self.ids.extend(other.ids);
        if detailed {
            self.tokens.extend(other.tokens);
            self.offsets.extend(other.offsets);
            match type_id {
                Some(t) => self.type_ids.extend(std::iter::repeat_n(t, n)),
                None => self.type_ids.extend(other.type_ids),
            }
        }
    }
}

/// What an encoding reports besides ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    Ids,
    /// Token strings (and type ids and byte offsets into the text).
    Tokens,
    /// Character offsets, as HF's Python binding reports them (and type ids; the token
    /// strings are empty unless the post-processor trims offsets by them).
    Offsets,
    /// Token strings, character offsets and type ids.
    Everything,
}

#[derive(Clone, Debug)]
pub struct Pipeline {
    normalizer: Option<Normalizer>,
    pre_tokenizer: Option<PreTokenizer>,
    model: Model,
    post_processor: Option<PostProcessor>,
    decoder: Option<Decoder>,
    added: AddedVocabulary,
    /// Alignments are tracked even for ids (Metaspace's "first" scheme needs them).
    needs_alignments: bool,
    /// The post-processor moves offsets past the spaces that token strings show.
    trims_offsets: bool,
    /// Tells this pipeline's scratch space (and piece cache) from other pipelines'.
    id: ModelId,
}

thread_local! {
    /// Each thread's scratch space (and piece cache) for its last few pipelines.
    static SCRATCH: Kept<ModelScratch> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The stages of a pipeline, to build one.
pub struct Stages {
    pub normalizer: Option<Normalizer>,
    pub pre_tokenizer: Option<PreTokenizer>,
    pub model: Model,
    pub post_processor: Option<PostProcessor>,
    pub decoder: Option<Decoder>,
    pub added_tokens: Vec<added_vocabulary::AddedToken>,
}

impl Pipeline {
    pub fn new(stages: Stages) -> Result<Pipeline> {
        let Stages { normalizer, pre_tokenizer, model, post_processor, decoder, added_tokens } = stages;
        let makes_bytes = pre_tokenizer.as_ref().is_some_and(PreTokenizer::makes_bytes);
        if let Some(pre) = &pre_tokenizer {
            pre.check()?;
        }
        if matches!(model, Model::ByteBpe(_)) && !makes_bytes {
            return Err(Error::InvalidArgument(
                "a byte-level BPE model needs a ByteLevel pre-tokenizer to turn text into bytes".into(),
            ));
        }
        let added = AddedVocabulary::new(added_tokens, normalizer.as_ref())?;
        let needs_alignments = pre_tokenizer.as_ref().is_some_and(PreTokenizer::needs_alignments);
        let id = ModelId::new();
        let trims_offsets = post_processor.as_ref().is_some_and(PostProcessor::trims_offsets);
        Ok(Pipeline { normalizer, pre_tokenizer, model, post_processor, decoder, added, needs_alignments, trims_offsets, id })
    }

    pub fn normalizer(&self) -> Option<&Normalizer> {
        self.normalizer.as_ref()
    }

    pub fn pre_tokenizer(&self) -> Option<&PreTokenizer> {
        self.pre_tokenizer.as_ref()
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn post_processor(&self) -> Option<&PostProcessor> {
        self.post_processor.as_ref()
    }

    pub fn decoder(&self) -> Option<&Decoder> {
        self.decoder.as_ref()
    }

    /// The pre-tokenizer's regular expression, when it has one (a Split's, or GPT-2's for a
    /// ByteLevel pre-tokenizer that splits).
    pub fn pattern(&self) -> Option<String> {
        fn find(p: &PreTokenizer) -> Option<String> {
            match p {
                PreTokenizer::Split { pattern, .. } => Some(pattern.source().to_string()),
                PreTokenizer::ByteLevel { use_regex: true, .. } => Some(crate::pretokenize::GPT2_PATTERN.to_string()),
                PreTokenizer::Sequence(all) => all.iter().find_map(find),
                _ => None,
            }
        }
        self.pre_tokenizer.as_ref().and_then(find)
    }

    pub fn added(&self) -> &AddedVocabulary {
        &self.added
    }

    /// Encodes `text` (and `pair`, the second sequence of a pair). `allowed` special tokens
    /// are matched as tokens, `disallowed` ones are an error (see `added_vocabulary.rs`);
    /// HF's behaviour is `allowed = All`, `disallowed = none`.
    pub fn encode(
        &self,
        text: &str,
        pair: Option<&str>,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        add_special_tokens: bool,
        detail: Detail,
    ) -> Result<Encoding> {
        let mut checked = vec![text];
        checked.extend(pair);
        let choice = self.added.prepare(&checked, allowed, disallowed)?;
        let encodings = self.with_scratch(|scratch| -> Result<Vec<Encoding>> {
            let mut encodings = vec![self.encode_sequence(text, 0, &choice, detail, scratch)?];
            if let Some(pair) = pair {
                encodings.push(self.encode_sequence(pair, 1, &choice, detail, scratch)?);
            }
            Ok(encodings)
        })?;
        Ok(self.post_process(encodings, add_special_tokens, detail != Detail::Ids))
    }

    /// Encodes many texts in parallel; ids only.
    pub fn encode_batch(&self, texts: &[&str], allowed: &SpecialSet, disallowed: &SpecialSet, add_special_tokens: bool) -> Result<Vec<Vec<u32>>> {
        let choice = self.added.prepare(texts, allowed, disallowed)?;
        texts
            .par_iter()
            .map(|text| {
                let encoding = self.with_scratch(|scratch| self.encode_sequence(text, 0, &choice, Detail::Ids, scratch))?;
                Ok(self.post_process(vec![encoding], add_special_tokens, false).ids)
            })
            .collect()
    }

    /// Runs `work` with this thread's scratch space for this pipeline.
    /// What this thread's piece cache for this pipeline has done and holds.
    pub fn cache_info(&self) -> CacheInfo {
        self.with_scratch(|scratch| scratch.cache.info())
    }

    fn with_scratch<T>(&self, work: impl FnOnce(&mut ModelScratch) -> T) -> T {
        with_kept(&SCRATCH, self.id, work, ModelScratch::trim)
    }

    fn post_process(&self, encodings: Vec<Encoding>, add_special_tokens: bool, detailed: bool) -> Encoding {
        let processed = match &self.post_processor {
            Some(processor) => processor.process(encodings, add_special_tokens, detailed),
            None => encodings,
        };
        let mut out = Encoding::default();
        for encoding in processed {
            out.append(encoding, None, detailed);
        }
        out
    }

    /// One sequence: added tokens, normalization, pre-tokenization and the model.
    fn encode_sequence(&self, text: &str, type_id: u32, choice: &Choice<'_>, detail: Detail, scratch: &mut ModelScratch) -> Result<Encoding> {
        let detailed = detail != Detail::Ids;
        let strings = matches!(detail, Detail::Tokens | Detail::Everything) || (detailed && self.trims_offsets);
        let track = detailed || self.needs_alignments;
        let mut chars = matches!(detail, Detail::Offsets | Detail::Everything).then(|| CharOffsets::new(text));
        let mut out = Encoding::default();
        let mut spans = Vec::new();
        // Ids alone, through a byte-level pre-tokenizer that is one builtin splitter: its
        // pieces go straight to the model, with no stage between.
        let direct = if detailed { None } else { self.pre_tokenizer.as_ref().and_then(PreTokenizer::byte_pieces) };
        for (found, start, end) in choice.find(text, false) {
            if let Found::Token(index) = found {
                let offsets = convert(&mut chars, (start, end));
                out.push(self.added.get(index).id, &text[start..end], offsets, type_id, detailed);
                continue;
            }
            let mut normalized = Normalized::new(&text[start..end], start, track);
            if let Some(normalizer) = &self.normalizer {
                normalizer.normalize(&mut normalized)?;
            }
            let whole = PreToken::whole(&normalized);
            let parts = if choice.has_normalized() {
                choice.find(normalized.text(), true)
            } else {
                vec![(Found::Text, 0, normalized.len())]
            };
            for (found, a, b) in parts {
                if a == b {
                    continue;
                }
                if let Found::Token(index) = found {
                    let offsets = normalized.alignments().map_or((a, b), |align| original_span(align, a, b));
                    let offsets = convert(&mut chars, offsets);
                    out.push(self.added.get(index).id, &normalized.text()[a..b], offsets, type_id, detailed);
                    continue;
                }
                let mut to_model = |piece: PreToken<'_>| -> Result<()> {
                    if !detailed {
                        return self.model.tokenize(piece.text, scratch, &mut out.ids, None);
                    }
                    spans.clear();
                    let first = out.ids.len();
                    self.model.tokenize(piece.text, scratch, &mut out.ids, Some(&mut spans))?;
                    for (k, &(s, e)) in spans.iter().enumerate() {
                        let offsets = piece.align.map_or((s, e), |align| original_span(align, s, e));
                        let offsets = convert(&mut chars, offsets);
                        let token = if strings { self.model.token_string(out.ids[first + k], piece.text, (s, e)) } else { Cow::Borrowed("") };
                        out.tokens.push(token.into_owned());
                        out.offsets.push(offsets);
                        out.type_ids.push(type_id);
                    }
                    Ok(())
                };
                if let Some(splitter) = direct {
                    let bytes = &normalized.text().as_bytes()[a..b];
                    let mut outcome = Ok(());
                    splitter.for_each_piece(&normalized.text()[a..b], |s, e| {
                        if outcome.is_ok() {
                            outcome = self.model.tokenize(Text::Bytes(&bytes[s..e]), scratch, &mut out.ids, None);
                        }
                    })?;
                    outcome?;
                    continue;
                }
                let piece = whole.sub(a, b);
                match &self.pre_tokenizer {
                    Some(pre) => pre.pre_tokenize(piece, &mut to_model)?,
                    None => to_model(piece)?,
                }
            }
        }
        Ok(out)
    }

    /// The pieces the model sees (as HF spells them), with their offsets in the text; the
    /// added tokens are left out.
    pub fn pre_tokenize(&self, text: &str) -> Result<Vec<(String, (usize, usize))>> {
        let choice = self.added.prepare(&[], &SpecialSet::All, &SpecialSet::none())?;
        let mut out = Vec::new();
        for (found, start, end) in choice.find(text, false) {
            if found != Found::Text {
                continue;
            }
            let mut normalized = Normalized::new(&text[start..end], start, true);
            if let Some(normalizer) = &self.normalizer {
                normalizer.normalize(&mut normalized)?;
            }
            let whole = PreToken::whole(&normalized);
            for (found, a, b) in choice.find(normalized.text(), true) {
                if found != Found::Text || a == b {
                    continue;
                }
                let mut collect = |piece: PreToken<'_>| -> Result<()> {
                    let align = piece.align.expect("tracked");
                    out.push((piece.text.display(), original_span(align, 0, piece.text.len())));
                    Ok(())
                };
                match &self.pre_tokenizer {
                    Some(pre) => pre.pre_tokenize(whole.sub(a, b), &mut collect)?,
                    None => collect(whole.sub(a, b))?,
                }
            }
        }
        Ok(out)
    }

    /// The id of a token (added tokens first, as HF looks them up).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.added.id(token).or_else(|| self.model.token_to_id(token))
    }

    /// The string of a token.
    pub fn id_to_token(&self, id: u32) -> Option<Cow<'_, str>> {
        match self.added.by_id(id) {
            Some(token) => Some(Cow::Borrowed(&token.content)),
            None => self.model.id_to_token(id),
        }
    }

    /// One past the largest id (the rows of an embedding table).
    pub fn id_bound(&self) -> u32 {
        let added = self.added.tokens().iter().map(|t| t.id + 1).max().unwrap_or(0);
        self.model.id_bound().max(added)
    }

    /// HF's `get_vocab_size(with_added_tokens=True)`: the model's tokens and the added
    /// tokens that are not among them.
    pub fn vocab_size(&self) -> usize {
        let extra = self.added.tokens().iter().filter(|t| self.model.id_to_token(t.id).is_none()).count();
        self.model.vocab_size() + extra
    }

    /// The bytes `ids` decode to: the decoder's output, before a byte-level decoder's
    /// bytes are read as UTF-8. Unknown ids are an error.
    pub fn decode_bytes(&self, ids: &[u32], skip_special_tokens: bool) -> Result<Vec<u8>> {
        let mut tokens = Vec::with_capacity(ids.len());
        for &id in ids {
            let added = self.added.by_id(id);
            if skip_special_tokens && added.is_some_and(|t| t.special) {
                continue;
            }
            let token = self
                .id_to_token(id)
                .ok_or(Error::InvalidId { id: id as u64, max: self.id_bound().saturating_sub(1) })?;
            tokens.push(token.into_owned());
        }
        Ok(match &self.decoder {
            Some(decoder) => match decoder.decode_chain(tokens)? {
                Decoded::Tokens(tokens) => tokens.concat().into_bytes(),
                Decoded::Bytes(bytes) => bytes,
            },
            None => tokens.join(" ").into_bytes(),
        })
    }

    /// The text `ids` decode to, as HF's `decode`.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        let bytes = self.decode_bytes(ids, skip_special_tokens)?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

fn convert(chars: &mut Option<CharOffsets<'_>>, offsets: (usize, usize)) -> (usize, usize) {
    match chars {
        Some(c) => c.convert(offsets),
        None => offsets,
    }
}
