//! Viterbi segmentation of normalized text into pieces, exactly as SentencePiece computes
//! it, and faster.
//!
//! The lattice: a node at every character boundary, an edge for every piece of the trie
//! starting there (UNUSED pieces excepted), and an unknown-piece edge (scored
//! min_score − 10) over a character no one-character piece covers. `best_path` walks the
//! offsets left to right keeping, for each, the best path score ending there, in double
//! precision, a candidate replacing the kept one only when strictly higher, so ties keep
//! the earlier start: SentencePiece's arithmetic to the bit (single-precision scores, a
//! double-precision sum; a float sum picks differently on long texts, where the scores
//! grow large and ulps coarse). O(n · longest piece).
//!
//! Words apart: when no piece has a `▁` after another character (true of every model
//! trained with split_by_whitespace), the best path breaks before each word's `▁`, so a
//! word's segmentation depends on the rest of the text only through the rounding of the
//! score it starts from. A word is segmented once, from score 0, with the smallest gap
//! between the best and the second-best candidate at any of its offsets; the result is
//! cached and reused wherever the word recurs, provided the gap exceeds what rounding from
//! the actual start score could change (`safe`; only exact ties fail it), after which the
//! end score is replayed along the word's pieces, addition for addition. Natural text
//! repeats its words, so most words cost one hash lookup instead of a lattice.

use super::model::PieceModel;
use crate::normalize::{lead_len, SPACE_SYMBOL};
use rustc_hash::FxHashMap;

const NONE: u32 = u32::MAX;
/// Words longer than this (in bytes) are not cached.
const LONGEST_CACHED: usize = 96;
/// The cache is emptied when it holds this many pieces.
const CACHE_MAX_PIECES: usize = 1 << 21;

/// A piece of a segmentation: normalized bytes `start..end`, and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: u32,
    pub end: u32,
    pub id: u32,
}

/// The best path ending at an offset: its score, the runner-up candidate's, and the edge.
#[derive(Clone, Copy)]
struct Node {
    best: f64,
    second: f64,
    start: u32,
    id: u32,
}

/// A path's outcome: the smallest best-to-second gap at any offset, the largest score
/// magnitude seen, and the score at the end.
struct Outcome {
    gap: f64,
    reach: f64,
    score: f64,
}

/// A cached word: its pieces in `pieces[first..first + count]`, and its outcome from 0.
#[derive(Clone, Copy)]
struct Cached {
    first: u32,
    count: u32,
    gap: f64,
    reach: f64,
}

/// Segments texts one after another, keeping a cache of word segmentations.
#[derive(Default)]
pub struct ViterbiEncoder {
    cache: FxHashMap<Box<[u8]>, Cached>,
    /// (end within the word, id) of cached words.
    pieces: Vec<(u32, u32)>,
    nodes: Vec<Node>,
    path: Vec<(u32, u32)>,
}

impl ViterbiEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the best segmentation of `text` (normalized) to `out`.
    pub fn encode(&mut self, model: &PieceModel, text: &[u8], out: &mut Vec<Token>) {
        if !model.words_apart {
            self.exact(model, text, 0.0, 0, out);
            return;
        }
        let mut score = 0.0;
        let mut start = 0;
        while start < text.len() {
            let end = next_word(text, start);
            score = self.encode_word(model, &text[start..end], start as u32, score, out);
            start = end;
        }
    }

    /// Segments one word starting at `offset` from the path score `base`; returns the path
    /// score at its end.
    fn encode_word(&mut self, model: &PieceModel, word: &[u8], offset: u32, base: f64, out: &mut Vec<Token>) -> f64 {
        if word.len() > LONGEST_CACHED {
            return self.exact(model, word, base, offset, out);
        }
        let cached = match self.cache.get(word) {
            Some(&cached) => cached,
            None => {
                if self.pieces.len() >= CACHE_MAX_PIECES {
                    self.cache.clear();
                    self.pieces.clear();
                }
                let first = self.pieces.len() as u32;
                let outcome = best_path(model, word, 0.0, &mut self.nodes, &mut self.pieces);
                let cached = Cached { first, count: self.pieces.len() as u32 - first, gap: outcome.gap, reach: outcome.reach };
                self.cache.insert(word.into(), cached);
                cached
            }
        };
        if !safe(&cached, base, word.len()) {
            return self.exact(model, word, base, offset, out);
        }
        let mut score = base;
        let mut start = 0;
        for &(end, id) in &self.pieces[cached.first as usize..(cached.first + cached.count) as usize] {
            score += edge_score(model, id);
            out.push(Token { start: offset + start, end: offset + end, id });
            start = end;
        }
        score
    }

    /// The best path over `text` from score `base`; appends its pieces, offset by `offset`.
    fn exact(&mut self, model: &PieceModel, text: &[u8], base: f64, offset: u32, out: &mut Vec<Token>) -> f64 {
        self.path.clear();
        let outcome = best_path(model, text, base, &mut self.nodes, &mut self.path);
        let mut start = 0;
        for &(end, id) in &self.path {
            out.push(Token { start: offset + start, end: offset + end, id });
            start = end;
        }
        outcome.score
    }
}

#[inline(always)]
fn edge_score(model: &PieceModel, id: u32) -> f64 {
    if id == model.unk_id() {
        model.unk_score() as f64
    } else {
        model.edge_score(id).expect("paths hold only used pieces")
    }
}

/// The end of the word starting at `start`: the next `▁` that follows another character.
#[inline]
fn next_word(text: &[u8], start: usize) -> usize {
    let space = SPACE_SYMBOL.as_bytes();
    let mut i = start;
    while i < text.len() && text[i..].starts_with(space) {
        i += space.len();
    }
    while i < text.len() {
        if text[i] == space[0] && text[i..].starts_with(space) {
            return i;
        }
        i += 1;
    }
    text.len()
}

/// Whether a word segmented from score 0 keeps its segmentation from score `base`: each
/// of at most `len` additions on a path rounds by at most half an ulp of the largest
/// magnitude involved, so two candidates can swap only if their gap is below about `len`
/// such ulps. The bound is taken twice over; a tie (gap 0) always fails it.
#[inline]
fn safe(cached: &Cached, base: f64, len: usize) -> bool {
    let magnitude = base.abs() + cached.reach;
    cached.gap > (2 * len + 4) as f64 * magnitude * f64::EPSILON
}

/// The best path over `text` from score `base`, pushed onto `pieces` as (end, id).
fn best_path(model: &PieceModel, text: &[u8], base: f64, nodes: &mut Vec<Node>, pieces: &mut Vec<(u32, u32)>) -> Outcome {
    let n = text.len();
    nodes.clear();
    nodes.resize(n + 1, Node { best: base, second: f64::NEG_INFINITY, start: NONE, id: NONE });
    let unk_score = model.unk_score() as f64;
    let trie = model.trie();
    let mut reach = base.abs();
    let mut offer = |node: &mut Node, candidate: f64, start: usize, id: u32| {
        reach = reach.max(candidate.abs());
        if node.start == NONE {
            *node = Node { best: candidate, second: f64::NEG_INFINITY, start: start as u32, id };
        } else if candidate > node.best {
            *node = Node { best: candidate, second: node.best, start: start as u32, id };
        } else if candidate > node.second {
            node.second = candidate;
        }
    };
    let mut start = 0;
    while start < n {
        let till = nodes[start].best;
        let char_len = lead_len(text[start]).min(n - start);
        let mut single = false;
        let mut cursor = trie.root();
        let mut pos = start;
        while pos < n && trie.step(&mut cursor, text[pos]) {
            pos += 1;
            let Some(id) = trie.value(&cursor) else { continue };
            let Some(score) = model.edge_score(id) else { continue };
            offer(&mut nodes[pos], score + till, start, id);
            single |= pos - start == char_len;
        }
        if !single {
            offer(&mut nodes[start + char_len], unk_score + till, start, model.unk_id());
        }
        start += char_len;
    }
    let first = pieces.len();
    let mut end = n;
    while end > 0 {
        let node = nodes[end];
        pieces.push((end as u32, node.id));
        end = node.start as usize;
    }
    pieces[first..].reverse();
    let gap = nodes[1..].iter().filter(|node| node.start != NONE).map(|node| node.best - node.second).fold(f64::INFINITY, f64::min);
    Outcome { gap, reach, score: nodes[n].best }
}

/// Joins runs of unknown pieces into one, as SentencePiece does after segmenting.
pub fn merge_unknowns(tokens: &mut Vec<Token>, unk_id: u32) {
    let mut kept = 0;
    for i in 0..tokens.len() {
        let token = tokens[i];
        if kept > 0 && token.id == unk_id && tokens[kept - 1].id == unk_id && tokens[kept - 1].end == token.start {
            tokens[kept - 1].end = token.end;
        } else {
            tokens[kept] = token;
            kept += 1;
        }
    }
    tokens.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::sentencepiece::PieceType;
    use crate::unigram::model::{Algorithm, Piece};

    fn model(pieces: &[(&str, f32)]) -> PieceModel {
        let mut all = vec![Piece { text: "<unk>".into(), score: 0.0, kind: PieceType::Unknown }];
        all.extend(pieces.iter().map(|&(t, s)| Piece { text: t.into(), score: s, kind: PieceType::Normal }));
        PieceModel::new(Algorithm::Unigram, all, false).unwrap()
    }

    fn segment(model: &PieceModel, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        ViterbiEncoder::new().encode(model, text.as_bytes(), &mut out);
        out.iter().map(|t| text[t.start as usize..t.end as usize].to_string()).collect()
    }

    #[test]
    fn picks_the_most_likely_segmentation() {
        let m = model(&[("▁", -3.0), ("a", -2.0), ("b", -2.0), ("ab", -3.0), ("▁ab", -3.5), ("▁a", -1.0)]);
        // ▁a + b (-3.0) beats ▁ab (-3.5) and ▁ + ab (-6.0).
        assert_eq!(segment(&m, "▁ab"), ["▁a", "b"]);
        assert_eq!(segment(&m, "▁ab▁ab"), ["▁a", "b", "▁a", "b"]);
    }

    #[test]
    fn ties_keep_the_earlier_start() {
        let m = model(&[("▁", -1.0), (".", -2.0), ("......", -5.0)]);
        // "." + "......" and "......" + "." score the same; the path whose last piece
        // starts earlier wins.
        assert_eq!(segment(&m, "▁......."), ["▁", ".", "......"]);
    }

    #[test]
    fn unknown_characters_get_the_unknown_piece_and_merge() {
        let m = model(&[("▁", -1.0), ("a", -1.0)]);
        let mut out = Vec::new();
        ViterbiEncoder::new().encode(&m, "▁a漢字a".as_bytes(), &mut out);
        merge_unknowns(&mut out, m.unk_id());
        let ids: Vec<u32> = out.iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![1, 2, 0, 2]);
        assert_eq!((out[2].start, out[2].end), (4, 10));
    }

    #[test]
    fn cached_words_give_the_segmentation_of_the_whole_text() {
        let m = model(&[("▁", -3.1), ("a", -2.2), ("b", -2.7), ("ab", -3.3), ("▁a", -1.9), ("ba", -4.0), ("▁b", -2.5)]);
        let text = "▁ab▁ba▁abab▁b▁ab▁ba▁ab".repeat(500);
        let mut cached = Vec::new();
        let mut encoder = ViterbiEncoder::new();
        encoder.encode(&m, text.as_bytes(), &mut cached);
        let mut whole = Vec::new();
        ViterbiEncoder::new().exact(&m, text.as_bytes(), 0.0, 0, &mut whole);
        assert_eq!(cached, whole);
    }

    #[test]
    fn words_split_before_spaces_that_follow_other_characters() {
        let text = "▁▁ab▁c".as_bytes();
        assert_eq!(next_word(text, 0), 8);
        assert_eq!(next_word(text, 8), text.len());
    }
}
