//! The model of a pipeline: what turns one piece into token ids. One arm per kind of
//! model; a new kind is one more arm here and in each `match` below.
//!
//! Every model reports, with each token, its span in the piece, in HF's coordinates: byte
//! offsets into the piece's text (for a piece of bytes, into its spelling in the byte
//! alphabet, which `tokenize` maps back to bytes). Models that drop characters they cannot
//! represent (HF's BPE without an unknown token) count only the bytes they keep, as HF
//! does, so later spans shift; tokkit reports the same shifted spans.

use super::bpe::{Bpe, ByteBpe};
use super::pre_tokenizers::Text;
use super::unigram::{LatticeScratch, Unigram};
use super::word_level::WordLevel;
use super::wordpiece::WordPiece;
use crate::error::{Error, Result};
use crate::piece_cache::PieceCache;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

#[derive(Clone, Debug)]
pub enum Model {
    /// BPE over bytes (under a ByteLevel pre-tokenizer): the fast byte-level engine.
    ByteBpe(Box<ByteBpe>),
    /// BPE over characters, with byte fallback, unknown token, prefix and suffix.
    Bpe(Box<Bpe>),
    WordPiece(WordPiece),
    WordLevel(WordLevel),
    Unigram(Box<Unigram>),
}

/// What a model keeps on each thread, between pieces and between calls (see
/// `piece_cache::with_kept`): the ids of pieces it has merged, and scratch space.
#[derive(Default)]
pub struct ModelScratch {
    pub cache: PieceCache,
    pub parts: Vec<crate::bpe::encode::Part>,
    pub lens: Vec<u32>,
    pub text: String,
    pub lattice: LatticeScratch,
}

impl ModelScratch {
    /// Lets go of buffers a very long piece grew, since scratch space outlives the call.
    pub fn trim(&mut self) {
        const KEEP: usize = 1 << 16;
        if self.parts.capacity() > KEEP {
            self.parts = Vec::new();
        }
        if self.lens.capacity() > KEEP {
            self.lens = Vec::new();
        }
        if self.text.capacity() > KEEP {
            self.text = String::new();
        }
        self.lattice.trim(KEEP);
    }
}

impl Model {
    /// The token that stands for what the model cannot represent, if it has one.
    pub fn unk_token(&self) -> Option<&str> {
        match self {
            Model::ByteBpe(bpe) => bpe.options().unk_token.as_deref(),
            Model::Bpe(bpe) => bpe.options().unk_token.as_deref(),
            Model::WordPiece(model) => Some(model.unk_token()),
            Model::WordLevel(model) => Some(model.unk_token()),
            Model::Unigram(model) => model.unk_token(),
        }
    }

    /// Whether the model works on bytes spelled in GPT-2's byte alphabet.
    pub fn is_byte_level(&self) -> bool {
        matches!(self, Model::ByteBpe(_))
    }

    /// HF's name for the model type.
    pub fn name(&self) -> &'static str {
        match self {
            Model::ByteBpe(_) | Model::Bpe(_) => "BPE",
            Model::WordPiece(_) => "WordPiece",
            Model::WordLevel(_) => "WordLevel",
            Model::Unigram(_) => "Unigram",
        }
    }

    /// Appends the ids of `text` to `ids` and, if asked, each token's span in the piece.
    pub fn tokenize(&self, text: Text<'_>, scratch: &mut ModelScratch, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) -> Result<()> {
        match (self, text) {
            (Model::ByteBpe(bpe), Text::Bytes(bytes)) => {
                bpe.tokenize(bytes, scratch, ids, spans);
                Ok(())
            }
            (Model::ByteBpe(_), Text::Chars(_)) => unreachable!("a ByteBpe model is built only under ByteLevel"),
            (_, Text::Chars(s)) => self.tokenize_chars(s, scratch, ids, spans),
            (_, Text::Bytes(bytes)) => {
                // Models of characters see the spelling of the bytes, whose k-th character
                // is byte k: spans map back through that.
                let spelled = super::byte_alphabet::spell(bytes);
                let first = spans.as_ref().map_or(0, |s| s.len());
                let mut spans = spans;
                self.tokenize_chars(&spelled, scratch, ids, spans.as_deref_mut())?;
                if let Some(spans) = spans {
                    let byte_of = char_indices_by_byte(&spelled);
                    for span in &mut spans[first..] {
                        *span = (byte_of[span.0.min(spelled.len())], byte_of[span.1.min(spelled.len())]);
                    }
                }
                Ok(())
            }
        }
    }

    fn tokenize_chars(&self, text: &str, scratch: &mut ModelScratch, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) -> Result<()> {
        match self {
            Model::ByteBpe(_) => unreachable!("handled by tokenize"),
            Model::Bpe(bpe) => {
                bpe.tokenize(text, scratch, ids, spans);
                Ok(())
            }
            Model::WordPiece(wp) => {
                wp.tokenize(text, &mut scratch.text, ids, spans);
                Ok(())
            }
            Model::WordLevel(wl) => wl.tokenize(text, ids, spans),
            Model::Unigram(unigram) => unigram.tokenize(text, scratch, ids, spans),
        }
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Model::ByteBpe(bpe) => bpe.token_to_id(token),
            Model::Bpe(bpe) => bpe.vocab().id(token),
            Model::WordPiece(wp) => wp.vocab().id(token),
            Model::WordLevel(wl) => wl.vocab().id(token),
            Model::Unigram(unigram) => unigram.vocab().id(token),
        }
    }

    pub fn id_to_token(&self, id: u32) -> Option<Cow<'_, str>> {
        match self {
            Model::ByteBpe(bpe) => bpe.id_to_token(id).map(Cow::Owned),
            Model::Bpe(bpe) => bpe.vocab().token(id).map(Cow::Borrowed),
            Model::WordPiece(wp) => wp.vocab().token(id).map(Cow::Borrowed),
            Model::WordLevel(wl) => wl.vocab().token(id).map(Cow::Borrowed),
            Model::Unigram(unigram) => unigram.vocab().token(id).map(Cow::Borrowed),
        }
    }

    /// The string of the token `id` that the model made of `span` of `piece`: its entry,
    /// except that HF spells Unigram's unknown token as the text it stands for.
    pub fn token_string<'a>(&'a self, id: u32, piece: Text<'a>, span: (usize, usize)) -> Cow<'a, str> {
        if let (Model::Unigram(unigram), Text::Chars(text)) = (self, piece) {
            if Some(id) == unigram.unk_id() {
                return Cow::Borrowed(&text[span.0..span.1]);
            }
        }
        self.id_to_token(id).unwrap_or_default()
    }

    /// How many tokens the model has (HF's `get_vocab_size` without added tokens).
    pub fn vocab_size(&self) -> usize {
        match self {
            Model::ByteBpe(bpe) => bpe.vocab_size(),
            Model::Bpe(bpe) => bpe.vocab().len(),
            Model::WordPiece(wp) => wp.vocab().len(),
            Model::WordLevel(wl) => wl.vocab().len(),
            Model::Unigram(unigram) => unigram.vocab().len(),
        }
    }

    /// One past the largest id.
    pub fn id_bound(&self) -> u32 {
        match self {
            Model::ByteBpe(bpe) => bpe.id_bound(),
            Model::Bpe(bpe) => bpe.vocab().id_bound(),
            Model::WordPiece(wp) => wp.vocab().id_bound(),
            Model::WordLevel(wl) => wl.vocab().id_bound(),
            Model::Unigram(unigram) => unigram.vocab().id_bound(),
        }
    }
}

/// For each byte offset into `text` (and its end), the index of the character it is in.
fn char_indices_by_byte(text: &str) -> Vec<usize> {
    let mut byte_of = vec![0; text.len() + 1];
    let mut k = 0;
    for (i, c) in text.char_indices() {
        byte_of[i..i + c.len_utf8()].fill(k);
        k += 1;
    }
    byte_of[text.len()] = k;
    byte_of
}

/// Token strings ↔ ids, for the models whose tokens are text.
#[derive(Clone, Debug, Default)]
pub struct Vocab {
    ids: FxHashMap<String, u32>,
    tokens: Vec<Option<String>>,
}

impl Vocab {
    /// A vocabulary from (token, id) pairs; a token or an id given twice is an error.
    pub fn new(entries: impl IntoIterator<Item = (String, u32)>) -> Result<Vocab> {
        let mut vocab = Vocab::default();
        for (token, id) in entries {
            let slot = id as usize;
            if slot >= vocab.tokens.len() {
                vocab.tokens.resize(slot + 1, None);
            }
            if let Some(other) = &vocab.tokens[slot] {
                return Err(Error::BadVocabulary(format!(
                    "the vocabulary gives id {id} to both {other:?} and {token:?}; every id must be unique"
                )));
            }
            if vocab.ids.insert(token.clone(), id).is_some() {
                return Err(Error::BadVocabulary(format!("the vocabulary has {token:?} twice")));
            }
            vocab.tokens[slot] = Some(token);
        }
        Ok(vocab)
    }

    pub fn id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).and_then(|t| t.as_deref())
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn id_bound(&self) -> u32 {
        self.tokens.len() as u32
    }

    /// (token, id) in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.tokens.iter().enumerate().filter_map(|(id, t)| t.as_deref().map(|t| (t, id as u32)))
    }

    /// The id of a token the model needs (its unknown token), or an error naming it.
    pub fn required(&self, token: &str, role: &str) -> Result<u32> {
        self.id(token).ok_or_else(|| {
            Error::BadVocabulary(format!("the {role} {token:?} is not in the vocabulary; add it, or name a token that is"))
        })
    }
}
