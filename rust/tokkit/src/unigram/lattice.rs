//! The lattice of a normalized text, and SentencePiece's Viterbi over it, to the bit.
//!
//! Nodes are byte offsets at character boundaries; an edge is a piece of the trie that
//! starts at one (UNUSED pieces excepted), plus an unknown-piece edge over a character no
//! one-character piece covers. Each edge keeps its best predecessor among the edges that
//! end where it starts and its best-path score, a float: SentencePiece takes
//! `predecessor score + own score` in single precision for each predecessor in the order
//! they were added (by start), and keeps the first of the highest. Rounding can make two
//! different predecessors tie, and then the earlier one wins, which is why this follows
//! the float arithmetic exactly rather than a mathematically equal one.
//!
//! Edges live in one vector with, per end offset, a linked list of the edges ending there
//! in the order they were added. Building and Viterbi cost O(n · longest piece).

use super::model::PieceModel;
use crate::normalize::lead_len;

pub const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub start: u32,
    pub end: u32,
    pub id: u32,
    pub score: f64,
    /// Best-path score up to and including this edge.
    pub best: f64,
    /// The best predecessor (NONE at the start of the text).
    pub prev: u32,
    /// The next edge ending at the same offset.
    next_in: u32,
}

#[derive(Default)]
pub struct Lattice {
    pub edges: Vec<Edge>,
    /// First and last edge ending at each byte offset.
    first_in: Vec<u32>,
    last_in: Vec<u32>,
    pub len: usize,
}

impl Lattice {
    /// Fills the lattice with the edges of `text`.
    pub fn build(&mut self, model: &PieceModel, text: &[u8]) {
        let n = text.len();
        self.len = n;
        self.edges.clear();
        self.first_in.clear();
        self.first_in.resize(n + 1, NONE);
        self.last_in.clear();
        self.last_in.resize(n + 1, NONE);
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
                let Some(score) = model.edge_score(id) else { continue };
                self.add(start, pos, id, score as f64);
                single |= pos - start == char_len;
            }
            if !single {
                self.add(start, start + char_len, model.unk_id(), model.unk_score() as f64);
            }
            start += char_len;
        }
    }

    fn add(&mut self, start: usize, end: usize, id: u32, score: f64) {
        let index = self.edges.len() as u32;
        self.edges.push(Edge { start: start as u32, end: end as u32, id, score, best: 0.0, prev: NONE, next_in: NONE });
        match self.last_in[end] {
            NONE => self.first_in[end] = index,
            last => self.edges[last as usize].next_in = index,
        }
        self.last_in[end] = index;
    }

    /// The edges ending at `offset`, in the order they were added.
    pub fn ending_at(&self, offset: usize) -> impl Iterator<Item = u32> + '_ {
        let mut next = self.first_in[offset];
        std::iter::from_fn(move || {
            let current = next;
            if current == NONE {
                return None;
            }
            next = self.edges[current as usize].next_in;
            Some(current)
        })
    }
}
