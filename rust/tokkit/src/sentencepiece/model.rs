//! A SentencePiece model: its pieces (text, score, type), the trie that finds the pieces
//! starting at a position of the normalized text, and the ids of the unknown piece and of
//! the byte pieces (`<0x41>`) used for byte fallback.
//!
//! The trie holds the pieces a segmentation may use (NORMAL, USER_DEFINED and UNUSED, as in
//! SentencePiece; UNUSED pieces are skipped by Unigram and undone by BPE). CONTROL, UNKNOWN
//! and BYTE pieces are found by `id_of` only. Building is O(total piece length); a prefix
//! walk costs one array read per byte (`double_array.rs`).

use crate::double_array::DoubleArray;
use crate::error::{Error, Result};
use crate::formats::sentencepiece::{ModelType, PieceType};
use rustc_hash::FxHashMap;

/// Which algorithm segments the normalized text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Kudo's unigram language model: the most likely segmentation (Viterbi).
    Unigram,
    /// SentencePiece's BPE: merge adjacent symbols by the score of their union.
    Bpe,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    pub text: String,
    pub score: f32,
    pub kind: PieceType,
}

#[derive(Clone, Debug)]
pub struct PieceModel {
    pub algorithm: Algorithm,
    pieces: Vec<Piece>,
    trie: DoubleArray,
    ids: FxHashMap<String, u32>,
    /// The score of each piece as a lattice edge (None for pieces a lattice skips).
    edge_scores: Vec<Option<f32>>,
    /// The same with the unknown piece's score, 0 for skipped pieces, for hot loops.
    lattice_scores: Vec<f32>,
    unk_id: u32,
    byte_ids: Option<Box<[u32; 256]>>,
    /// The lowest score of a NORMAL piece (0 when there is none).
    pub min_score: f32,
    /// True when no piece has a `▁` after a character that is not one: then every
    /// segmentation breaks before each word's `▁`, and words can be segmented apart.
    pub words_apart: bool,
}

/// SentencePiece's penalty for the unknown piece, below the lowest score.
pub const UNK_PENALTY: f32 = 10.0;

/// The score of a user-defined piece `length` long: 0.1 · (length − 1), rounded to single
/// precision, as in SentencePiece 0.2.3. It is positive for any piece longer than one unit,
/// so the piece beats every path of normal pieces over the same text. SentencePiece's
/// best-path encoder counts `length` in bytes, its lattice (n-best, sampling) in characters.
pub fn user_defined_score(length: usize) -> f32 {
    (0.1 * (length as f64 - 1.0)) as f32
}

/// The text of the byte piece for `byte`.
pub fn byte_piece(byte: u8) -> String {
    format!("<0x{byte:02X}>")
}

fn piece_byte(text: &str) -> Option<u8> {
    let hex = text.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

impl PieceModel {
    /// Checks the pieces as SentencePiece does when it loads a model.
    pub fn new(algorithm: Algorithm, pieces: Vec<Piece>, byte_fallback: bool) -> Result<PieceModel> {
        let bad = |why: String| Error::BadVocabulary(why);
        if pieces.len() >= (1 << 31) {
            return Err(bad("a SentencePiece model holds fewer than 2^31 pieces".into()));
        }
        let mut ids = FxHashMap::default();
        let mut unk_id = None;
        let mut bytes = [u32::MAX; 256];
        let mut trie_keys = Vec::new();
        let mut min_score = f32::MAX;
        for (id, piece) in pieces.iter().enumerate() {
            let id = id as u32;
            if piece.text.is_empty() {
                return Err(bad(format!("piece {id} is empty; every piece needs text")));
            }
            if ids.insert(piece.text.clone(), id).is_some() {
                return Err(bad(format!("the piece {:?} is defined twice (again at id {id})", piece.text)));
            }
            match piece.kind {
                PieceType::Normal => {
                    min_score = min_score.min(piece.score);
                    trie_keys.push((piece.text.as_bytes(), id));
                }
                PieceType::UserDefined | PieceType::Unused => trie_keys.push((piece.text.as_bytes(), id)),
                PieceType::Unknown => {
                    if unk_id.replace(id).is_some() {
                        return Err(bad("the model defines two unknown pieces; it needs exactly one".into()));
                    }
                }
                PieceType::Byte => {
                    if !byte_fallback {
                        return Err(bad(format!(
                            "the byte piece {:?} is in a model without byte_fallback",
                            piece.text
                        )));
                    }
                    let byte = piece_byte(&piece.text)
                        .ok_or_else(|| bad(format!("{:?} is typed BYTE but is not <0xXX>", piece.text)))?;
                    bytes[byte as usize] = id;
                }
                PieceType::Control => {}
            }
        }
        let unk_id = unk_id.ok_or_else(|| bad("the model has no unknown piece (type UNKNOWN); it needs one".into()))?;
        let byte_ids = if byte_fallback {
            if let Some(missing) = bytes.iter().position(|&id| id == u32::MAX) {
                return Err(bad(format!("byte_fallback is on but the byte piece {} is missing", byte_piece(missing as u8))));
            }
            Some(Box::new(bytes))
        } else {
            None
        };
        let words_apart = trie_keys.iter().all(|(text, _)| !space_after_other(text));
        let trie = DoubleArray::build(&trie_keys)?;
        if min_score == f32::MAX {
            min_score = 0.0;
        }
        let edge_scores: Vec<Option<f32>> = pieces
            .iter()
            .map(|p| match p.kind {
                PieceType::Unused => None,
                PieceType::UserDefined => Some(user_defined_score(p.text.len())),
                _ => Some(p.score),
            })
            .collect();
        let mut lattice_scores: Vec<f32> = edge_scores.iter().map(|s| s.unwrap_or(0.0)).collect();
        lattice_scores[unk_id as usize] = min_score - UNK_PENALTY;
        Ok(PieceModel {
            algorithm,
            pieces,
            trie,
            ids,
            edge_scores,
            lattice_scores,
            unk_id,
            byte_ids,
            min_score,
            words_apart,
        })
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    pub fn trie(&self) -> &DoubleArray {
        &self.trie
    }

    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    /// The id of each byte's piece, when the model falls back to bytes.
    pub fn byte_ids(&self) -> Option<&[u32; 256]> {
        self.byte_ids.as_deref()
    }

    /// The id of a piece of any type.
    pub fn id_of(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    #[inline(always)]
    pub fn piece(&self, id: u32) -> &Piece {
        &self.pieces[id as usize]
    }

    /// The score of piece `id` on a lattice edge; None for UNUSED pieces.
    #[inline(always)]
    pub fn edge_score(&self, id: u32) -> Option<f32> {
        self.edge_scores[id as usize]
    }

    /// The score of an edge of a lattice: its piece's, or the unknown piece's.
    #[inline(always)]
    pub fn lattice_score(&self, id: u32) -> f32 {
        self.lattice_scores[id as usize]
    }

    /// The score of the unknown piece on a lattice edge: below every piece.
    #[inline(always)]
    pub fn unk_score(&self) -> f32 {
        self.min_score - UNK_PENALTY
    }

    #[inline(always)]
    pub fn kind(&self, id: u32) -> PieceType {
        self.pieces[id as usize].kind
    }

    /// The byte a BYTE piece stands for.
    pub fn byte_of(&self, id: u32) -> Option<u8> {
        let piece = self.pieces.get(id as usize)?;
        if piece.kind == PieceType::Byte {
            piece_byte(&piece.text)
        } else {
            None
        }
    }

    pub fn model_type(&self) -> ModelType {
        match self.algorithm {
            Algorithm::Unigram => ModelType::Unigram,
            Algorithm::Bpe => ModelType::Bpe,
        }
    }
}

/// Whether `text` has a `▁` right after a character that is not `▁`.
fn space_after_other(text: &[u8]) -> bool {
    const SPACE: &[u8] = "\u{2581}".as_bytes();
    let mut after_other = false;
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(SPACE) {
            if after_other {
                return true;
            }
            i += SPACE.len();
        } else {
            after_other = true;
            i += crate::sentencepiece::normalizer::lead_len(text[i]);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(text: &str, score: f32, kind: PieceType) -> Piece {
        Piece { text: text.into(), score, kind }
    }

    #[test]
    fn checks_pieces_like_sentencepiece() {
        let ok = vec![piece("<unk>", 0.0, PieceType::Unknown), piece("▁a", -1.0, PieceType::Normal)];
        let model = PieceModel::new(Algorithm::Unigram, ok.clone(), false).unwrap();
        assert_eq!(model.unk_id(), 0);
        assert_eq!(model.trie().get("▁a".as_bytes()), Some(1));
        assert!(model.words_apart);
        let mut twice = ok.clone();
        twice.push(piece("▁a", -2.0, PieceType::Normal));
        assert!(PieceModel::new(Algorithm::Unigram, twice, false).is_err());
        assert!(PieceModel::new(Algorithm::Unigram, ok[1..].to_vec(), false).is_err());
        let mut bytes = ok;
        bytes.push(piece("<0x41>", 0.0, PieceType::Byte));
        assert!(PieceModel::new(Algorithm::Unigram, bytes, false).is_err());
    }

    #[test]
    fn finds_pieces_with_inner_spaces() {
        assert!(!space_after_other("▁▁ab".as_bytes()));
        assert!(space_after_other("a▁b".as_bytes()));
        assert_eq!(piece_byte("<0xE3>"), Some(0xE3));
        assert_eq!(byte_piece(0x0A), "<0x0A>");
    }
}
