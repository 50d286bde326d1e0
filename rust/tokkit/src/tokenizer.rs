//! One face over every model family: what `tokkit.Tokenizer` calls, whatever it holds.
//!
//! Three families encode text, each with its own engine: byte-level BPE in tiktoken's
//! manner (`bpe`), HF tokenizer.json pipelines (`pipeline`, which is also what tokkit's
//! character, word, WordPiece and character-level BPE trainers produce), and SentencePiece
//! models (`sentencepiece`, its Unigram and its BPE). `Tokenizer` gives them one set of methods,
//! so the bindings and the Python API are written once; where a family lacks something
//! (n-best needs a Unigram model, pairs a pipeline), the method says so with
//! `Error::WrongModel`.
//!
//! Special tokens follow two sets of rules. Byte-level BPE and SentencePiece models follow
//! tiktoken's: special-token text is an error unless allowed or disallowed. Pipelines
//! follow HF's: every added token is matched, and a post-processor may add its own. Each
//! family's defaults are in `default_specials`.

use crate::bpe::{ByteBpeModel, ByteLevelBpe};
use crate::error::{Error, Result};
use crate::formats::{hf_json, native, sentencepiece as model_file, tiktoken};
use crate::piece_cache::CacheInfo;
use crate::pipeline::{Detail, Encoding, Pipeline};
use crate::rows::IdRows;
use crate::special::SpecialSet;
use crate::sentencepiece::{Algorithm, SentencePiece};
use std::borrow::Cow;

/// A tokenizer of any family.
#[derive(Clone, Debug)]
pub enum Tokenizer {
    ByteBpe(ByteLevelBpe),
    Pipeline(Pipeline),
    SentencePiece(SentencePiece),
}

impl From<ByteLevelBpe> for Tokenizer {
    fn from(bpe: ByteLevelBpe) -> Tokenizer {
        Tokenizer::ByteBpe(bpe)
    }
}

impl From<Pipeline> for Tokenizer {
    fn from(pipeline: Pipeline) -> Tokenizer {
        Tokenizer::Pipeline(pipeline)
    }
}

impl From<SentencePiece> for Tokenizer {
    fn from(sp: SentencePiece) -> Tokenizer {
        Tokenizer::SentencePiece(sp)
    }
}

/// How one call treats special tokens: tiktoken's `allowed_special` and
/// `disallowed_special`, and HF's `add_special_tokens` (for pipelines with a
/// post-processor; the other families have none to add).
#[derive(Clone, Debug)]
pub struct Specials {
    pub allowed: SpecialSet,
    pub disallowed: SpecialSet,
    pub add_special_tokens: bool,
}

/// The file formats a tokenizer can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveFormat {
    /// A `.tiktoken` rank file (byte-level BPE only; the pattern and special tokens need
    /// a sidecar, `tiktoken_sidecar`).
    Tiktoken,
    /// HF's tokenizer.json.
    TokenizerJson,
    /// A SentencePiece `.model` (SentencePiece models only).
    SentencePiece,
    /// tokkit's own JSON (byte-level BPE): the pattern, special tokens and name included.
    Native,
}

impl Tokenizer {
    /// Reads a file in one of the formats `save` writes whole (tokkit JSON, tokenizer.json,
    /// a `.model`), telling them apart by their contents; a `.tiktoken` file needs its
    /// pattern from elsewhere and loads with `from_tiktoken`. Returns the name a tokkit
    /// JSON file records.
    pub fn from_saved(contents: &[u8], source_name: &str) -> Result<(Tokenizer, Option<String>)> {
        if contents.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            let document: serde_json::Value = serde_json::from_slice(contents)
                .map_err(|e| Error::BadVocabulary(format!("{source_name}: looks like JSON but does not parse ({e})")))?;
            if native::is_native(&document) {
                let (bpe, name) = native::read(&document, source_name)?;
                return Ok((Tokenizer::ByteBpe(bpe), name));
            }
            return Ok((Tokenizer::Pipeline(hf_json::read_document(&document)?), None));
        }
        Ok((Tokenizer::SentencePiece(SentencePiece::from_proto(model_file::read(contents, source_name)?)?), None))
    }

    /// What kind of model this is: "byte-level BPE" (tiktoken style), "SentencePiece
    /// Unigram", "SentencePiece BPE", or a pipeline's model ("BPE", "WordPiece",
    /// "WordLevel", "Unigram", with "(byte-level)" for byte-level BPE pipelines).
    pub fn model_type(&self) -> String {
        match self {
            Tokenizer::ByteBpe(_) => "byte-level BPE".into(),
            Tokenizer::SentencePiece(sp) => match sp.model().algorithm {
                Algorithm::Unigram => "SentencePiece Unigram".into(),
                Algorithm::Bpe => "SentencePiece BPE".into(),
            },
            Tokenizer::Pipeline(p) if p.model().is_byte_level() => format!("{} (byte-level)", p.model().name()),
            Tokenizer::Pipeline(p) => p.model().name().into(),
        }
    }

    /// The special-token choice a call makes when it names none: HF's for pipelines
    /// (match every added token), tiktoken's for the rest (special-token text is an error).
    pub fn default_specials(&self) -> (SpecialSet, SpecialSet) {
        match self {
            Tokenizer::Pipeline(_) => (SpecialSet::All, SpecialSet::none()),
            _ => (SpecialSet::none(), SpecialSet::All),
        }
    }

    /// One more than the largest token id: the rows an embedding table needs.
    pub fn id_bound(&self) -> u32 {
        match self {
            Tokenizer::ByteBpe(bpe) => bpe.id_bound(),
            Tokenizer::Pipeline(p) => p.id_bound(),
            Tokenizer::SentencePiece(sp) => sp.id_bound(),
        }
    }

    /// The special tokens, (text, id) in id order.
    pub fn special_tokens(&self) -> Vec<(String, u32)> {
        let tokens = match self {
            Tokenizer::ByteBpe(bpe) => bpe.specials().iter(),
            Tokenizer::Pipeline(p) => p.added().specials(),
            Tokenizer::SentencePiece(sp) => sp.specials().iter(),
        };
        tokens.into_iter().map(|(text, id)| (text.to_string(), id)).collect()
    }

    /// The token for what the vocabulary cannot represent, if the model has one.
    pub fn unk_token(&self) -> Option<String> {
        match self {
            Tokenizer::ByteBpe(_) => None,
            Tokenizer::Pipeline(p) => p.model().unk_token().map(str::to_string),
            Tokenizer::SentencePiece(sp) => sp.token_bytes(sp.model().unk_id()).map(|t| String::from_utf8_lossy(t).into_owned()),
        }
    }

    /// The pre-tokenizer's regular expression, where there is one.
    pub fn pattern(&self) -> Option<String> {
        match self {
            Tokenizer::ByteBpe(bpe) => Some(bpe.pre_tokenizer().pattern().to_string()),
            Tokenizer::Pipeline(p) => p.pattern(),
            Tokenizer::SentencePiece(_) => None,
        }
    }

    // ---- encoding -----------------------------------------------------------------------

    pub fn encode(&self, text: &str, specials: &Specials) -> Result<Vec<u32>> {
        let Specials { allowed, disallowed, add_special_tokens } = specials;
        match self {
            Tokenizer::ByteBpe(bpe) => bpe.encode(text, allowed, disallowed),
            Tokenizer::Pipeline(p) => Ok(p.encode(text, None, allowed, disallowed, *add_special_tokens, Detail::Ids)?.ids),
            Tokenizer::SentencePiece(sp) => sp.encode(text, allowed, disallowed),
        }
    }

    /// Encodes with no special tokens at all: special-token text is text, and a
    /// post-processor adds none.
    pub fn encode_ordinary(&self, text: &str) -> Result<Vec<u32>> {
        match self {
            Tokenizer::ByteBpe(bpe) => bpe.encode_ordinary(text),
            Tokenizer::Pipeline(p) => {
                let none = SpecialSet::none();
                Ok(p.encode(text, None, &none, &none, false, Detail::Ids)?.ids)
            }
            Tokenizer::SentencePiece(sp) => Ok(sp.encode_ordinary(text)),
        }
    }

    /// Encodes raw bytes. Byte-level BPE takes any bytes (`decode_bytes` gives them back);
    /// SentencePiece reads invalid UTF-8 as U+FFFD, as sentencepiece does; a pipeline
    /// reads text and refuses bytes that are not UTF-8.
    pub fn encode_bytes(&self, data: &[u8]) -> Result<Vec<u32>> {
        match self {
            Tokenizer::ByteBpe(bpe) => bpe.encode_bytes(data),
            Tokenizer::SentencePiece(sp) => Ok(sp.encode_bytes(data)),
            Tokenizer::Pipeline(_) => {
                let text = std::str::from_utf8(data).map_err(|e| {
                    Error::InvalidArgument(format!(
                        "this tokenizer encodes text, and these bytes are not UTF-8 ({e}); decode them first \
                         (with errors=\"replace\" if need be)"
                    ))
                })?;
                self.encode_ordinary(text)
            }
        }
    }

    /// Encodes many texts in parallel, in input order.
    pub fn encode_batch(&self, texts: &[&str], specials: &Specials) -> Result<IdRows> {
        let Specials { allowed, disallowed, add_special_tokens } = specials;
        match self {
            Tokenizer::ByteBpe(bpe) => Ok(bpe.encode_batch(texts, allowed, disallowed)?.into()),
            Tokenizer::Pipeline(p) => Ok(p.encode_batch(texts, allowed, disallowed, *add_special_tokens)?.into()),
            Tokenizer::SentencePiece(sp) => sp.encode_batch(texts, allowed, disallowed),
        }
    }

    /// Ids and the (start, end) character offsets of each in `text`. A token holding part
    /// of a character's bytes is given the whole character. Pipelines report HF's offsets
    /// (a token the post-processor adds gets (0, 0)).
    pub fn encode_with_offsets(&self, text: &str, specials: &Specials) -> Result<(Vec<u32>, Vec<(usize, usize)>)> {
        let Specials { allowed, disallowed, add_special_tokens } = specials;
        let (ids, spans) = match self {
            Tokenizer::ByteBpe(bpe) => bpe.encode_with_spans(text, allowed, disallowed)?,
            Tokenizer::SentencePiece(sp) => sp.encode_with_spans(text, allowed, disallowed)?,
            Tokenizer::Pipeline(p) => {
                let encoding = p.encode(text, None, allowed, disallowed, *add_special_tokens, Detail::Offsets)?;
                return Ok((encoding.ids, encoding.offsets));
            }
        };
        Ok((ids, char_spans(text, &spans)))
    }

    /// Everything HF's `Encoding` has: ids, tokens, character offsets and type ids, for a
    /// text or a pair of texts. Pipelines only.
    pub fn encoding(&self, text: &str, pair: Option<&str>, specials: &Specials) -> Result<Encoding> {
        let Tokenizer::Pipeline(p) = self else {
            return Err(self.wrong_model("pairs and type ids", "a tokenizer.json pipeline"));
        };
        p.encode(text, pair, &specials.allowed, &specials.disallowed, specials.add_special_tokens, Detail::Everything)
    }

    /// The tokens of `text` as UTF-8 bytes of their text: a byte-level BPE token's own bytes
    /// (which may hold part of a character), a SentencePiece piece, or a pipeline token as
    /// HF spells it ("Ġworld", "##ing").
    pub fn tokens(&self, text: &str, specials: &Specials) -> Result<Vec<Vec<u8>>> {
        let Specials { allowed, disallowed, add_special_tokens } = specials;
        Ok(match self {
            Tokenizer::ByteBpe(bpe) => {
                let ids = bpe.encode(text, allowed, disallowed)?;
                ids.iter().map(|&id| bpe.token_bytes(id).unwrap_or_default().to_vec()).collect()
            }
            Tokenizer::Pipeline(p) => {
                let encoding = p.encode(text, None, allowed, disallowed, *add_special_tokens, Detail::Tokens)?;
                encoding.tokens.into_iter().map(String::into_bytes).collect()
            }
            Tokenizer::SentencePiece(sp) => {
                sp.encode_pieces(text, allowed, disallowed)?.into_iter().map(String::into_bytes).collect()
            }
        })
    }

    /// The pieces the model sees: the pre-tokenizer's pieces (as a pipeline spells them),
    /// or for SentencePiece the one normalized text.
    pub fn pre_tokens(&self, text: &str) -> Result<Vec<String>> {
        match self {
            Tokenizer::ByteBpe(bpe) => Ok(bpe.pre_tokenizer().pieces(text)?.iter().map(|&(s, e)| text[s..e].to_string()).collect()),
            Tokenizer::Pipeline(p) => Ok(p.pre_tokenize(text)?.into_iter().map(|(piece, _)| piece).collect()),
            Tokenizer::SentencePiece(sp) => {
                let normalized = sp.normalize(text);
                Ok(if normalized.is_empty() { Vec::new() } else { vec![normalized] })
            }
        }
    }

    /// How many pre-tokens `pre_tokens` gives, without making them: for byte-level BPE this
    /// is the splitter alone, which the benchmarks time as the split stage of encoding.
    pub fn pre_token_count(&self, text: &str) -> Result<usize> {
        match self {
            Tokenizer::ByteBpe(bpe) => {
                let mut count = 0;
                bpe.pre_tokenizer().for_each_piece(text, |_, _| count += 1)?;
                Ok(count)
            }
            _ => Ok(self.pre_tokens(text)?.len()),
        }
    }

    /// What the calling thread's piece cache for this tokenizer has done and holds (None
    /// for SentencePiece models: the word tables they keep hold lattice edges, not ids;
    /// see `sentencepiece/viterbi.rs`).
    pub fn cache_info(&self) -> Option<CacheInfo> {
        match self {
            Tokenizer::ByteBpe(bpe) => Some(bpe.cache_info()),
            Tokenizer::Pipeline(p) => Some(p.cache_info()),
            Tokenizer::SentencePiece(_) => None,
        }
    }

    // ---- decoding and the vocabulary ------------------------------------------------------

    /// The bytes the ids stand for (for a pipeline, what its decoder makes of them), with
    /// or without the special tokens.
    pub fn decode_bytes(&self, ids: &[u32], skip_special_tokens: bool) -> Result<Vec<u8>> {
        if let Tokenizer::Pipeline(p) = self {
            return p.decode_bytes(ids, skip_special_tokens);
        }
        let kept: Cow<[u32]> = if skip_special_tokens {
            let special: Vec<u32> = self.special_tokens().into_iter().map(|(_, id)| id).collect();
            ids.iter().copied().filter(|id| !special.contains(id)).collect::<Vec<_>>().into()
        } else {
            ids.into()
        };
        match self {
            Tokenizer::ByteBpe(bpe) => bpe.decode_bytes(&kept),
            Tokenizer::SentencePiece(sp) => sp.decode_bytes(&kept),
            Tokenizer::Pipeline(_) => unreachable!("pipelines decode above"),
        }
    }

    /// A token's text, as bytes (special tokens included); None for an id with no token.
    pub fn token_bytes(&self, id: u32) -> Option<Cow<'_, [u8]>> {
        match self {
            Tokenizer::ByteBpe(bpe) => bpe.token_bytes(id).map(Cow::Borrowed),
            Tokenizer::Pipeline(p) => p.id_to_token(id).map(|t| match t {
                Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
                Cow::Owned(t) => Cow::Owned(t.into_bytes()),
            }),
            Tokenizer::SentencePiece(sp) => sp.token_bytes(id).map(Cow::Borrowed),
        }
    }

    /// The id of the token with exactly this text (special tokens included).
    pub fn token_id(&self, bytes: &[u8]) -> Option<u32> {
        match self {
            Tokenizer::ByteBpe(bpe) => bpe.token_id(bytes),
            Tokenizer::Pipeline(p) => p.token_to_id(std::str::from_utf8(bytes).ok()?),
            Tokenizer::SentencePiece(sp) => sp.token_id(bytes),
        }
    }

    // ---- what one family alone has --------------------------------------------------------

    /// The text a SentencePiece model segments: normalized, spaces as `▁`.
    pub fn normalize(&self, text: &str) -> Result<String> {
        match self {
            Tokenizer::SentencePiece(sp) => Ok(sp.normalize(text)),
            _ => Err(self.wrong_model("normalize", "a SentencePiece model")),
        }
    }

    /// The `k` best segmentations of a Unigram model, best first, with their scores.
    pub fn nbest(&self, text: &str, k: usize) -> Result<Vec<(Vec<u32>, f64)>> {
        self.unigram("encode_nbest")?.nbest(text, k)
    }

    /// A segmentation of a Unigram model drawn at random (subword regularization).
    pub fn sample(&self, text: &str, alpha: f64, nbest_size: Option<usize>, seed: u64) -> Result<Vec<u32>> {
        self.unigram("sample_encode")?.sample(text, alpha, nbest_size, seed)
    }

    /// Every piece of a SentencePiece model: (text, score, type).
    pub fn pieces(&self) -> Result<Vec<(String, f32, &'static str)>> {
        match self {
            Tokenizer::SentencePiece(sp) => {
                Ok(sp.model().pieces().iter().map(|p| (p.text.clone(), p.score, p.kind.name())).collect())
            }
            _ => Err(self.wrong_model("pieces", "a SentencePiece model")),
        }
    }

    /// The byte-level BPE itself (its token bytes, merges and pattern).
    pub fn byte_bpe(&self, what: &str) -> Result<&ByteLevelBpe> {
        match self {
            Tokenizer::ByteBpe(bpe) => Ok(bpe),
            _ => Err(self.wrong_model(what, "a byte-level BPE")),
        }
    }

    fn unigram(&self, what: &str) -> Result<&SentencePiece> {
        match self {
            Tokenizer::SentencePiece(sp) if sp.model().algorithm == Algorithm::Unigram => Ok(sp),
            Tokenizer::Pipeline(p) if p.model().name() == "Unigram" => Err(Error::WrongModel(format!(
                "{what} needs a SentencePiece Unigram model; this is a tokenizer.json pipeline, which gives \
                 HF's best segmentation only. Load the model's SentencePiece .model file (e.g. spiece.model) \
                 with tokkit.load to use {what}"
            ))),
            _ => Err(self.wrong_model(what, "a Unigram model")),
        }
    }

    fn wrong_model(&self, what: &str, needs: &str) -> Error {
        Error::WrongModel(format!("{what} needs {needs}; this is a {} tokenizer", self.model_type()))
    }

    /// How the tokenizer is built, stage by stage, for people to read: ("type", ...) first,
    /// then its normalizer, pre-tokenizer and the rest. A character map shows as its size.
    pub fn describe(&self) -> Vec<(String, String)> {
        let row = |key: &str, value: String| (key.to_string(), value);
        match self {
            Tokenizer::ByteBpe(bpe) => {
                let rule = match bpe.model() {
                    ByteBpeModel::Ranks(_) => "ranks",
                    ByteBpeModel::Merges(_) => "merge list",
                };
                vec![
                    row("type", format!("byte-level BPE ({rule})")),
                    row("normalizer", "none".into()),
                    row("pre-tokenizer", bpe.pre_tokenizer().pattern().to_string()),
                ]
            }
            Tokenizer::Pipeline(p) => {
                let stages = hf_json::describe(p).into_iter().map(|(stage, text)| row(stage, text));
                std::iter::once(row("type", self.model_type())).chain(stages).collect()
            }
            Tokenizer::SentencePiece(sp) => vec![
                row("type", self.model_type()),
                row("normalizer", sp.normalizer().name.clone()),
                row("pre-tokenizer", "none (spaces become ▁)".into()),
            ],
        }
    }

    // ---- files ----------------------------------------------------------------------------

    /// The tokenizer as a file in `format`; `name` goes into formats that record one. A
    /// format the family cannot be written in is an error that names the one to use.
    pub fn save(&self, format: SaveFormat, name: &str) -> Result<Vec<u8>> {
        let refuse = |message: String| Err(Error::InvalidArgument(message));
        match (self, format) {
            (Tokenizer::SentencePiece(sp), SaveFormat::SentencePiece) => Ok(model_file::write(&sp.to_proto())),
            (Tokenizer::SentencePiece(_), _) => refuse(format!(
                "{name:?} is a SentencePiece model; save it as a .model file (e.g. {:?})",
                format!("{name}.model")
            )),
            (_, SaveFormat::SentencePiece) => refuse(format!(
                "only SentencePiece models save as .model; this is a {} tokenizer: save it as tokenizer.json",
                self.model_type()
            )),
            (Tokenizer::Pipeline(p), SaveFormat::TokenizerJson | SaveFormat::Native) => Ok(hf_json::write(p).into_bytes()),
            (Tokenizer::Pipeline(p), SaveFormat::Tiktoken) => refuse(format!(
                "only byte-level BPE saves as .tiktoken; this is a {} tokenizer: save it as tokenizer.json",
                p.model().name()
            )),
            (Tokenizer::ByteBpe(bpe), SaveFormat::TokenizerJson) => Ok(hf_json::write_byte_level_bpe(bpe).into_bytes()),
            (Tokenizer::ByteBpe(bpe), SaveFormat::Native) => Ok(native::write(bpe, name)),
            // A trained merge list saves as ranks too: training adds each token after the
            // tokens it joins, so tiktoken's rule on its ids gives the merge list's result.
            (Tokenizer::ByteBpe(bpe), SaveFormat::Tiktoken) => Ok(tiktoken::write(bpe.vocab())),
        }
    }

    /// The sidecar of a `.tiktoken` file: the name, pattern and special tokens a rank file
    /// cannot hold, as JSON.
    pub fn tiktoken_sidecar(&self, name: &str) -> Result<Vec<u8>> {
        Ok(native::sidecar(self.byte_bpe("a .tiktoken sidecar")?, name))
    }

    /// The tokenizer whole, in the one format that holds all of it (for pickling):
    /// tokkit JSON for byte-level BPE, tokenizer.json for pipelines, a `.model` for
    /// SentencePiece. `from_saved` reads it back.
    pub fn to_bytes(&self, name: &str) -> Vec<u8> {
        let format = match self {
            Tokenizer::ByteBpe(_) => SaveFormat::Native,
            Tokenizer::Pipeline(_) => SaveFormat::TokenizerJson,
            Tokenizer::SentencePiece(_) => SaveFormat::SentencePiece,
        };
        self.save(format, name).expect("every family saves in its own format")
    }
}

/// Turns byte spans into character spans of `text`. A span that starts inside a character
/// starts at that character; one that ends inside a character ends after it. `spans` must
/// be sorted by start, as the encoders produce them. One forward sweep: a table of
/// characters before each byte would cost as much memory as the text.
fn char_spans(text: &str, spans: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(spans.len());
    let mut byte = 0usize;
    let mut chars = 0usize; // characters that start before `byte`
    let advance_to = |target: usize, byte: &mut usize, chars: &mut usize| {
        while *byte < target {
            if bytes[*byte] & 0xC0 != 0x80 {
                *chars += 1;
            }
            *byte += 1;
        }
    };
    for &(start, end) in spans {
        // The character containing byte `start` is the last one starting at or before it.
        advance_to(start + 1, &mut byte, &mut chars);
        let first = chars - 1;
        advance_to(end, &mut byte, &mut chars);
        out.push((first, chars));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_spans_become_character_spans_covering_split_characters() {
        // "aé" is bytes a, C3, A9: a token of "a" + C3 and one of A9 both cover "é".
        assert_eq!(char_spans("aéb", &[(0, 2), (2, 3), (3, 4)]), vec![(0, 2), (1, 2), (2, 3)]);
        assert_eq!(char_spans("", &[]), vec![]);
    }
}
