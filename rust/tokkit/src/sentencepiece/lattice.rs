//! The whole lattice of a normalized text, for what needs more than the best path: the k
//! best segmentations and subword-regularization sampling (Kudo 2018, section 3).
//!
//! Nodes are byte offsets at character boundaries; edges are pieces (and unknown-piece
//! edges), as in `viterbi.rs`, kept in order of start with per-end linked lists. Scores are
//! double precision here: these are not SentencePiece's exact outputs (its sampling draws
//! from its own random generator), but the same distributions.
//!
//! - `nbest`: A* from the end of the text back to its start. A partial path is a suffix
//!   of a segmentation; its priority is its score plus the best score of any prefix that
//!   completes it (forward Viterbi), an exact heuristic, so complete paths come out best
//!   first. Ties keep the order partial paths were made in. O(k · n · d · log) for k paths,
//!   n offsets, d edges per offset.
//! - `sample`: forward filtering (log-sum-exp of `alpha · score` over paths), then a walk
//!   back from the end choosing each edge with its posterior probability: one draw from
//!   P(segmentation)^alpha / Z exactly, in O(edges).

use super::model::{user_defined_score, PieceModel};
use crate::formats::sentencepiece::PieceType;
use crate::sentencepiece::normalizer::lead_len;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const END_OF_LIST: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub struct LatticeEdge {
    pub start: u32,
    pub end: u32,
    pub id: u32,
    pub score: f64,
    /// The next edge ending at the same offset.
    next_in: u32,
}

#[derive(Default)]
pub struct Lattice {
    pub edges: Vec<LatticeEdge>,
    /// The first edge ending at each byte offset.
    first_in: Vec<u32>,
    len: usize,
}

/// A small, fast, seedable generator (SplitMix64), so a seed gives the same draws
/// everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    a.max(b) + (-(a - b).abs()).exp().ln_1p()
}

/// A partial path of the n-best search: its first edge, the rest (END_OF_LIST at the end), its
/// score and its priority.
#[derive(Clone, Copy)]
struct Partial {
    edge: u32,
    rest: u32,
    score: f64,
}

#[derive(PartialEq)]
struct Queued {
    priority: f64,
    order: u32,
    partial: u32,
}

impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority.total_cmp(&other.priority).then_with(|| other.order.cmp(&self.order))
    }
}

impl Lattice {
    /// The lattice of `text` (normalized).
    pub fn new(model: &PieceModel, text: &[u8]) -> Lattice {
        let n = text.len();
        let mut lattice = Lattice { edges: Vec::new(), first_in: vec![END_OF_LIST; n + 1], len: n };
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
                let Some(mut score) = model.edge_score(id) else { continue };
                if model.kind(id) == PieceType::UserDefined {
                    // The lattice counts a user-defined piece's length in characters.
                    score = user_defined_score(char_count(&text[start..pos]));
                }
                lattice.add(start, pos, id, score as f64);
                single |= pos - start == char_len;
            }
            if !single {
                lattice.add(start, start + char_len, model.unk_id(), model.unk_score() as f64);
            }
            start += char_len;
        }
        lattice
    }

    fn add(&mut self, start: usize, end: usize, id: u32, score: f64) {
        let index = self.edges.len() as u32;
        self.edges.push(LatticeEdge { start: start as u32, end: end as u32, id, score, next_in: self.first_in[end] });
        self.first_in[end] = index;
    }

    fn ending_at(&self, offset: usize) -> impl Iterator<Item = u32> + '_ {
        let mut next = self.first_in[offset];
        std::iter::from_fn(move || {
            let current = next;
            if current == END_OF_LIST {
                return None;
            }
            next = self.edges[current as usize].next_in;
            Some(current)
        })
    }

    /// Forward scores with `combine` (max for Viterbi, log-add for sums) of `theta · score`.
    fn forward(&self, theta: f64, combine: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        let mut forward = vec![f64::NEG_INFINITY; self.len + 1];
        forward[0] = 0.0;
        for edge in &self.edges {
            let through = forward[edge.start as usize] + theta * edge.score;
            forward[edge.end as usize] = combine(forward[edge.end as usize], through);
        }
        forward
    }

    /// Up to `k` best segmentations, best first: (edges in order, score).
    pub fn nbest(&self, k: usize) -> Vec<(Vec<u32>, f64)> {
        if self.len == 0 {
            return vec![(Vec::new(), 0.0)];
        }
        let best_prefix = self.forward(1.0, f64::max);
        let mut partials: Vec<Partial> = Vec::new();
        let mut queue = BinaryHeap::new();
        let push = |partials: &mut Vec<Partial>, queue: &mut BinaryHeap<Queued>, edge: u32, rest: u32, rest_score: f64| {
            let e = self.edges[edge as usize];
            let score = rest_score + e.score;
            let priority = score + best_prefix[e.start as usize];
            if priority == f64::NEG_INFINITY {
                return;
            }
            let order = partials.len() as u32;
            partials.push(Partial { edge, rest, score });
            queue.push(Queued { priority, order, partial: order });
        };
        for edge in self.ending_at(self.len).collect::<Vec<_>>().into_iter().rev() {
            push(&mut partials, &mut queue, edge, END_OF_LIST, 0.0);
        }
        let mut out = Vec::new();
        while let Some(top) = queue.pop() {
            let partial = partials[top.partial as usize];
            let start = self.edges[partial.edge as usize].start as usize;
            if start == 0 {
                let mut path = Vec::new();
                let mut at = top.partial;
                while at != END_OF_LIST {
                    path.push(partials[at as usize].edge);
                    at = partials[at as usize].rest;
                }
                out.push((path, partial.score));
                if out.len() == k {
                    break;
                }
                continue;
            }
            for edge in self.ending_at(start).collect::<Vec<_>>().into_iter().rev() {
                push(&mut partials, &mut queue, edge, top.partial, partial.score);
            }
        }
        out
    }

    /// One segmentation drawn with probability proportional to P(segmentation)^theta.
    pub fn sample(&self, theta: f64, rng: &mut Rng) -> Vec<u32> {
        let forward = self.forward(theta, log_add);
        let mut path = Vec::new();
        let mut at = self.len;
        while at > 0 {
            let mut draw = rng.uniform();
            let mut chosen = END_OF_LIST;
            for edge in self.ending_at(at).collect::<Vec<_>>().into_iter().rev() {
                let e = self.edges[edge as usize];
                let p = (forward[e.start as usize] + theta * e.score - forward[at]).exp();
                chosen = edge;
                if draw < p {
                    break;
                }
                draw -= p;
            }
            path.push(chosen);
            at = self.edges[chosen as usize].start as usize;
        }
        path.reverse();
        path
    }
}

/// The number of characters in UTF-8 `bytes`: the bytes that do not continue a character.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::sentencepiece::PieceType;
    use crate::sentencepiece::model::{Algorithm, Piece};

    fn model() -> PieceModel {
        let pieces = [("<unk>", 0.0, PieceType::Unknown), ("a", -1.0, PieceType::Normal), ("b", -2.0, PieceType::Normal),
            ("ab", -2.5, PieceType::Normal), ("ba", -4.0, PieceType::Normal), ("aba", -3.5, PieceType::Normal)];
        PieceModel::new(Algorithm::Unigram, pieces.iter().map(|&(t, s, k)| Piece { text: t.into(), score: s, kind: k }).collect(), false)
            .unwrap()
    }

    fn texts(lattice: &Lattice, text: &str, path: &[u32]) -> Vec<String> {
        path.iter().map(|&e| text[lattice.edges[e as usize].start as usize..lattice.edges[e as usize].end as usize].to_string()).collect()
    }

    #[test]
    fn nbest_lists_every_segmentation_best_first() {
        let m = model();
        let lattice = Lattice::new(&m, b"aba");
        let all = lattice.nbest(10);
        let found: Vec<(Vec<String>, f64)> = all.iter().map(|(p, s)| (texts(&lattice, "aba", p), *s)).collect();
        assert_eq!(found.len(), 4);
        assert_eq!(found[0], (vec!["aba".to_string()], -3.5));
        assert_eq!(found[1], (vec!["ab".to_string(), "a".to_string()], -3.5));
        let scores: Vec<f64> = found.iter().map(|f| f.1).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(found[3].1, -5.0);
    }

    #[test]
    fn samples_follow_the_posterior() {
        let m = model();
        let lattice = Lattice::new(&m, b"ab");
        let mut rng = Rng::new(7);
        let draws = 20_000;
        let whole = (0..draws).filter(|_| lattice.sample(1.0, &mut rng).len() == 1).count();
        // P(ab) = e^-2.5 / (e^-2.5 + e^-3) = 0.6225.
        let p = whole as f64 / draws as f64;
        assert!((p - 0.6225).abs() < 0.02, "{p}");
        let first = Lattice::new(&m, b"abab").sample(0.5, &mut Rng::new(3));
        assert_eq!(first, Lattice::new(&m, b"abab").sample(0.5, &mut Rng::new(3)));
    }
}
