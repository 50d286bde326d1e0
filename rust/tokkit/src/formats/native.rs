//! tokkit's own file format for byte-level BPE: one JSON document with everything a
//! tokenizer needs, where a `.tiktoken` file holds only the ranks.
//!
//! ```json
//! {"format": "tokkit", "version": 1, "type": "byte_level_bpe", "name": "mine",
//!  "pattern": "<regex>", "special_tokens": {"<|endoftext|>": 50256},
//!  "ranks": "<a .tiktoken file, base64>"}
//! ```
//! A merge list has `"tokens": [base64 of each token's bytes, by id]` and
//! `"merges": [[left id, right id], ...]` in place of `"ranks"`.

use crate::bpe::{ByteBpeModel, ByteLevelBpe, MergeList, Ranks};
use crate::error::{Error, Result};
use crate::formats::tiktoken;
use crate::pretokenize::Splitter;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};

/// The version this tokkit writes and reads.
pub const VERSION: u64 = 1;

/// Whether a parsed JSON document is in tokkit's format (rather than a tokenizer.json).
pub fn is_native(document: &Value) -> bool {
    document.get("format").and_then(Value::as_str) == Some("tokkit")
}

/// The document for a byte-level BPE named `name`.
pub fn write(bpe: &ByteLevelBpe, name: &str) -> Vec<u8> {
    let mut document = header(bpe, name);
    document.insert("format".into(), json!("tokkit"));
    document.insert("version".into(), json!(VERSION));
    document.insert("type".into(), json!("byte_level_bpe"));
    match bpe.model() {
        ByteBpeModel::Ranks(ranks) => {
            document.insert("ranks".into(), json!(BASE64.encode(tiktoken::write(ranks))));
        }
        ByteBpeModel::Merges(list) => {
            let vocab = list.vocab();
            let tokens: Vec<Value> =
                (0..vocab.rank_bound() as u32).map(|id| vocab.token(id).map_or(Value::Null, |t| json!(BASE64.encode(t)))).collect();
            document.insert("tokens".into(), Value::Array(tokens));
            document.insert("merges".into(), json!(list.merges()));
        }
    }
    serde_json::to_vec(&Value::Object(document)).expect("a JSON value always serializes")
}

/// The sidecar `Tokenizer.save` writes beside a `.tiktoken` file: what the ranks lack.
pub fn sidecar(bpe: &ByteLevelBpe, name: &str) -> Vec<u8> {
    serde_json::to_vec_pretty(&Value::Object(header(bpe, name))).expect("a JSON value always serializes")
}

fn header(bpe: &ByteLevelBpe, name: &str) -> Map<String, Value> {
    let specials: Map<String, Value> = bpe.specials().iter().into_iter().map(|(text, id)| (text.to_string(), json!(id))).collect();
    let mut header = Map::new();
    header.insert("name".into(), json!(name));
    header.insert("pattern".into(), json!(bpe.pre_tokenizer().pattern()));
    header.insert("special_tokens".into(), Value::Object(specials));
    header
}

/// Reads a document in tokkit's format: the tokenizer and the name it records.
pub fn read(document: &Value, source_name: &str) -> Result<(ByteLevelBpe, Option<String>)> {
    let bad = |why: String| Error::BadVocabulary(format!("{source_name}: {why}"));
    let version = document.get("version").cloned().unwrap_or(Value::Null);
    if version.as_u64() != Some(VERSION) {
        return Err(bad(format!("tokkit format version {version}; this tokkit reads version {VERSION}")));
    }
    let kind = document.get("type").cloned().unwrap_or(Value::Null);
    if kind.as_str() != Some("byte_level_bpe") {
        return Err(bad(format!("unknown tokenizer type {kind}; this tokkit reads \"byte_level_bpe\"")));
    }
    let pattern = document.get("pattern").and_then(Value::as_str).ok_or_else(|| bad("no \"pattern\" string".into()))?;
    let name = document.get("name").and_then(Value::as_str).map(str::to_string);
    let specials = special_tokens(document.get("special_tokens"), &bad)?;
    let base64 = |value: &Value, what: &str| -> Result<Vec<u8>> {
        let text = value.as_str().ok_or_else(|| bad(format!("{what} should be a base64 string, not {value}")))?;
        BASE64.decode(text).map_err(|e| bad(format!("{what} is not base64 ({e})")))
    };
    let model: ByteBpeModel = match (document.get("ranks"), document.get("tokens"), document.get("merges")) {
        (Some(ranks), None, None) => tiktoken::parse(&base64(ranks, "\"ranks\"")?, source_name)?.into(),
        (None, Some(Value::Array(tokens)), Some(Value::Array(merges))) => {
            let mut vocab = Vec::with_capacity(tokens.len());
            for (id, token) in tokens.iter().enumerate() {
                if !token.is_null() {
                    vocab.push((base64(token, &format!("token {id}"))?, id as u32));
                }
            }
            let merges = merges
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([left, right]) => match (left.as_u64(), right.as_u64()) {
                        (Some(l), Some(r)) if l <= u32::MAX as u64 && r <= u32::MAX as u64 => Ok((l as u32, r as u32)),
                        _ => Err(bad(format!("a merge should be two ids, not {pair}"))),
                    },
                    _ => Err(bad(format!("a merge should be [left id, right id], not {pair}"))),
                })
                .collect::<Result<Vec<_>>>()?;
            MergeList::new(Ranks::from_tokens(vocab)?, merges, false)?.into()
        }
        _ => return Err(bad("expected \"ranks\", or \"tokens\" and \"merges\" (lists)".into())),
    };
    let pre_tokenizer = Splitter::from_name_or_regex(pattern)?;
    Ok((ByteLevelBpe::new(model, pre_tokenizer, specials)?, name))
}

/// `{"text": id, ...}` as (text, id) pairs; ids below 2^32 − 1.
fn special_tokens(value: Option<&Value>, bad: &dyn Fn(String) -> Error) -> Result<Vec<(String, u32)>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let map = value.as_object().ok_or_else(|| bad(format!("\"special_tokens\" should map text to ids, not {value}")))?;
    map.iter()
        .map(|(text, id)| match id.as_u64() {
            Some(id) if id < u32::MAX as u64 => Ok((text.clone(), id as u32)),
            _ => Err(bad(format!("the special token {text:?} has id {id}, not an id from 0 to 4294967294"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpe::Rank;

    fn ranks() -> Ranks {
        let tokens = (0..=255u8).map(|b| vec![b]).chain([b"ab".to_vec(), b"abc".to_vec()]);
        Ranks::from_tokens(tokens.enumerate().map(|(i, t)| (t, i as Rank))).unwrap()
    }

    fn bpe(model: ByteBpeModel) -> ByteLevelBpe {
        ByteLevelBpe::new(model, Splitter::from_name_or_regex("gpt2").unwrap(), vec![("<|end|>".into(), 300)]).unwrap()
    }

    fn round_trip(original: &ByteLevelBpe) -> ByteLevelBpe {
        let document: Value = serde_json::from_slice(&write(original, "mine")).unwrap();
        assert!(is_native(&document));
        let (again, name) = read(&document, "mine.json").unwrap();
        assert_eq!(name.as_deref(), Some("mine"));
        again
    }

    #[test]
    fn ranks_and_merge_lists_read_back_to_the_same_ids() {
        let text = "abc ab <|end|> cab";
        let all = crate::special::SpecialSet::All;
        for original in [bpe(ranks().into()), bpe(MergeList::new(ranks(), vec![(97, 98), (256, 99)], false).unwrap().into())] {
            let again = round_trip(&original);
            assert_eq!(again.encode(text, &all, &all).unwrap(), original.encode(text, &all, &all).unwrap());
            assert_eq!(again.specials().iter(), original.specials().iter());
        }
    }

    #[test]
    fn a_foreign_version_or_type_is_an_error_naming_the_file() {
        let mut document: Value = serde_json::from_slice(&write(&bpe(ranks().into()), "x")).unwrap();
        document["version"] = json!(9);
        let message = read(&document, "x.json").unwrap_err().to_string();
        assert!(message.contains("x.json") && message.contains("version 9"), "{message}");
        document["version"] = json!(1);
        document["type"] = json!("wordpiece");
        assert!(read(&document, "x.json").unwrap_err().to_string().contains("unknown tokenizer type"));
    }
}
