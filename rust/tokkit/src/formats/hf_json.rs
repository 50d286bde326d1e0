//! HuggingFace `tokenizer.json`, read into a `Pipeline` and written back from one.
//!
//! Reading is strict: a component (or an option of one) that tokkit cannot run exactly is
//! an error naming it, never silently skipped, since a skipped stage gives other ids.
//! Writing gives the layout HF 0.23 writes (merges as pairs, vocabularies in id order);
//! HF and tokkit both read it back to the same pipeline.

use crate::bpe::{ByteBpeModel, ByteLevelBpe, Ranks};
use crate::error::{Error, Result};
use crate::pipeline::added_vocabulary::AddedToken;
use crate::pipeline::byte_alphabet;
use crate::pipeline::bpe::{Bpe, BpeOptions, ByteBpe};
use crate::pipeline::decoders::Decoder;
use crate::pipeline::model::{Model, Vocab};
use crate::pipeline::normalized::UnicodeForm;
use crate::sentencepiece::normalizer::CharsMap;
use crate::pipeline::normalizers::{BertNormalizer, Normalizer, Precompiled};
use crate::pipeline::pattern::Pattern;
use crate::pipeline::post_processors::{PostProcessor, Template, TemplatePiece, TemplateToken};
use crate::pipeline::pre_tokenizers::{Behavior, PreTokenizer, PrependScheme};
use crate::pipeline::unigram::Unigram;
use crate::pipeline::word_level::WordLevel;
use crate::pipeline::wordpiece::WordPiece;
use crate::pipeline::{Pipeline, Stages};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};

/// Reads a tokenizer.json document.
pub fn read(contents: &str) -> Result<Pipeline> {
    let document: Value = serde_json::from_str(contents).map_err(|e| bad(format!("not valid JSON ({e})")))?;
    read_document(&document)
}

/// Reads a tokenizer.json document already parsed.
pub fn read_document(document: &Value) -> Result<Pipeline> {
    let root = document.as_object().ok_or_else(|| bad("the document is not a JSON object".into()))?;
    for setting in ["truncation", "padding"] {
        if root.get(setting).is_some_and(|v| !v.is_null()) {
            return Err(Error::Unsupported(format!(
                "this tokenizer.json sets {setting:?}, which tokkit does not apply; set it to null to load the file"
            )));
        }
    }
    let normalizer = optional(root, "normalizer", normalizer)?;
    let pre_tokenizer = optional(root, "pre_tokenizer", pre_tokenizer)?;
    let bytes = pre_tokenizer.as_ref().is_some_and(PreTokenizer::makes_bytes);
    let model = model(root.get("model").ok_or_else(|| bad("no \"model\"".into()))?, bytes)?;
    let post_processor = optional(root, "post_processor", post_processor)?;
    let decoder = optional(root, "decoder", decoder)?;
    let added_tokens = match root.get("added_tokens") {
        None | Some(Value::Null) => Vec::new(),
        Some(list) => array(list, "added_tokens")?.iter().map(|t| added_token(t, &model)).collect::<Result<_>>()?,
    };
    Pipeline::new(Stages { normalizer, pre_tokenizer, model, post_processor, decoder, added_tokens })
}

fn bad(reason: String) -> Error {
    Error::BadVocabulary(format!("tokenizer.json: {reason}"))
}

fn unsupported(kind: &str, name: &str) -> Error {
    Error::Unsupported(format!(
        "tokenizer.json uses the {kind} {name:?}, which tokkit does not support; nothing is skipped, \
         so the file cannot be loaded"
    ))
}

fn optional<T>(root: &Map<String, Value>, key: &str, read: fn(&Value) -> Result<T>) -> Result<Option<T>> {
    match root.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => read(value).map(Some),
    }
}

fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>> {
    value.as_object().ok_or_else(|| bad(format!("{what} is not an object")))
}

fn array<'v>(value: &'v Value, what: &str) -> Result<&'v Vec<Value>> {
    value.as_array().ok_or_else(|| bad(format!("{what} is not a list")))
}

fn kind(value: &Value) -> Result<&str> {
    value.get("type").and_then(Value::as_str).ok_or_else(|| bad(format!("a component without a \"type\": {}", short(value))))
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 120 { format!("{}…", &text[..text.char_indices().nth(120).map_or(text.len(), |(i, _)| i)]) } else { text }
}

fn flag(value: &Value, key: &str, default: bool) -> Result<bool> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad(format!("{key} should be true or false, not {other}"))),
    }
}

fn string(value: &Value, key: &str) -> Result<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(|| bad(format!("{key:?} missing or not a string in {}", short(value))))
}

fn optional_string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(value: &Value, key: &str) -> Result<u64> {
    value.get(key).and_then(Value::as_u64).ok_or_else(|| bad(format!("{key:?} missing or not a whole number in {}", short(value))))
}

fn single_char(value: &Value, key: &str) -> Result<char> {
    let text = string(value, key)?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(bad(format!("{key:?} should be one character, not {text:?}"))),
    }
}

/// `{"String": "..."}` or `{"Regex": "..."}`.
fn pattern(value: &Value) -> Result<Pattern> {
    let pattern = value.get("pattern").ok_or_else(|| bad(format!("no \"pattern\" in {}", short(value))))?;
    if let Some(s) = pattern.get("String").and_then(Value::as_str) {
        return Ok(Pattern::Literal(s.to_string()));
    }
    if let Some(r) = pattern.get("Regex").and_then(Value::as_str) {
        return Pattern::regex(r);
    }
    Err(bad(format!("a pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}, not {}", short(pattern))))
}

fn write_pattern(pattern: &Pattern) -> Value {
    match pattern {
        Pattern::Literal(s) => json!({ "String": s }),
        Pattern::Regex { .. } | Pattern::Graphemes => json!({ "Regex": pattern.source() }),
    }
}

// ---- normalizers ----------------------------------------------------------------------

fn normalizer(value: &Value) -> Result<Normalizer> {
    Ok(match kind(value)? {
        "NFC" => Normalizer::Unicode(UnicodeForm::Nfc),
        "NFD" => Normalizer::Unicode(UnicodeForm::Nfd),
        "NFKC" => Normalizer::Unicode(UnicodeForm::Nfkc),
        "NFKD" => Normalizer::Unicode(UnicodeForm::Nfkd),
        "Lowercase" => Normalizer::Lowercase,
        "StripAccents" => Normalizer::StripAccents,
        "Replace" => Normalizer::Replace { pattern: pattern(value)?, content: string(value, "content")? },
        "Prepend" => Normalizer::Prepend(string(value, "prepend")?),
        "Strip" => Normalizer::Strip { left: flag(value, "strip_left", true)?, right: flag(value, "strip_right", true)? },
        "BertNormalizer" => Normalizer::Bert(BertNormalizer {
            clean_text: flag(value, "clean_text", true)?,
            handle_chinese_chars: flag(value, "handle_chinese_chars", true)?,
            strip_accents: value.get("strip_accents").and_then(Value::as_bool),
            lowercase: flag(value, "lowercase", true)?,
        }),
        "Sequence" => Normalizer::Sequence(
            array(value.get("normalizers").unwrap_or(&Value::Null), "normalizers")?.iter().map(normalizer).collect::<Result<_>>()?,
        ),
        "Precompiled" => {
            let blob = BASE64
                .decode(string(value, "precompiled_charsmap")?)
                .map_err(|e| bad(format!("precompiled_charsmap is not base64 ({e})")))?;
            Normalizer::Precompiled(Box::new(Precompiled::new(CharsMap::from_blob(&blob)?)?))
        }
        other => return Err(unsupported("normalizer", other)),
    })
}

fn write_normalizer(n: &Normalizer) -> Value {
    match n {
        Normalizer::Unicode(form) => json!({ "type": match form {
            UnicodeForm::Nfc => "NFC", UnicodeForm::Nfd => "NFD", UnicodeForm::Nfkc => "NFKC", UnicodeForm::Nfkd => "NFKD" } }),
        Normalizer::Lowercase => json!({ "type": "Lowercase" }),
        Normalizer::StripAccents => json!({ "type": "StripAccents" }),
        Normalizer::Replace { pattern, content } => json!({ "type": "Replace", "pattern": write_pattern(pattern), "content": content }),
        Normalizer::Prepend(prefix) => json!({ "type": "Prepend", "prepend": prefix }),
        Normalizer::Strip { left, right } => json!({ "type": "Strip", "strip_left": left, "strip_right": right }),
        Normalizer::Bert(b) => json!({ "type": "BertNormalizer", "clean_text": b.clean_text,
            "handle_chinese_chars": b.handle_chinese_chars, "strip_accents": b.strip_accents, "lowercase": b.lowercase }),
        Normalizer::Precompiled(p) => json!({ "type": "Precompiled", "precompiled_charsmap": BASE64.encode(p.map().blob()) }),
        Normalizer::Sequence(all) => json!({ "type": "Sequence", "normalizers": all.iter().map(write_normalizer).collect::<Vec<_>>() }),
    }
}

// ---- pre-tokenizers -------------------------------------------------------------------

fn behavior(value: &Value, default: Behavior) -> Result<Behavior> {
    Ok(match value.get("behavior").and_then(Value::as_str) {
        None => default,
        Some("Removed") => Behavior::Removed,
        Some("Isolated") => Behavior::Isolated,
        Some("MergedWithPrevious") => Behavior::MergedWithPrevious,
        Some("MergedWithNext") => Behavior::MergedWithNext,
        Some("Contiguous") => Behavior::Contiguous,
        Some(other) => return Err(bad(format!("unknown split behavior {other:?}"))),
    })
}

fn behavior_name(b: Behavior) -> &'static str {
    match b {
        Behavior::Removed => "Removed",
        Behavior::Isolated => "Isolated",
        Behavior::MergedWithPrevious => "MergedWithPrevious",
        Behavior::MergedWithNext => "MergedWithNext",
        Behavior::Contiguous => "Contiguous",
    }
}

/// Metaspace's scheme: `prepend_scheme`, or the older `add_prefix_space`.
fn prepend_scheme(value: &Value) -> Result<PrependScheme> {
    Ok(match value.get("prepend_scheme").and_then(Value::as_str) {
        Some("always") => PrependScheme::Always,
        Some("first") => PrependScheme::First,
        Some("never") => PrependScheme::Never,
        Some(other) => return Err(bad(format!("unknown prepend_scheme {other:?}"))),
        None if flag(value, "add_prefix_space", true)? => PrependScheme::Always,
        None => PrependScheme::Never,
    })
}

fn scheme_name(s: PrependScheme) -> &'static str {
    match s {
        PrependScheme::Always => "always",
        PrependScheme::First => "first",
        PrependScheme::Never => "never",
    }
}

fn pre_tokenizer(value: &Value) -> Result<PreTokenizer> {
    Ok(match kind(value)? {
        "ByteLevel" => PreTokenizer::ByteLevel {
            add_prefix_space: flag(value, "add_prefix_space", true)?,
            trim_offsets: flag(value, "trim_offsets", true)?,
            use_regex: flag(value, "use_regex", true)?,
        },
        "Split" => PreTokenizer::Split {
            pattern: pattern(value)?,
            behavior: behavior(value, Behavior::Isolated)?,
            invert: flag(value, "invert", false)?,
        },
        "Whitespace" => PreTokenizer::Whitespace,
        "WhitespaceSplit" => PreTokenizer::WhitespaceSplit,
        "Metaspace" => PreTokenizer::Metaspace {
            replacement: single_char(value, "replacement")?,
            prepend_scheme: prepend_scheme(value)?,
            split: flag(value, "split", true)?,
        },
        "Digits" => PreTokenizer::Digits { individual_digits: flag(value, "individual_digits", false)? },
        "Punctuation" => PreTokenizer::Punctuation { behavior: behavior(value, Behavior::Isolated)? },
        "BertPreTokenizer" => PreTokenizer::Bert,
        "Sequence" => PreTokenizer::Sequence(
            array(value.get("pretokenizers").unwrap_or(&Value::Null), "pretokenizers")?.iter().map(pre_tokenizer).collect::<Result<_>>()?,
        ),
        other => return Err(unsupported("pre-tokenizer", other)),
    })
}

fn write_pre_tokenizer(p: &PreTokenizer) -> Value {
    match p {
        PreTokenizer::ByteLevel { add_prefix_space, trim_offsets, use_regex } => json!({ "type": "ByteLevel",
            "add_prefix_space": add_prefix_space, "trim_offsets": trim_offsets, "use_regex": use_regex }),
        PreTokenizer::Split { pattern, behavior, invert } => json!({ "type": "Split", "pattern": write_pattern(pattern),
            "behavior": behavior_name(*behavior), "invert": invert }),
        PreTokenizer::Whitespace => json!({ "type": "Whitespace" }),
        PreTokenizer::WhitespaceSplit => json!({ "type": "WhitespaceSplit" }),
        PreTokenizer::Metaspace { replacement, prepend_scheme, split } => json!({ "type": "Metaspace",
            "replacement": replacement.to_string(), "prepend_scheme": scheme_name(*prepend_scheme), "split": split }),
        PreTokenizer::Digits { individual_digits } => json!({ "type": "Digits", "individual_digits": individual_digits }),
        PreTokenizer::Punctuation { behavior } => json!({ "type": "Punctuation", "behavior": behavior_name(*behavior) }),
        PreTokenizer::Bert => json!({ "type": "BertPreTokenizer" }),
        PreTokenizer::Sequence(all) => json!({ "type": "Sequence", "pretokenizers": all.iter().map(write_pre_tokenizer).collect::<Vec<_>>() }),
    }
}

// ---- models -------------------------------------------------------------------------

fn vocab(value: &Value) -> Result<Vocab> {
    let entries = object(value.get("vocab").unwrap_or(&Value::Null), "the model's vocab")?;
    Vocab::new(entries.iter().map(|(token, id)| {
        let id = id.as_u64().and_then(|id| u32::try_from(id).ok()).unwrap_or(u32::MAX);
        (token.clone(), id)
    }))
}

fn model(value: &Value, bytes: bool) -> Result<Model> {
    // Files written by old versions of HF leave out the model's type.
    let name = match value.get("type").and_then(Value::as_str) {
        Some(name) => name,
        None if value.get("merges").is_some() => "BPE",
        None if value.get("max_input_chars_per_word").is_some() => "WordPiece",
        None if value.get("vocab").is_some_and(Value::is_array) => "Unigram",
        None => "WordLevel",
    };
    match name {
        "BPE" => bpe(value, bytes),
        "WordPiece" => Ok(Model::WordPiece(WordPiece::new(
            vocab(value)?,
            optional_string(value, "unk_token").unwrap_or_else(|| "[UNK]".into()),
            optional_string(value, "continuing_subword_prefix").unwrap_or_else(|| "##".into()),
            value.get("max_input_chars_per_word").and_then(Value::as_u64).unwrap_or(100) as usize,
        )?)),
        "WordLevel" => Ok(Model::WordLevel(WordLevel::new(vocab(value)?, optional_string(value, "unk_token").unwrap_or_else(|| "<unk>".into())))),
        "Unigram" => unigram(value),
        other => Err(unsupported("model", other)),
    }
}

fn bpe(value: &Value, bytes: bool) -> Result<Model> {
    if value.get("dropout").is_some_and(|d| !d.is_null()) {
        return Err(Error::Unsupported("tokenizer.json sets BPE dropout, which tokkit does not apply (it makes ids random)".into()));
    }
    let vocab = vocab(value)?;
    let mut merges = Vec::new();
    for (i, merge) in array(value.get("merges").unwrap_or(&Value::Null), "the model's merges")?.iter().enumerate() {
        let (left, right) = match merge {
            Value::String(s) => {
                let parts: Vec<&str> = s.split(' ').collect();
                match parts.as_slice() {
                    [l, r] => (l.to_string(), r.to_string()),
                    _ => return Err(bad(format!("merge {i} {s:?} is not two tokens separated by a space"))),
                }
            }
            Value::Array(pair) if pair.len() == 2 && pair.iter().all(Value::is_string) => {
                (pair[0].as_str().unwrap_or_default().to_string(), pair[1].as_str().unwrap_or_default().to_string())
            }
            other => return Err(bad(format!("merge {i} is neither \"a b\" nor [\"a\", \"b\"]: {}", short(other)))),
        };
        let id = |t: &str| vocab.id(t).ok_or_else(|| bad(format!("merge {i} uses {t:?}, which is not in the vocabulary")));
        merges.push((id(&left)?, id(&right)?));
    }
    let options = BpeOptions {
        unk_token: optional_string(value, "unk_token"),
        continuing_subword_prefix: optional_string(value, "continuing_subword_prefix"),
        end_of_word_suffix: optional_string(value, "end_of_word_suffix"),
        fuse_unk: flag(value, "fuse_unk", false)?,
        byte_fallback: flag(value, "byte_fallback", false)?,
        ignore_merges: flag(value, "ignore_merges", false)?,
    };
    if bytes {
        if let Some(byte_bpe) = ByteBpe::from_spelled(&vocab, &merges, &options)? {
            return Ok(Model::ByteBpe(Box::new(byte_bpe)));
        }
    }
    Ok(Model::Bpe(Box::new(Bpe::new(vocab, merges, options)?)))
}

/// `{"vocab": [[piece, score], ...], "unk_id": ..., "byte_fallback": ...}`.
fn unigram(value: &Value) -> Result<Model> {
    let list = array(value.get("vocab").unwrap_or(&Value::Null), "the Unigram model's vocab")?;
    let mut entries = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        match entry.as_array().map(Vec::as_slice) {
            Some([Value::String(piece), Value::Number(score)]) => entries.push((piece.clone(), score.as_f64().unwrap_or(f64::NAN))),
            _ => return Err(bad(format!("Unigram vocab entry {i} is not [piece, score]: {}", short(entry)))),
        }
    }
    let unk_id = match value.get("unk_id") {
        None | Some(Value::Null) => None,
        Some(id) => Some(id.as_u64().and_then(|id| u32::try_from(id).ok()).ok_or_else(|| bad(format!("unk_id should be an id, not {id}")))?),
    };
    Ok(Model::Unigram(Box::new(Unigram::new(entries, unk_id, flag(value, "byte_fallback", false)?)?)))
}

fn unigram_options(unigram: &Unigram) -> Value {
    json!({ "type": "Unigram", "unk_id": unigram.unk_id(), "byte_fallback": unigram.byte_fallback() })
}

fn write_bpe(vocab: Vec<(String, u32)>, merges: Vec<(String, String)>, options: &BpeOptions) -> Value {
    let vocab: Map<String, Value> = vocab.into_iter().map(|(t, id)| (t, json!(id))).collect();
    let mut model = bpe_options(options);
    model["vocab"] = Value::Object(vocab);
    model["merges"] = merges.into_iter().map(|(l, r)| json!([l, r])).collect();
    model
}

/// A BPE model's fields but its vocabulary and merges.
fn bpe_options(options: &BpeOptions) -> Value {
    json!({
        "type": "BPE",
        "dropout": null,
        "unk_token": options.unk_token,
        "continuing_subword_prefix": options.continuing_subword_prefix,
        "end_of_word_suffix": options.end_of_word_suffix,
        "fuse_unk": options.fuse_unk,
        "byte_fallback": options.byte_fallback,
        "ignore_merges": options.ignore_merges,
    })
}

fn write_model(model: &Model) -> Value {
    let tokens = |v: &Vocab| v.iter().map(|(t, id)| (t.to_string(), id)).collect::<Vec<_>>();
    let vocab_map = |v: &Vocab| v.iter().map(|(t, id)| (t.to_string(), json!(id))).collect::<Map<String, Value>>();
    match model {
        Model::ByteBpe(bpe) => {
            let vocab: Vec<(String, u32)> = (0..bpe.id_bound()).filter_map(|id| bpe.id_to_token(id).map(|t| (t, id))).collect();
            let spell = |id: u32| bpe.id_to_token(id).unwrap_or_default();
            let merges = bpe.merges().iter().map(|&(l, r)| (spell(l), spell(r))).collect();
            write_bpe(vocab, merges, bpe.options())
        }
        Model::Bpe(bpe) => {
            let name = |id: u32| bpe.vocab().token(id).unwrap_or_default().to_string();
            let merges = bpe.merges().iter().map(|&(l, r)| (name(l), name(r))).collect();
            write_bpe(tokens(bpe.vocab()), merges, bpe.options())
        }
        Model::WordPiece(wp) => json!({
            "type": "WordPiece",
            "unk_token": wp.unk_token(),
            "continuing_subword_prefix": wp.prefix(),
            "max_input_chars_per_word": wp.max_input_chars_per_word(),
            "vocab": vocab_map(wp.vocab()),
        }),
        Model::WordLevel(wl) => json!({ "type": "WordLevel", "vocab": vocab_map(wl.vocab()), "unk_token": wl.unk_token() }),
        Model::Unigram(unigram) => {
            let mut model = unigram_options(unigram);
            model["vocab"] = unigram.entries().map(|(piece, score)| json!([piece, score])).collect();
            model
        }
    }
}

// ---- added tokens -------------------------------------------------------------------

/// An added token; as in HF, one that the model already has takes the model's id.
fn added_token(value: &Value, model: &Model) -> Result<AddedToken> {
    let content = string(value, "content")?;
    let special = flag(value, "special", false)?;
    let id = match model.token_to_id(&content) {
        Some(id) => id,
        None => u32::try_from(number(value, "id")?).map_err(|_| bad(format!("added token {content:?} has an id too large")))?,
    };
    Ok(AddedToken {
        id,
        content,
        single_word: flag(value, "single_word", false)?,
        lstrip: flag(value, "lstrip", false)?,
        rstrip: flag(value, "rstrip", false)?,
        normalized: flag(value, "normalized", !special)?,
        special,
    })
}

// ---- post-processors ----------------------------------------------------------------

fn token_pair(value: &Value, key: &str) -> Result<(String, u32)> {
    let pair = value.get(key).and_then(Value::as_array).filter(|p| p.len() == 2);
    match pair.map(|p| (p[0].as_str(), p[1].as_u64())) {
        Some((Some(token), Some(id))) => Ok((token.to_string(), id as u32)),
        _ => Err(bad(format!("{key:?} should be [token, id] in {}", short(value)))),
    }
}

fn template_pieces(value: &Value, key: &str) -> Result<Vec<TemplatePiece>> {
    let mut pieces = Vec::new();
    for piece in array(value.get(key).unwrap_or(&Value::Null), key)? {
        if let Some(seq) = piece.get("Sequence") {
            let second = match string(seq, "id")?.as_str() {
                "A" => false,
                "B" => true,
                other => return Err(bad(format!("a template sequence must be A or B, not {other:?}"))),
            };
            pieces.push(TemplatePiece::Sequence { second, type_id: number(seq, "type_id")? as u32 });
        } else if let Some(special) = piece.get("SpecialToken") {
            pieces.push(TemplatePiece::Special { name: string(special, "id")?, type_id: number(special, "type_id")? as u32 });
        } else {
            return Err(bad(format!("unknown template piece {}", short(piece))));
        }
    }
    Ok(pieces)
}

fn post_processor(value: &Value) -> Result<PostProcessor> {
    Ok(match kind(value)? {
        "TemplateProcessing" => {
            let mut special_tokens = Vec::new();
            for (name, token) in object(value.get("special_tokens").unwrap_or(&Value::Null), "special_tokens")? {
                let ids = array(token.get("ids").unwrap_or(&Value::Null), "ids")?.iter().map(|i| i.as_u64().unwrap_or(0) as u32).collect();
                let tokens = array(token.get("tokens").unwrap_or(&Value::Null), "tokens")?
                    .iter()
                    .map(|t| t.as_str().unwrap_or_default().to_string())
                    .collect();
                special_tokens.push(TemplateToken { name: name.clone(), ids, tokens });
            }
            PostProcessor::Template(Template { single: template_pieces(value, "single")?, pair: template_pieces(value, "pair")?, special_tokens })
        }
        "BertProcessing" => PostProcessor::Bert { sep: token_pair(value, "sep")?, cls: token_pair(value, "cls")? },
        "RobertaProcessing" => PostProcessor::Roberta {
            sep: token_pair(value, "sep")?,
            cls: token_pair(value, "cls")?,
            trim_offsets: flag(value, "trim_offsets", true)?,
            add_prefix_space: flag(value, "add_prefix_space", true)?,
        },
        "ByteLevel" => PostProcessor::ByteLevel {
            add_prefix_space: flag(value, "add_prefix_space", true)?,
            trim_offsets: flag(value, "trim_offsets", true)?,
            use_regex: flag(value, "use_regex", true)?,
        },
        "Sequence" => PostProcessor::Sequence(
            array(value.get("processors").unwrap_or(&Value::Null), "processors")?.iter().map(post_processor).collect::<Result<_>>()?,
        ),
        other => return Err(unsupported("post-processor", other)),
    })
}

fn write_template_pieces(pieces: &[TemplatePiece]) -> Value {
    pieces
        .iter()
        .map(|p| match p {
            TemplatePiece::Sequence { second, type_id } => json!({ "Sequence": { "id": if *second { "B" } else { "A" }, "type_id": type_id } }),
            TemplatePiece::Special { name, type_id } => json!({ "SpecialToken": { "id": name, "type_id": type_id } }),
        })
        .collect()
}

fn write_post_processor(p: &PostProcessor) -> Value {
    match p {
        PostProcessor::Template(t) => {
            let specials: Map<String, Value> = t
                .special_tokens
                .iter()
                .map(|s| (s.name.clone(), json!({ "id": s.name, "ids": s.ids, "tokens": s.tokens })))
                .collect();
            json!({ "type": "TemplateProcessing", "single": write_template_pieces(&t.single),
                "pair": write_template_pieces(&t.pair), "special_tokens": specials })
        }
        PostProcessor::Bert { sep, cls } => json!({ "type": "BertProcessing", "sep": [sep.0, sep.1], "cls": [cls.0, cls.1] }),
        PostProcessor::Roberta { sep, cls, trim_offsets, add_prefix_space } => json!({ "type": "RobertaProcessing",
            "sep": [sep.0, sep.1], "cls": [cls.0, cls.1], "trim_offsets": trim_offsets, "add_prefix_space": add_prefix_space }),
        PostProcessor::ByteLevel { add_prefix_space, trim_offsets, use_regex } => json!({ "type": "ByteLevel",
            "add_prefix_space": add_prefix_space, "trim_offsets": trim_offsets, "use_regex": use_regex }),
        PostProcessor::Sequence(all) => json!({ "type": "Sequence", "processors": all.iter().map(write_post_processor).collect::<Vec<_>>() }),
    }
}

// ---- decoders -----------------------------------------------------------------------

fn decoder(value: &Value) -> Result<Decoder> {
    Ok(match kind(value)? {
        "ByteLevel" => Decoder::ByteLevel {
            add_prefix_space: flag(value, "add_prefix_space", true)?,
            trim_offsets: flag(value, "trim_offsets", true)?,
            use_regex: flag(value, "use_regex", true)?,
        },
        "WordPiece" => Decoder::WordPiece {
            prefix: optional_string(value, "prefix").unwrap_or_else(|| "##".into()),
            cleanup: flag(value, "cleanup", true)?,
        },
        "Metaspace" => Decoder::Metaspace {
            replacement: single_char(value, "replacement")?,
            prepend_scheme: prepend_scheme(value)?,
            split: flag(value, "split", true)?,
        },
        "BPEDecoder" => Decoder::Bpe { suffix: optional_string(value, "suffix").unwrap_or_else(|| "</w>".into()) },
        "Replace" => Decoder::Replace { pattern: pattern(value)?, content: string(value, "content")? },
        "ByteFallback" => Decoder::ByteFallback,
        "Fuse" => Decoder::Fuse,
        "Strip" => Decoder::Strip {
            content: single_char(value, "content")?,
            start: number(value, "start")? as usize,
            stop: number(value, "stop")? as usize,
        },
        "Sequence" => Decoder::Sequence(
            array(value.get("decoders").unwrap_or(&Value::Null), "decoders")?.iter().map(decoder).collect::<Result<_>>()?,
        ),
        other => return Err(unsupported("decoder", other)),
    })
}

fn write_decoder(d: &Decoder) -> Value {
    match d {
        Decoder::ByteLevel { add_prefix_space, trim_offsets, use_regex } => json!({ "type": "ByteLevel",
            "add_prefix_space": add_prefix_space, "trim_offsets": trim_offsets, "use_regex": use_regex }),
        Decoder::WordPiece { prefix, cleanup } => json!({ "type": "WordPiece", "prefix": prefix, "cleanup": cleanup }),
        Decoder::Metaspace { replacement, prepend_scheme, split } => json!({ "type": "Metaspace",
            "replacement": replacement.to_string(), "prepend_scheme": scheme_name(*prepend_scheme), "split": split }),
        Decoder::Bpe { suffix } => json!({ "type": "BPEDecoder", "suffix": suffix }),
        Decoder::Replace { pattern, content } => json!({ "type": "Replace", "pattern": write_pattern(pattern), "content": content }),
        Decoder::ByteFallback => json!({ "type": "ByteFallback" }),
        Decoder::Fuse => json!({ "type": "Fuse" }),
        Decoder::Strip { content, start, stop } => json!({ "type": "Strip", "content": content.to_string(), "start": start, "stop": stop }),
        Decoder::Sequence(all) => json!({ "type": "Sequence", "decoders": all.iter().map(write_decoder).collect::<Vec<_>>() }),
    }
}

// ---- the document -------------------------------------------------------------------

/// The tokenizer.json document for a pipeline.
pub fn write(pipeline: &Pipeline) -> String {
    let mut added: Vec<&AddedToken> = pipeline.added().tokens().iter().collect();
    added.sort_by_key(|t| t.id);
    let added: Vec<Value> = added
        .iter()
        .map(|t| json!({ "id": t.id, "content": t.content, "single_word": t.single_word, "lstrip": t.lstrip,
            "rstrip": t.rstrip, "normalized": t.normalized, "special": t.special }))
        .collect();
    let document = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": pipeline.normalizer().map(write_normalizer),
        "pre_tokenizer": pipeline.pre_tokenizer().map(write_pre_tokenizer),
        "post_processor": pipeline.post_processor().map(write_post_processor),
        "decoder": pipeline.decoder().map(write_decoder),
        "model": write_model(pipeline.model()),
    });
    serde_json::to_string_pretty(&document).expect("a JSON value always serializes")
}

/// The tokenizer.json document for a tiktoken-style byte-level BPE: its pattern as a Split
/// pre-tokenizer (rewritten for HF's regex engine, `hf_pattern`) before a ByteLevel one
/// that only maps bytes to characters, a BPE model over the byte alphabet, a ByteLevel
/// decoder, and its special tokens as special added tokens. HF gives the same ids: under
/// tiktoken's rule (`ignore_merges`, and merges listing every split of each token into two
/// lower-ranked tokens, in rank order) or under the merge list the tokenizer follows.
pub fn write_byte_level_bpe(bpe: &ByteLevelBpe) -> String {
    let vocab = bpe.vocab();
    let (merges, ignore_merges) = match bpe.model() {
        ByteBpeModel::Ranks(ranks) => (merges_from_ranks(ranks), true),
        ByteBpeModel::Merges(list) => (list.merges().to_vec(), false),
    };
    let spelled: Vec<Option<String>> = (0..vocab.rank_bound() as u32).map(|id| vocab.token(id).map(byte_alphabet::spell)).collect();
    let spell = |id: u32| spelled[id as usize].clone().unwrap_or_default();
    let tokens = spelled.iter().enumerate().filter_map(|(id, t)| Some((t.clone()?, id as u32))).collect();
    let merges = merges.iter().map(|&(l, r)| (spell(l), spell(r))).collect();
    let options = BpeOptions { ignore_merges, ..BpeOptions::default() };
    let added: Vec<Value> = bpe
        .specials()
        .iter()
        .into_iter()
        .map(|(text, id)| json!({ "id": id, "content": text, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": false, "special": true }))
        .collect();
    let byte_level = json!({ "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false });
    let split = json!({ "type": "Split", "pattern": { "Regex": hf_pattern(bpe.pre_tokenizer().pattern()) },
        "behavior": "Isolated", "invert": false });
    let document = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": { "type": "Sequence", "pretokenizers": [split, byte_level.clone()] },
        "post_processor": null,
        "decoder": byte_level,
        "model": write_bpe(tokens, merges, &options),
    });
    serde_json::to_string_pretty(&document).expect("a JSON value always serializes")
}

/// Merges that make HF's BPE join what tiktoken's rule joins: every split of a token into
/// two tokens of lower rank, the token's splits in order, tokens in rank order (tiktoken
/// joins any such pair, the lowest-ranked result first). O(total token length) lookups.
fn merges_from_ranks(ranks: &Ranks) -> Vec<(u32, u32)> {
    let mut merges = Vec::new();
    for rank in 0..ranks.rank_bound() as u32 {
        let Some(token) = ranks.token(rank) else { continue };
        let start = merges.len();
        for cut in 1..token.len() {
            if let (Some(left), Some(right)) = (ranks.get(&token[..cut]), ranks.get(&token[cut..])) {
                if left < rank && right < rank {
                    merges.push((left, right));
                }
            }
        }
        merges[start..].sort_unstable();
    }
    merges
}

/// A pattern rewritten for Oniguruma, HF's regex engine, which reads `X{m,n}+` as "one or
/// more runs of m to n X" where tiktoken's engine reads a possessive `{m,n}`. The `+` is
/// dropped: possessiveness changes nothing there, as nothing after it in its alternative
/// could give characters back. `\p{N}{1,3}+` becomes `\p{N}{1,3}`.
pub fn hf_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        let counted = rest[1..]
            .find('}')
            .map(|close| &rest[1..close + 1])
            .filter(|inside| {
                let (low, high) = inside.split_once(',').unwrap_or((inside, ""));
                !low.is_empty() && low.bytes().all(|b| b.is_ascii_digit()) && high.bytes().all(|b| b.is_ascii_digit())
            });
        match counted {
            Some(inside) => {
                out.push('{');
                out.push_str(inside);
                out.push('}');
                rest = &rest[inside.len() + 2..];
                rest = rest.strip_prefix('+').unwrap_or(rest);
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A normalizer as tokenizer.json writes it, but a character map only by its size.
fn describe_normalizer(n: &Normalizer) -> Value {
    match n {
        Normalizer::Precompiled(p) => json!({ "type": "Precompiled", "precompiled_charsmap": format!("({} bytes)", p.map().blob().len()) }),
        Normalizer::Sequence(all) => json!({ "type": "Sequence", "normalizers": all.iter().map(describe_normalizer).collect::<Vec<_>>() }),
        other => write_normalizer(other),
    }
}

/// Each stage of a pipeline as tokenizer.json writes it, the model without its vocabulary
/// and merges, a character map by its size ("none" for a stage it does not have).
pub fn describe(pipeline: &Pipeline) -> Vec<(&'static str, String)> {
    let show = |v: Option<Value>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let model = match pipeline.model() {
        Model::ByteBpe(bpe) => bpe_options(bpe.options()),
        Model::Bpe(bpe) => bpe_options(bpe.options()),
        Model::WordPiece(wp) => json!({ "type": "WordPiece", "unk_token": wp.unk_token(),
            "continuing_subword_prefix": wp.prefix(), "max_input_chars_per_word": wp.max_input_chars_per_word() }),
        Model::WordLevel(wl) => json!({ "type": "WordLevel", "unk_token": wl.unk_token() }),
        Model::Unigram(unigram) => unigram_options(unigram),
    };
    vec![
        ("normalizer", show(pipeline.normalizer().map(describe_normalizer))),
        ("pre-tokenizer", show(pipeline.pre_tokenizer().map(write_pre_tokenizer))),
        ("model", model.to_string()),
        ("post-processor", show(pipeline.post_processor().map(write_post_processor))),
        ("decoder", show(pipeline.decoder().map(write_decoder))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Detail, Pipeline};

    /// A t5-like document: an old untyped Unigram model, a Precompiled map ("ｘ" → "x").
    fn document() -> String {
        let trie = crate::double_array::DoubleArray::build(&[("ｘ".as_bytes(), 0)]).unwrap();
        let mut blob = ((trie.units().len() * 4) as u32).to_le_bytes().to_vec();
        trie.units().iter().for_each(|unit| blob.extend_from_slice(&unit.to_le_bytes()));
        blob.extend_from_slice(b"x\0");
        json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
            "normalizer": { "type": "Precompiled", "precompiled_charsmap": BASE64.encode(&blob) },
            "pre_tokenizer": { "type": "Metaspace", "replacement": "▁", "add_prefix_space": true },
            "post_processor": null,
            "decoder": { "type": "Metaspace", "replacement": "▁", "add_prefix_space": true },
            "model": { "unk_id": 0, "vocab": [["<unk>", 0.0], ["▁", -2.5], ["x", -1.25], ["▁x", -3.0000000000000004]] },
        })
        .to_string()
    }

    fn ids(pipeline: &Pipeline, text: &str) -> Vec<u32> {
        pipeline.encode(text, None, &crate::special::SpecialSet::All, &crate::special::SpecialSet::none(), false, Detail::Ids).unwrap().ids
    }

    #[test]
    fn an_untyped_list_of_pieces_and_scores_reads_as_unigram_and_writes_back_typed() {
        let pipeline = read(&document()).unwrap();
        assert_eq!(pipeline.model().name(), "Unigram");
        // "ｘｘ" normalizes to "xx": ▁x + x (−4.25) beats ▁ + x + x (−5).
        assert_eq!(ids(&pipeline, "ｘｘ"), vec![3, 2]);
        let written: Value = serde_json::from_str(&write(&pipeline)).unwrap();
        assert_eq!(written["model"]["type"], "Unigram");
        assert_eq!(written["model"]["vocab"][3], json!(["▁x", -3.0000000000000004]));
        let again = read(&written.to_string()).unwrap();
        assert_eq!(ids(&again, "ｘｘ ｘ"), ids(&pipeline, "ｘｘ ｘ"));
        let (stage, normalizer) = &describe(&again)[0];
        assert_eq!((*stage, normalizer.contains(" bytes)")), ("normalizer", true));
    }

    #[test]
    fn counted_repetitions_lose_their_possessive_plus_for_oniguruma() {
        assert_eq!(hf_pattern(r"\p{N}{1,3}+| ?\p{L}++|x{2}+|y{3,}+"), r"\p{N}{1,3}| ?\p{L}++|x{2}|y{3,}");
        assert_eq!(hf_pattern("{a{2}+}"), "{a{2}}");
    }

    #[test]
    fn a_rank_table_gives_every_split_into_lower_ranks_in_rank_order() {
        let tokens = (0..=255u8).map(|b| vec![b]).chain([b"ab".to_vec(), b"bc".to_vec(), b"abc".to_vec()]);
        let ranks = Ranks::from_tokens(tokens.enumerate().map(|(i, t)| (t, i as u32))).unwrap();
        assert_eq!(merges_from_ranks(&ranks), vec![(97, 98), (98, 99), (97, 257), (256, 99)]);
    }

    #[test]
    fn a_byte_level_bpe_written_as_tokenizer_json_reads_back_to_the_same_ids() {
        use crate::pretokenize::Splitter;
        use crate::special::SpecialSet;
        let tokens = (0..=255u8).map(|b| vec![b]).chain([b"ab".to_vec(), b" a".to_vec(), b" ab".to_vec()]);
        let ranks = Ranks::from_tokens(tokens.enumerate().map(|(i, t)| (t, i as u32))).unwrap();
        let bpe = ByteLevelBpe::new(ranks, Splitter::from_name_or_regex("cl100k").unwrap(), vec![("<|end|>".into(), 300)]).unwrap();
        let pipeline = read(&write_byte_level_bpe(&bpe)).unwrap();
        let text = "ab abab  aé<|end|> 123456";
        let theirs = pipeline.encode(text, None, &SpecialSet::All, &SpecialSet::none(), false, Detail::Ids).unwrap().ids;
        assert_eq!(theirs, bpe.encode(text, &SpecialSet::All, &SpecialSet::none()).unwrap());
    }
}
