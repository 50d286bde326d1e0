//! SentencePiece's BPE (model_type BPE, e.g. Mistral and Llama 2): start from the
//! characters of the normalized text (a user-defined symbol is one frozen symbol), and
//! repeatedly join the adjacent pair whose union is the piece with the highest score,
//! the leftmost on equal scores, until no adjacent union is a piece. A union that is an
//! UNUSED piece is joined and then split back into the pieces it was made of.
//!
//! Unlike byte-level BPE (`bpe/encode.rs`), priorities are float scores, many equal, and
//! symbols are characters, so this keeps its own loop: symbols in a linked list, candidate
//! pairs in a binary heap keyed by (score, leftmost). A popped pair is stale when either
//! side has changed length since it was pushed. O(n log n) for a text of n characters.

use super::viterbi::Token;
use super::model::PieceModel;
use crate::formats::sentencepiece::PieceType;
use crate::sentencepiece::normalizer::lead_len;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Symbol {
    start: u32,
    end: u32,
    prev: u32,
    next: u32,
    frozen: bool,
}

/// A candidate union of symbols `left` and `right`, `len` bytes long.
struct Pair {
    score: f32,
    left: u32,
    right: u32,
    len: u32,
}

impl PartialEq for Pair {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pair {}
impl PartialOrd for Pair {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pair {
    /// Higher score first, then the leftmost.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.left.cmp(&self.left))
    }
}

/// Appends the BPE segmentation of normalized `text` to `out`. Characters that are no
/// piece come out as the unknown piece.
pub fn encode(model: &PieceModel, normalizer_user_prefix: impl Fn(&[u8]) -> Option<usize>, text: &[u8], out: &mut Vec<Token>) {
    let mut symbols: Vec<Symbol> = Vec::with_capacity(text.len());
    let mut start = 0;
    while start < text.len() {
        let (len, frozen) = match normalizer_user_prefix(&text[start..]) {
            Some(len) => (len, true),
            None => (lead_len(text[start]).min(text.len() - start), false),
        };
        let index = symbols.len() as u32;
        symbols.push(Symbol {
            start: start as u32,
            end: (start + len) as u32,
            prev: if index == 0 { NIL } else { index - 1 },
            next: if start + len < text.len() { index + 1 } else { NIL },
            frozen,
        });
        start += len;
    }
    if symbols.is_empty() {
        return;
    }
    let mut heap = BinaryHeap::new();
    let mut unused_splits: FxHashMap<(u32, u32), (u32, u32)> = FxHashMap::default();
    let mut offer = |symbols: &[Symbol], heap: &mut BinaryHeap<Pair>, left: u32, right: u32| {
        if left == NIL || right == NIL {
            return;
        }
        let (l, r) = (symbols[left as usize], symbols[right as usize]);
        if l.frozen || r.frozen {
            return;
        }
        let Some(id) = model.trie().get(&text[l.start as usize..r.end as usize]) else { return };
        let piece = model.piece(id);
        heap.push(Pair { score: piece.score, left, right, len: r.end - l.start });
        if piece.kind == PieceType::Unused {
            unused_splits.insert((l.start, r.end), (l.end, id));
        }
    };
    for i in 1..symbols.len() as u32 {
        offer(&symbols, &mut heap, i - 1, i);
    }
    while let Some(pair) = heap.pop() {
        let (l, r) = (symbols[pair.left as usize], symbols[pair.right as usize]);
        if l.start == l.end || r.start == r.end || r.end - l.start != pair.len || l.next != pair.right {
            continue;
        }
        let left = &mut symbols[pair.left as usize];
        left.end = r.end;
        left.next = r.next;
        if r.next != NIL {
            symbols[r.next as usize].prev = pair.left;
        }
        let right = &mut symbols[pair.right as usize];
        right.end = right.start;
        let prev = symbols[pair.left as usize].prev;
        let next = symbols[pair.left as usize].next;
        offer(&symbols, &mut heap, prev, pair.left);
        offer(&symbols, &mut heap, pair.left, next);
    }
    let mut index = 0;
    while index != NIL {
        let s = symbols[index as usize];
        resegment(model, text, s.start, s.end, &unused_splits, out);
        index = s.next;
    }
}

/// Emits `text[start..end]`, splitting an UNUSED piece back into the two it was made of.
fn resegment(model: &PieceModel, text: &[u8], start: u32, end: u32, splits: &FxHashMap<(u32, u32), (u32, u32)>, out: &mut Vec<Token>) {
    let id = model.trie().get(&text[start as usize..end as usize]);
    if let Some(id) = id {
        if model.kind(id) == PieceType::Unused {
            if let Some(&(mid, _)) = splits.get(&(start, end)) {
                resegment(model, text, start, mid, splits, out);
                resegment(model, text, mid, end, splits, out);
                return;
            }
        }
    }
    let id = id.or_else(|| {
        std::str::from_utf8(&text[start as usize..end as usize]).ok().and_then(|t| model.id_of(t))
    });
    out.push(Token { start, end, id: id.unwrap_or(model.unk_id()) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentencepiece::model::{Algorithm, Piece};

    fn model(pieces: &[(&str, f32)]) -> PieceModel {
        let mut all = vec![Piece { text: "<unk>".into(), score: 0.0, kind: PieceType::Unknown }];
        all.extend(pieces.iter().map(|&(t, s)| Piece { text: t.into(), score: s, kind: PieceType::Normal }));
        PieceModel::new(Algorithm::Bpe, all, false).unwrap()
    }

    fn pieces(model: &PieceModel, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        encode(model, |_| None, text.as_bytes(), &mut out);
        out.iter().map(|t| text[t.start as usize..t.end as usize].to_string()).collect()
    }

    #[test]
    fn joins_the_best_scored_pair_first() {
        let m = model(&[("a", -1.0), ("b", -1.0), ("c", -1.0), ("ab", -3.0), ("bc", -2.0), ("abc", -4.0)]);
        // bc (-2) before ab (-3); then a+bc = abc.
        assert_eq!(pieces(&m, "abc"), ["abc"]);
        assert_eq!(pieces(&m, "abab"), ["ab", "ab"]);
    }

    #[test]
    fn equal_scores_join_leftmost_first() {
        let m = model(&[("a", -1.0), ("aa", -2.0)]);
        assert_eq!(pieces(&m, "aaa"), ["aa", "a"]);
    }

    #[test]
    fn unknown_characters_are_the_unknown_piece() {
        let m = model(&[("a", -1.0)]);
        let mut out = Vec::new();
        encode(&m, |_| None, "a字".as_bytes(), &mut out);
        assert_eq!(out.iter().map(|t| t.id).collect::<Vec<_>>(), vec![1, 0]);
    }
}
