//! SentencePiece `.model` files: the `ModelProto` protocol buffer, read and written with
//! prost. The messages below are written for tokkit from the wire format (field numbers
//! and types), holding every field SentencePiece itself reads; fields tokkit does not
//! know are dropped on reading.

use crate::error::{Error, Result};
use prost::Message;

/// The whole file.
#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    #[prost(message, repeated, tag = "1")]
    pub pieces: Vec<ProtoPiece>,
    #[prost(message, optional, tag = "2")]
    pub trainer_spec: Option<TrainerSpec>,
    #[prost(message, optional, tag = "3")]
    pub normalizer_spec: Option<NormalizerSpec>,
    #[prost(message, optional, tag = "4")]
    pub self_test_data: Option<SelfTestData>,
    #[prost(message, optional, tag = "5")]
    pub denormalizer_spec: Option<NormalizerSpec>,
}

/// One vocabulary entry (`ModelProto.SentencePiece`).
#[derive(Clone, PartialEq, Message)]
pub struct ProtoPiece {
    #[prost(string, optional, tag = "1")]
    pub piece: Option<String>,
    #[prost(float, optional, tag = "2")]
    pub score: Option<f32>,
    #[prost(enumeration = "PieceType", optional, tag = "3")]
    pub kind: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PieceType {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

impl PieceType {
    /// The type's name in lower case, as tokkit reports it ("user_defined", say).
    pub fn name(self) -> &'static str {
        match self {
            PieceType::Normal => "normal",
            PieceType::Unknown => "unknown",
            PieceType::Control => "control",
            PieceType::UserDefined => "user_defined",
            PieceType::Unused => "unused",
            PieceType::Byte => "byte",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ModelType {
    Unigram = 1,
    Bpe = 2,
    Word = 3,
    Char = 4,
}

#[derive(Clone, PartialEq, Message)]
pub struct TrainerSpec {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, optional, tag = "7")]
    pub input_format: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub model_prefix: Option<String>,
    #[prost(enumeration = "ModelType", optional, tag = "3")]
    pub model_type: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub vocab_size: Option<i32>,
    #[prost(string, repeated, tag = "5")]
    pub accept_language: Vec<String>,
    #[prost(int32, optional, tag = "6")]
    pub self_test_sample_size: Option<i32>,
    #[prost(bool, optional, tag = "50")]
    pub enable_differential_privacy: Option<bool>,
    #[prost(float, optional, tag = "51")]
    pub differential_privacy_noise_level: Option<f32>,
    #[prost(uint64, optional, tag = "52")]
    pub differential_privacy_clipping_threshold: Option<u64>,
    #[prost(float, optional, tag = "10")]
    pub character_coverage: Option<f32>,
    #[prost(uint64, optional, tag = "11")]
    pub input_sentence_size: Option<u64>,
    #[prost(bool, optional, tag = "19")]
    pub shuffle_input_sentence: Option<bool>,
    #[prost(int32, optional, tag = "12")]
    pub mining_sentence_size: Option<i32>,
    #[prost(int32, optional, tag = "13")]
    pub training_sentence_size: Option<i32>,
    #[prost(int32, optional, tag = "14")]
    pub seed_sentencepiece_size: Option<i32>,
    #[prost(float, optional, tag = "15")]
    pub shrinking_factor: Option<f32>,
    #[prost(int32, optional, tag = "18")]
    pub max_sentence_length: Option<i32>,
    #[prost(int32, optional, tag = "16")]
    pub num_threads: Option<i32>,
    #[prost(int32, optional, tag = "17")]
    pub num_sub_iterations: Option<i32>,
    #[prost(int32, optional, tag = "20")]
    pub max_sentencepiece_length: Option<i32>,
    #[prost(bool, optional, tag = "21")]
    pub split_by_unicode_script: Option<bool>,
    #[prost(bool, optional, tag = "23")]
    pub split_by_number: Option<bool>,
    #[prost(bool, optional, tag = "22")]
    pub split_by_whitespace: Option<bool>,
    #[prost(bool, optional, tag = "24")]
    pub treat_whitespace_as_suffix: Option<bool>,
    #[prost(bool, optional, tag = "26")]
    pub allow_whitespace_only_pieces: Option<bool>,
    #[prost(bool, optional, tag = "25")]
    pub split_digits: Option<bool>,
    #[prost(string, optional, tag = "53")]
    pub pretokenization_delimiter: Option<String>,
    #[prost(string, repeated, tag = "30")]
    pub control_symbols: Vec<String>,
    #[prost(string, repeated, tag = "31")]
    pub user_defined_symbols: Vec<String>,
    #[prost(string, optional, tag = "36")]
    pub required_chars: Option<String>,
    #[prost(bool, optional, tag = "35")]
    pub byte_fallback: Option<bool>,
    #[prost(bool, optional, tag = "32")]
    pub vocabulary_output_piece_score: Option<bool>,
    #[prost(bool, optional, tag = "33")]
    pub hard_vocab_limit: Option<bool>,
    #[prost(bool, optional, tag = "34")]
    pub use_all_vocab: Option<bool>,
    #[prost(int32, optional, tag = "40")]
    pub unk_id: Option<i32>,
    #[prost(int32, optional, tag = "41")]
    pub bos_id: Option<i32>,
    #[prost(int32, optional, tag = "42")]
    pub eos_id: Option<i32>,
    #[prost(int32, optional, tag = "43")]
    pub pad_id: Option<i32>,
    #[prost(string, optional, tag = "45")]
    pub unk_piece: Option<String>,
    #[prost(string, optional, tag = "46")]
    pub bos_piece: Option<String>,
    #[prost(string, optional, tag = "47")]
    pub eos_piece: Option<String>,
    #[prost(string, optional, tag = "48")]
    pub pad_piece: Option<String>,
    #[prost(string, optional, tag = "44")]
    pub unk_surface: Option<String>,
    #[prost(bool, optional, tag = "49")]
    pub train_extremely_large_corpus: Option<bool>,
    #[prost(string, optional, tag = "54")]
    pub seed_sentencepieces_file: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NormalizerSpec {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub precompiled_charsmap: Option<Vec<u8>>,
    #[prost(bool, optional, tag = "3")]
    pub add_dummy_prefix: Option<bool>,
    #[prost(bool, optional, tag = "4")]
    pub remove_extra_whitespaces: Option<bool>,
    #[prost(bool, optional, tag = "5")]
    pub escape_whitespaces: Option<bool>,
    #[prost(string, optional, tag = "6")]
    pub normalization_rule_tsv: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SelfTestData {
    #[prost(message, repeated, tag = "1")]
    pub samples: Vec<SelfTestSample>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SelfTestSample {
    #[prost(string, optional, tag = "1")]
    pub input: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub expected: Option<String>,
}

impl ProtoPiece {
    /// The piece's type; NORMAL when absent, as in SentencePiece.
    pub fn piece_type(&self) -> Result<PieceType> {
        let raw = self.kind.unwrap_or(PieceType::Normal as i32);
        PieceType::try_from(raw).map_err(|_| {
            Error::BadVocabulary(format!(
                "the piece {:?} has type {raw}, which is not a SentencePiece piece type (1 to 6)",
                self.piece.as_deref().unwrap_or("")
            ))
        })
    }
}

impl TrainerSpec {
    pub fn checked_model_type(&self) -> Result<ModelType> {
        let raw = self.model_type.unwrap_or(ModelType::Unigram as i32);
        ModelType::try_from(raw)
            .map_err(|_| Error::BadVocabulary(format!("unknown SentencePiece model type {raw}")))
    }
}

/// Parses a `.model` file. A file that is not a `ModelProto` with pieces is an error that
/// names the file.
pub fn read(contents: &[u8], source_name: &str) -> Result<ModelProto> {
    let not_a_model = |why: String| {
        Error::BadVocabulary(format!(
            "{source_name} is not a SentencePiece model ({why}); pass a .model file written by \
             SentencePiece or by tokkit"
        ))
    };
    let model = ModelProto::decode(contents).map_err(|e| not_a_model(format!("protobuf error: {e}")))?;
    if model.pieces.is_empty() {
        return Err(not_a_model("it holds no pieces".into()));
    }
    if model.pieces.iter().any(|p| p.piece.is_none()) {
        return Err(not_a_model("a piece has no text".into()));
    }
    Ok(model)
}

pub fn write(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_bytes() {
        let model = ModelProto {
            pieces: vec![
                ProtoPiece { piece: Some("<unk>".into()), score: Some(0.0), kind: Some(PieceType::Unknown as i32) },
                ProtoPiece { piece: Some("▁a".into()), score: Some(-1.5), kind: None },
            ],
            trainer_spec: Some(TrainerSpec { vocab_size: Some(2), ..Default::default() }),
            normalizer_spec: Some(NormalizerSpec { name: Some("identity".into()), ..Default::default() }),
            self_test_data: None,
            denormalizer_spec: None,
        };
        let bytes = write(&model);
        assert_eq!(read(&bytes, "x").unwrap(), model);
        assert_eq!(model.pieces[1].piece_type().unwrap(), PieceType::Normal);
    }

    #[test]
    fn foreign_bytes_are_an_error_naming_the_file() {
        let err = read(b"{\"model\": {}}", "t.json").unwrap_err();
        assert!(err.to_string().contains("t.json is not a SentencePiece model"), "{err}");
        assert!(read(b"", "empty.model").is_err());
    }
}
