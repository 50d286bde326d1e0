//! A BPE model defined by its merge list, as HuggingFace `tokenizers` and the original
//! GPT-2 define it: only the listed pairs join, earlier merges first. tokkit's trainer
//! produces this kind of model, so that a saved `tokenizer.json` gives the same ids in HF.

use super::encode::MergeRule;
use super::vocab::Ranks;
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

#[derive(Clone, Debug)]
pub struct MergeList {
    /// Token bytes and ids (for a merge list, a token's "rank" is just its id).
    vocab: Ranks,
    /// The merges in priority order, as (left id, right id).
    merges: Vec<(u32, u32)>,
    /// (left << 32 | right) → priority.
    pairs: FxHashMap<u64, u32>,
    /// priority → the id the merge makes.
    merged: Vec<u32>,
    /// Take a piece that is a token whole, without merging (HF's `ignore_merges`).
    whole_pieces: bool,
}

#[inline(always)]
fn key(left: u32, right: u32) -> u64 {
    (left as u64) << 32 | right as u64
}

impl MergeList {
    /// A model from its vocabulary and merges; every merge must join two tokens into a
    /// token of the vocabulary.
    pub fn new(vocab: Ranks, merges: Vec<(u32, u32)>, whole_pieces: bool) -> Result<MergeList> {
        let mut pairs = FxHashMap::default();
        pairs.reserve(merges.len());
        let mut merged_ids = Vec::with_capacity(merges.len());
        for (priority, &(left, right)) in merges.iter().enumerate() {
            let token = |id: u32| {
                vocab.token(id).ok_or_else(|| Error::BadVocabulary(format!("merge {priority} uses id {id}, which is not in the vocabulary")))
            };
            let joined = [token(left)?, token(right)?].concat();
            let merged = vocab.get(&joined).ok_or_else(|| {
                Error::BadVocabulary(format!(
                    "merge {priority} joins {:?} and {:?} into {:?}, which is not in the vocabulary",
                    String::from_utf8_lossy(token(left).unwrap_or_default()),
                    String::from_utf8_lossy(token(right).unwrap_or_default()),
                    String::from_utf8_lossy(&joined)
                ))
            })?;
            // A repeated merge takes its last priority, as HF does (its map keeps the last).
            pairs.insert(key(left, right), priority as u32);
            merged_ids.push(merged);
        }
        Ok(MergeList { vocab, merges, pairs, merged: merged_ids, whole_pieces })
    }

    pub fn vocab(&self) -> &Ranks {
        &self.vocab
    }

    pub fn merges(&self) -> &[(u32, u32)] {
        &self.merges
    }

    pub fn whole_pieces(&self) -> bool {
        self.whole_pieces
    }
}

impl MergeRule for MergeList {
    #[inline(always)]
    fn initial_parts(&self, piece: &[u8], mut part: impl FnMut(u32, u32)) -> u32 {
        for (i, &b) in piece.iter().enumerate() {
            part(i as u32, self.vocab.byte_rank(b));
        }
        piece.len() as u32
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
    fn whole(&self, piece: &[u8]) -> Option<u32> {
        if self.whole_pieces {
            self.vocab.get(piece)
        } else {
            None
        }
    }

    fn priority_bound(&self) -> usize {
        self.merges.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpe::encode::PieceEncoder;

    fn vocab(extra: &[&str]) -> Ranks {
        let tokens = (0..=255u8).map(|b| vec![b]).chain(extra.iter().map(|t| t.as_bytes().to_vec()));
        Ranks::from_tokens(tokens.enumerate().map(|(i, t)| (t, i as u32))).unwrap()
    }

    fn encode(list: &MergeList, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        PieceEncoder::new().encode(list, text.as_bytes(), &mut out);
        out
    }

    #[test]
    fn only_listed_merges_join() {
        // "abc" is a token reached by ab+c; a+bc is not a listed merge.
        let v = vocab(&["ab", "bc", "abc"]);
        let (a, c, ab, bc, abc) = (97, 99, 256, 257, 258);
        let list = MergeList::new(v.clone(), vec![(97, 98), (ab, c), (98, 99)], false).unwrap();
        assert_eq!(encode(&list, "abc"), vec![abc]);
        // With bc merged first, a+bc stays apart under a merge list ...
        let list = MergeList::new(v.clone(), vec![(98, 99), (97, 98), (ab, c)], false).unwrap();
        assert_eq!(encode(&list, "abc"), vec![a, bc]);
        // ... while tiktoken's rule joins any pair that forms a token.
        let mut out = Vec::new();
        PieceEncoder::new().encode(&v, b"abc", &mut out);
        assert_eq!(out, vec![abc]);
    }

    #[test]
    fn merges_into_unknown_tokens_are_rejected() {
        let err = MergeList::new(vocab(&["ab"]), vec![(97, 99)], false).unwrap_err();
        assert!(err.to_string().contains("not in the vocabulary"), "{err}");
    }
}
