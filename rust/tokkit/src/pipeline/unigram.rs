//! HF's Unigram model: the most likely segmentation of a piece under a unigram language
//! model, with HF's rules, which differ from SentencePiece's (`unigram::PieceModel`):
//!
//! - Every entry of the vocabulary is a piece the lattice may use, special ones too (a
//!   literal `<unk>` or `<0x41>` in the text is that piece), scored in double precision
//!   as the file gives it; path scores are double-precision sums from 0 for each piece.
//! - A character no one-character entry covers gets an edge scored (lowest score − 10).
//!   Without an unknown token, HF fails where such an edge is the best way to the end of
//!   its character (whether or not the best path goes there), and ignores it elsewhere.
//! - Consecutive tokens of the unknown id (unknown characters and the literal unknown
//!   token alike) are fused into one. A fused run takes the id of its text if that is in
//!   the vocabulary, else, with byte fallback, one `<0xXX>` token per byte (all with the
//!   span of the run) if all of them exist, else the unknown id. HF spells an unknown token
//!   as the text it stands for, not as the unknown token.
//!
//! The lattice and best path are `unigram::encode`'s (`build_lattice`, `best_f64`): offered
//! by start, then length, a later edge winning only when strictly better. O(n · longest
//! entry) per piece; pieces of up to 1 KiB are cached by the pipeline's word cache.

use super::model::{ModelScratch, Vocab};
use crate::double_array::DoubleArray;
use crate::error::{Error, Result};
use crate::sentencepiece::viterbi::{best_f64, build_lattice, WordEdge, LatticeModel};
use crate::sentencepiece::model::byte_piece;

/// The id the lattice gives an edge over an unknown character (never a vocabulary id),
/// told apart from a match of the unknown token's own text, which scores as an entry.
const UNKNOWN_EDGE: u32 = u32::MAX;
/// What HF takes off the lowest score to score an unknown character.
const UNK_PENALTY: f64 = 10.0;
const NO_ID: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct Unigram {
    vocab: Vocab,
    scores: Vec<f64>,
    trie: DoubleArray,
    unk_id: Option<u32>,
    unk_score: f64,
    byte_fallback: bool,
    /// The id of each byte's `<0xXX>` entry, `NO_ID` where there is none.
    byte_ids: Box<[u32; 256]>,
}

/// Per-call space for the lattice of one piece.
#[derive(Default)]
pub struct LatticeScratch {
    edges: Vec<WordEdge>,
    best: Vec<(f64, f64, u32)>,
    path: Vec<u32>,
    ends: Vec<u32>,
}

impl LatticeScratch {
    /// Lets go of buffers a very long piece grew.
    pub fn trim(&mut self, keep: usize) {
        if self.edges.capacity() > keep || self.best.capacity() > keep {
            *self = LatticeScratch::default();
        }
    }
}

impl LatticeModel for Unigram {
    #[inline(always)]
    fn trie(&self) -> &DoubleArray {
        &self.trie
    }

    #[inline(always)]
    fn usable(&self, _id: u32) -> bool {
        true
    }

    #[inline(always)]
    fn unknown_edge(&self) -> u32 {
        UNKNOWN_EDGE
    }

    #[inline(always)]
    fn score(&self, id: u32) -> f64 {
        if id == UNKNOWN_EDGE {
            self.unk_score
        } else {
            self.scores[id as usize]
        }
    }
}

impl Unigram {
    /// A model from its entries in id order, the id of its unknown token, and whether it
    /// falls back to byte tokens.
    pub fn new(entries: Vec<(String, f64)>, unk_id: Option<u32>, byte_fallback: bool) -> Result<Unigram> {
        if let Some(unk) = unk_id {
            if unk as usize >= entries.len() {
                return Err(Error::BadVocabulary(format!(
                    "the Unigram model's unk_id is {unk}, but it has only {} entries; give the id of its unknown token",
                    entries.len()
                )));
            }
        }
        let scores: Vec<f64> = entries.iter().map(|(_, score)| *score).collect();
        let min_score = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let keys: Vec<(&[u8], u32)> = entries.iter().enumerate().map(|(id, (piece, _))| (piece.as_bytes(), id as u32)).collect();
        let trie = DoubleArray::build(&keys)?;
        let vocab = Vocab::new(entries.into_iter().enumerate().map(|(id, (piece, _))| (piece, id as u32)))?;
        let mut byte_ids = Box::new([NO_ID; 256]);
        for (byte, slot) in byte_ids.iter_mut().enumerate() {
            *slot = vocab.id(&byte_piece(byte as u8)).unwrap_or(NO_ID);
        }
        Ok(Unigram { vocab, scores, trie, unk_id, unk_score: min_score - UNK_PENALTY, byte_fallback, byte_ids })
    }

    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    pub fn unk_id(&self) -> Option<u32> {
        self.unk_id
    }

    pub fn byte_fallback(&self) -> bool {
        self.byte_fallback
    }

    /// (entry, score) in id order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, f64)> {
        self.vocab.iter().map(|(piece, id)| (piece, self.scores[id as usize]))
    }

    /// The unknown token, if the model has one.
    pub fn unk_token(&self) -> Option<&str> {
        self.unk_id.and_then(|id| self.vocab.token(id))
    }

    /// Appends the ids of `piece` to `ids` and, if asked, each token's span in the piece.
    pub fn tokenize(&self, piece: &str, scratch: &mut ModelScratch, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) -> Result<()> {
        let first = ids.len();
        if let Some((cached, ends)) = scratch.cache.get(piece.as_bytes()) {
            ids.extend_from_slice(cached);
            push_spans(ends, spans);
            return Ok(());
        }
        let lattice = &mut scratch.lattice;
        lattice.ends.clear();
        self.segment(piece, lattice, ids)?;
        scratch.cache.put(piece.as_bytes(), &ids[first..], &lattice.ends);
        push_spans(&lattice.ends, spans);
        Ok(())
    }

    /// Segments `piece`: its ids onto `ids`, the end of each token's span onto `lattice.ends`.
    fn segment(&self, piece: &str, lattice: &mut LatticeScratch, ids: &mut Vec<u32>) -> Result<()> {
        let text = piece.as_bytes();
        lattice.edges.clear();
        build_lattice(self, text, &mut lattice.edges);
        lattice.path.clear();
        best_f64(self, &lattice.edges, text.len(), &mut lattice.best, &mut lattice.path);
        if self.unk_id.is_none() {
            // Each offset's best edge (none mid-character).
            let mut best_edges = lattice.best.iter().filter_map(|&(_, _, e)| lattice.edges.get(e as usize));
            if best_edges.any(|edge| edge.id == UNKNOWN_EDGE) {
                return Err(Error::InvalidArgument(format!(
                    "the Unigram model has no unknown token, and cannot segment {piece:?} without one; \
                     give the model an unk_id"
                )));
            }
        }
        let is_unk = |id: u32| id == UNKNOWN_EDGE || Some(id) == self.unk_id;
        let mut k = 0;
        while k < lattice.path.len() {
            let edge = lattice.edges[lattice.path[k] as usize];
            k += 1;
            if !is_unk(edge.id) {
                ids.push(edge.id);
                lattice.ends.push(edge.end);
                continue;
            }
            let start = edge.start as usize;
            let mut end = edge.end as usize;
            while k < lattice.path.len() && is_unk(lattice.edges[lattice.path[k] as usize].id) {
                end = lattice.edges[lattice.path[k] as usize].end as usize;
                k += 1;
            }
            self.push_unknown(&piece[start..end], ids, &mut lattice.ends, end as u32);
        }
        Ok(())
    }

    /// The tokens of a fused run of unknown tokens.
    fn push_unknown(&self, run: &str, ids: &mut Vec<u32>, ends: &mut Vec<u32>, end: u32) {
        if let Some(id) = self.vocab.id(run) {
            ids.push(id);
            ends.push(end);
            return;
        }
        if self.byte_fallback && run.bytes().all(|b| self.byte_ids[b as usize] != NO_ID) {
            ids.extend(run.bytes().map(|b| self.byte_ids[b as usize]));
            ends.extend(std::iter::repeat_n(end, run.len()));
            return;
        }
        ids.push(self.unk_id.expect("checked after the best path"));
        ends.push(end);
    }
}

/// Spans from the end of each token's span: a token starts where the last token ending
/// before it ends (byte-fallback tokens of one run share their span).
fn push_spans(ends: &[u32], spans: Option<&mut Vec<(usize, usize)>>) {
    let Some(spans) = spans else { return };
    let (mut start, mut last_end) = (0, 0);
    for &end in ends {
        let end = end as usize;
        if end != last_end {
            start = last_end;
            last_end = end;
        }
        spans.push((start, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(entries: &[(&str, f64)], unk_id: Option<u32>, byte_fallback: bool) -> Unigram {
        Unigram::new(entries.iter().map(|&(p, s)| (p.to_string(), s)).collect(), unk_id, byte_fallback).unwrap()
    }

    fn run(model: &Unigram, text: &str) -> (Vec<u32>, Vec<(usize, usize)>) {
        let (mut ids, mut spans) = (Vec::new(), Vec::new());
        model.tokenize(text, &mut ModelScratch::default(), &mut ids, Some(&mut spans)).unwrap();
        (ids, spans)
    }

    #[test]
    fn picks_the_most_likely_segmentation_in_double_precision() {
        // ▁a + b scores −3.0, ▁ab −3.5, ▁ + ab −6.0.
        let m = model(&[("<unk>", 0.0), ("▁", -3.0), ("a", -2.0), ("b", -2.0), ("ab", -3.0), ("▁ab", -3.5), ("▁a", -1.0)], Some(0), false);
        assert_eq!(run(&m, "▁ab"), (vec![6, 3], vec![(0, 4), (4, 5)]));
        // Scores that differ below single precision still decide.
        let close = model(&[("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("ab", -2.000000000001)], Some(0), false);
        assert_eq!(run(&close, "ab").0, vec![1, 2]);
    }

    #[test]
    fn ties_keep_the_first_path_found() {
        let m = model(&[("<unk>", 0.0), (".", -2.0), ("..", -4.0)], Some(0), false);
        // "." + "." and ".." tie at −4: the edge offered first (".." from 0) stays.
        assert_eq!(run(&m, "..").0, vec![2]);
    }

    #[test]
    fn unknown_characters_fuse_and_are_scored_below_every_entry() {
        let m = model(&[("<unk>", 0.0), ("a", -1.0), ("b", -2.0)], Some(0), false);
        // 漢 and 字 have no one-character entry: each is an unknown edge (−12), and fused.
        let (ids, spans) = run(&m, "a漢字a");
        assert_eq!(ids, vec![1, 0, 1]);
        assert_eq!(spans, vec![(0, 1), (1, 7), (7, 8)]);
    }

    #[test]
    fn the_unknown_tokens_own_text_fuses_with_unknown_characters() {
        let m = model(&[("<unk>", 0.0), ("a", -1.0), ("<", -1.0)], Some(0), false);
        // "<unk>" matches its entry (score 0), then 漢 is unknown: one fused token.
        assert_eq!(run(&m, "a<unk>漢").0, vec![1, 0]);
        assert_eq!(run(&m, "a<unk>漢").1, vec![(0, 1), (1, 9)]);
    }

    #[test]
    fn byte_fallback_spells_an_unknown_run_in_bytes_sharing_its_span() {
        let mut entries = vec![("<unk>".to_string(), 0.0), ("a".to_string(), -1.0)];
        entries.extend((0..=255u8).map(|b| (byte_piece(b), -5.0)));
        let m = Unigram::new(entries, Some(0), true).unwrap();
        let (ids, spans) = run(&m, "aé");
        assert_eq!(ids, vec![1, 2 + 0xC3, 2 + 0xA9]);
        assert_eq!(spans, vec![(0, 1), (1, 3), (1, 3)]);
        // Cached, the spans come back the same.
        let mut scratch = ModelScratch::default();
        for _ in 0..2 {
            let (mut ids, mut spans) = (Vec::new(), Vec::new());
            m.tokenize("aé", &mut scratch, &mut ids, Some(&mut spans)).unwrap();
            assert_eq!(spans, vec![(0, 1), (1, 3), (1, 3)]);
        }
    }

    #[test]
    fn without_an_unknown_token_an_unknown_edge_that_would_win_is_an_error() {
        let m = model(&[("▁", -2.0), ("a", -3.0), ("ab", -4.0), ("cc", -5.0)], None, false);
        // "b" has no entry of its own, but "ab" reaches the end of it first and better.
        assert_eq!(run(&m, "▁ab").0, vec![0, 2]);
        // Nothing reaches the offset between the two "c" before the unknown edge does,
        // although the best path ("cc") passes it by.
        assert!(m.tokenize("▁cc", &mut ModelScratch::default(), &mut Vec::new(), None).is_err());
    }

    #[test]
    fn a_long_run_of_one_character_stays_linear() {
        let m = model(&[("<unk>", 0.0), ("a", -3.0), ("aa", -4.0), ("aaaa", -5.0)], Some(0), false);
        let text = "a".repeat(1 << 20);
        let (ids, _) = run(&m, &text);
        assert_eq!(ids, vec![3; 1 << 18]);
    }
}
