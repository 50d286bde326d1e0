//! Viterbi segmentation of normalized text into pieces, exactly as SentencePiece computes
//! it, and faster.
//!
//! The lattice: a node at every character boundary, an edge for every piece of the trie
//! starting there (UNUSED pieces excepted), and an unknown-piece edge (scored
//! min_score − 10) over a character no one-character piece covers. Edges are offered in
//! order of start, then length, the unknown edge last. O(n · longest piece).
//!
//! The arithmetic is SentencePiece 0.2.3's best-path encoder's, to the bit, because exact
//! ties are common (digits, repeated letters: "1"+"11" against "11"+"1") and only the
//! rounding decides them. Each node keeps a single-precision score and the edge that gave
//! it. An edge's candidate is its piece score plus the score kept at its start, added in
//! single precision, and it replaces what its end node keeps only when strictly greater.
//! Before the edges of a start are offered, if the score kept there lies outside ±100,000
//! it is subtracted from that node and from every node already reached at or after it
//! (`rebase`); the walk goes on from 0. A book's scores thus stay near zero, where a float
//! still resolves hundredths: summing in double precision instead parts from
//! sentencepiece on "a111", and summing in single precision without the rebase parts
//! after 250,000 tokens of a book.
//!
//! Words apart: when no piece has a `▁` after another character (true of every model
//! trained with split_by_whitespace), the best path breaks before each word's `▁`, so a
//! word's segmentation depends on the rest of the text only through the score it starts
//! from (and a rebase there just starts it from 0, as nothing after it is reached yet).
//! Each distinct word gets, once, its lattice's edges (no more trie walks for it) and its
//! exact best path from score 0 with the smallest gap between the best and second-best
//! candidate at the offsets the path passes through (`best_f64`). Where the word recurs,
//! the cached path holds from the actual start score too if the gap exceeds what rounding
//! can move and no score inside the word can reach a rebase (`safe`); its end score is
//! then replayed addition for addition. Otherwise the best path runs again over the cached
//! edges. Natural text repeats its words, so most words cost a hash lookup and a few
//! additions.

use super::model::PieceModel;
use crate::double_array::DoubleArray;
use crate::sentencepiece::normalizer::{lead_len, SPACE_SYMBOL};
use super::word_table::{word_hash, WordTable};

const NO_EDGE: u32 = u32::MAX;
/// Outside ±REBASE, the score kept at a start is subtracted from the nodes reached from there on.
const REBASE: f32 = 100_000.0;
/// Words longer than this (in bytes) are not cached.
const LONGEST_CACHED: usize = 96;
/// How many words ahead of the one being segmented the encoder prefetches.
const AHEAD: usize = 16;
/// The cache is emptied when it holds this many edges.
const CACHE_MAX_EDGES: usize = 1 << 23;

/// A piece of a segmentation: normalized bytes `start..end`, and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: u32,
    pub end: u32,
    pub id: u32,
}

/// A lattice edge: bytes `start..end` of a word, and its piece.
#[derive(Clone, Copy, Debug)]
pub struct WordEdge {
    pub start: u32,
    pub end: u32,
    pub id: u32,
}

/// What a lattice needs of a model: the trie of its pieces, which of them may be edges,
/// the id an edge over an unknown character gets, and each edge's score. SentencePiece's
/// models (`PieceModel`) and HF's Unigram model (`pipeline::unigram`) differ in all four.
pub trait LatticeModel {
    fn trie(&self) -> &DoubleArray;
    fn usable(&self, id: u32) -> bool;
    fn unknown_edge(&self) -> u32;
    fn score(&self, id: u32) -> f64;
}

impl LatticeModel for PieceModel {
    #[inline(always)]
    fn trie(&self) -> &DoubleArray {
        PieceModel::trie(self)
    }

    #[inline(always)]
    fn usable(&self, id: u32) -> bool {
        self.edge_score(id).is_some()
    }

    #[inline(always)]
    fn unknown_edge(&self) -> u32 {
        self.unk_id()
    }

    #[inline(always)]
    fn score(&self, id: u32) -> f64 {
        self.lattice_score(id) as f64
    }
}

/// A cached word: its edges, its exact best path, the smallest gap between a best and a
/// second-best candidate (rounded down), and the largest path score magnitude (rounded
/// up). A path of up to `INLINE` pieces is kept in the entry itself, a longer one in
/// `steps`: a cache hit on a common word then touches one hash-table slot and nothing else.
#[derive(Clone, Copy, Default)]
struct Cached {
    gap: f32,
    reach: f32,
    first_edge: u32,
    edge_count: u16,
    path_len: u16,
    /// Pieces (id, end) of a short path, or `first_step` in `.0` of the first for a long one.
    path: [(u32, u32); INLINE],
}

const INLINE: usize = 2;

/// Segments texts one after another, keeping a cache of word lattices and paths.
#[derive(Default)]
pub struct ViterbiEncoder {
    words: WordTable<Cached>,
    edges: Vec<WordEdge>,
    /// (id, end) of the pieces of cached paths longer than `INLINE`.
    steps: Vec<(u32, u32)>,
    scratch_edges: Vec<WordEdge>,
    best_running: Vec<(f32, u32)>,
    best64: Vec<(f64, f64, u32)>,
    path: Vec<u32>,
}

impl ViterbiEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the best segmentation of `text` (normalized) to `out`.
    pub fn encode(&mut self, model: &PieceModel, text: &[u8], out: &mut Vec<Token>) {
        if !model.words_apart {
            self.uncached(model, text, 0.0, 0, out);
            return;
        }
        // Words are segmented `AHEAD` behind the one whose table slot was last asked
        // for, so that waits for memory overlap the work on the words in between.
        let mut ahead = [(0, 0, 0); AHEAD];
        let mut found = 0;
        for word in &mut ahead {
            *word = word_at(text, found);
            found = word.1;
            self.words.prefetch(word.2);
        }
        let mut score = 0.0f32;
        let mut k = 0;
        while ahead[k].0 < text.len() {
            let (start, end, hash) = ahead[k];
            ahead[k] = word_at(text, found);
            found = ahead[k].1;
            self.words.prefetch(ahead[k].2);
            score = self.encode_word(model, &text[start..end], hash, start as u32, score, out);
            k = (k + 1) % AHEAD;
        }
    }

    /// Segments one word starting at `offset` from the path score `base`; returns the path
    /// score at its end.
    fn encode_word(&mut self, model: &PieceModel, word: &[u8], hash: u64, offset: u32, base: f32, out: &mut Vec<Token>) -> f32 {
        if word.len() > LONGEST_CACHED {
            return self.uncached(model, word, base, offset, out);
        }
        let base = if needs_rebase(base) { 0.0 } else { base };
        let cached = match self.words.get(word, hash) {
            Some(cached) => cached,
            None => self.analyse(model, word, hash),
        };
        if safe(&cached, base, word.len()) {
            let len = cached.path_len as usize;
            let path = if len <= INLINE {
                &cached.path[..len]
            } else {
                let first = cached.path[0].0 as usize;
                &self.steps[first..first + len]
            };
            let mut score = base;
            let mut start = 0;
            for &(id, end) in path {
                score += model.lattice_score(id);
                out.push(Token { start: offset + start, end: offset + end, id });
                start = end;
            }
            return score;
        }
        let edges = &self.edges[cached.first_edge as usize..cached.first_edge as usize + cached.edge_count as usize];
        let score = best_running(model, edges, word.len(), base, &mut self.best_running, &mut self.path);
        out.extend(self.path.iter().map(|&e| {
            let edge = edges[e as usize];
            Token { start: offset + edge.start, end: offset + edge.end, id: edge.id }
        }));
        score
    }

    /// Builds and caches a word's lattice and exact best path.
    fn analyse(&mut self, model: &PieceModel, word: &[u8], hash: u64) -> Cached {
        if self.edges.len() >= CACHE_MAX_EDGES {
            self.words.clear();
            self.edges.clear();
            self.steps.clear();
        }
        let first_edge = self.edges.len();
        build_lattice(model, word, &mut self.edges);
        let edges = &self.edges[first_edge..];
        self.path.clear();
        let (gap, reach) = best_f64(model, edges, word.len(), &mut self.best64, &mut self.path);
        let pieces = self.path.iter().map(|&e| (edges[e as usize].id, edges[e as usize].end));
        let mut path = [(0u32, 0u32); INLINE];
        if self.path.len() <= INLINE {
            for (slot, piece) in path.iter_mut().zip(pieces) {
                *slot = piece;
            }
        } else {
            path[0].0 = self.steps.len() as u32;
            self.steps.extend(pieces);
        }
        let cached = Cached {
            // Rounded toward safety: the gap down, the magnitude up.
            gap: (gap * (1.0 - 1e-6)) as f32,
            reach: (reach * (1.0 + 1e-6)) as f32,
            first_edge: first_edge as u32,
            edge_count: edges.len() as u16,
            path_len: self.path.len() as u16,
            path,
        };
        self.words.insert(word, hash, cached);
        cached
    }

    /// The best path over `text` from `base`, without the cache.
    fn uncached(&mut self, model: &PieceModel, text: &[u8], base: f32, offset: u32, out: &mut Vec<Token>) -> f32 {
        self.scratch_edges.clear();
        build_lattice(model, text, &mut self.scratch_edges);
        let score = best_running(model, &self.scratch_edges, text.len(), base, &mut self.best_running, &mut self.path);
        out.extend(self.path.iter().map(|&e| {
            let edge = self.scratch_edges[e as usize];
            Token { start: offset + edge.start, end: offset + edge.end, id: edge.id }
        }));
        score
    }
}

/// The word starting at `start`: its start, its end and its hash.
#[inline(always)]
fn word_at(text: &[u8], start: usize) -> (usize, usize, u64) {
    let end = next_word(text, start);
    (start, end, word_hash(&text[start..end]))
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

/// Whether a score kept at a start is rebased before that start's edges are offered.
#[inline(always)]
fn needs_rebase(score: f32) -> bool {
    !(-REBASE..=REBASE).contains(&score)
}

/// Whether the best path of a word from 0 is also its best path from `base`, and its scores
/// stay clear of a rebase. A kept score differs from the exact best score at its node by at
/// most half an ulp per node before it (each node rounds one sum, and a candidate that
/// only rounding ties with the kept one may lose), an ulp being at most magnitude ·
/// `f32::EPSILON`. Two candidates can then swap only if their exact gap is below about
/// `len + 1` ulps. A tie (gap 0) always fails it.
#[inline]
fn safe(cached: &Cached, base: f32, len: usize) -> bool {
    let magnitude = base.abs() as f64 + cached.reach as f64;
    let drift = (len + 2) as f64 * magnitude * (f32::EPSILON as f64 * 1.01);
    cached.gap as f64 > drift && magnitude + drift < REBASE as f64
}

/// Appends the edges of `text`'s lattice, in the order SentencePiece (and HF) offer them:
/// by start, then by length, an unknown-character edge last.
pub fn build_lattice(model: &impl LatticeModel, text: &[u8], edges: &mut Vec<WordEdge>) {
    let n = text.len();
    let trie = model.trie();
    let mut start = 0;
    while start < n {
        let char_len = lead_len(text[start]).min(n - start);
        let mut single = false;
        let mut cursor = trie.root();
        let mut pos = start;
        while pos < n && trie.step(&mut cursor, text[pos]) {
            pos += 1;
            let Some(id) = trie.value(&cursor) else { continue };
            if !model.usable(id) {
                continue;
            }
            edges.push(WordEdge { start: start as u32, end: pos as u32, id });
            single |= pos - start == char_len;
        }
        if !single {
            edges.push(WordEdge { start: start as u32, end: (start + char_len) as u32, id: model.unknown_edge() });
        }
        start += char_len;
    }
}

/// The best path over the edges of an `n`-byte text from `base`, in SentencePiece's
/// arithmetic (single precision, rebased outside ±`REBASE`). Leaves the path's edge
/// indices in `path`; returns the score kept at the end.
fn best_running(model: &PieceModel, edges: &[WordEdge], n: usize, base: f32, best: &mut Vec<(f32, u32)>, path: &mut Vec<u32>) -> f32 {
    best.clear();
    best.resize(n + 1, (0.0, NO_EDGE));
    best[0].0 = base;
    let mut start = usize::MAX;
    let mut till = 0.0f32;
    // The furthest end of an edge offered so far: nodes past it are not reached yet.
    let mut frontier = 0;
    for (e, edge) in edges.iter().enumerate() {
        if edge.start as usize != start {
            start = edge.start as usize;
            till = best[start].0;
            if needs_rebase(till) {
                rebase(best, start, frontier, till);
                till = 0.0;
            }
        }
        let end = edge.end as usize;
        frontier = frontier.max(end);
        let candidate = model.lattice_score(edge.id) + till;
        let node = &mut best[end];
        if node.1 == NO_EDGE || candidate > node.0 {
            *node = (candidate, e as u32);
        }
    }
    path.clear();
    let mut end = n;
    while end > 0 {
        let e = best[end].1;
        path.push(e);
        end = edges[e as usize].start as usize;
    }
    path.reverse();
    best[n].0
}

/// Subtracts `offset` (the score kept at `start`) from the node at `start` and from every
/// node reached in `start + 1..=frontier`. At most the longest piece's length of nodes.
fn rebase(best: &mut [(f32, u32)], start: usize, frontier: usize, offset: f32) {
    best[start].0 -= offset;
    for node in &mut best[start + 1..=frontier.max(start)] {
        if node.1 != NO_EDGE {
            node.0 -= offset;
        }
    }
}

/// The exact (double-precision) best path over the edges of an `n`-byte text from 0,
/// pushed onto `path` as edge indices; returns the smallest best-to-second gap at the
/// offsets the path passes through and the largest score magnitude. A later edge replaces
/// the kept one only when strictly better, as in SentencePiece and HF.
pub fn best_f64(model: &impl LatticeModel, edges: &[WordEdge], n: usize, best: &mut Vec<(f64, f64, u32)>, path: &mut Vec<u32>) -> (f64, f64) {
    best.clear();
    best.resize(n + 1, (0.0, f64::NEG_INFINITY, NO_EDGE));
    let mut reach = 0.0f64;
    for (e, edge) in edges.iter().enumerate() {
        let candidate = model.score(edge.id) + best[edge.start as usize].0;
        reach = reach.max(candidate.abs());
        let node = &mut best[edge.end as usize];
        if node.2 == NO_EDGE {
            *node = (candidate, f64::NEG_INFINITY, e as u32);
        } else if candidate > node.0 {
            *node = (candidate, node.0, e as u32);
        } else if candidate > node.1 {
            node.1 = candidate;
        }
    }
    let first = path.len();
    let mut end = n;
    while end > 0 {
        let e = best[end].2;
        path.push(e);
        end = edges[e as usize].start as usize;
    }
    path[first..].reverse();
    // Only the choices at the nodes the path passes through decide it: elsewhere a near tie
    // changes which prefix a node keeps, not (beyond rounding) the score it passes on.
    let gap = path[first..].iter().map(|&e| best[edges[e as usize].end as usize]).map(|node| node.0 - node.1).fold(f64::INFINITY, f64::min);
    (gap, reach)
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
    use crate::sentencepiece::model::{Algorithm, Piece};

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
    fn scores_past_a_hundred_thousand_are_rebased_to_zero() {
        let m = model(&[("▁", -60_000.0)]);
        let text = "▁▁▁".as_bytes();
        let mut edges = Vec::new();
        build_lattice(&m, text, &mut edges);
        let (mut best, mut path) = (Vec::new(), Vec::new());
        // -60,000 at the second start, -120,000 at the third: rebased to 0 there, so the
        // end keeps -60,000, not -180,000.
        let end = best_running(&m, &edges, text.len(), 0.0, &mut best, &mut path);
        assert_eq!(end, -60_000.0);
        assert_eq!(path.len(), 3);
    }

    #[test]
    fn the_rebase_keeps_a_long_path_as_precise_as_a_short_one() {
        // After "▁a" the score is -265,270.625, where a float's step is 1/32: without the
        // rebase, 1+11 (-5.81) would round level with 1+1+1 (-5.79) and win as the first
        // offered. Rebased to 0, the better path wins, as in exact arithmetic.
        let m = model(&[("▁", -1000.5), ("a", -264_270.125), ("1", -1.93), ("11", -3.88)]);
        assert_eq!(segment(&m, "▁a111"), ["▁", "a", "1", "1", "1"]);
        assert_eq!(segment(&m, "▁a111▁a111▁a111"), ["▁", "a", "1", "1", "1"].repeat(3));
    }

    #[test]
    fn exact_ties_are_decided_by_single_precision_sums() {
        // 1 then 11 and 11 then 1 have the same exact sum. Summed in single precision after
        // "x", the two round to the same float and the first offered (1 then 11) stays;
        // after "a", 11 then 1 rounds higher and wins. sentencepiece gives both (with the
        // scores of its Japanese test model); double-precision sums give 1 then 11 twice.
        let m = model(&[("▁", -3.557_074_5), ("x", -10.727_911), ("a", -8.750_411), ("1", -6.264_790_5), ("11", -7.311_227_3)]);
        assert_eq!(segment(&m, "▁x111"), ["▁", "x", "1", "11"]);
        assert_eq!(segment(&m, "▁a111"), ["▁", "a", "11", "1"]);
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
        ViterbiEncoder::new().uncached(&m, text.as_bytes(), 0.0, 0, &mut whole);
        assert_eq!(cached, whole);
    }

    #[test]
    fn words_split_before_spaces_that_follow_other_characters() {
        let text = "▁▁ab▁c".as_bytes();
        assert_eq!(next_word(text, 0), 8);
        assert_eq!(next_word(text, 8), text.len());
    }
}
