//! Training a Unigram language model (Kudo 2018) as SentencePiece does: seed with the
//! characters and the most frequent substrings (`seed.rs`), then repeat
//! - EM sub-iterations: the E-step runs forward-backward over each distinct word's lattice
//!   and adds up the expected count of every piece; the M-step drops pieces expected fewer
//!   than 0.5 times and sets each score to digamma(count) − digamma(total), the Bayesian
//!   (variational Dirichlet) update, a sparse prior that favours frequent pieces;
//! - pruning: each piece's loss is how much the corpus likelihood falls if its Viterbi
//!   occurrences are re-segmented into its best alternative; the pieces with the smallest
//!   loss go, keeping `shrinking_factor` of them, never a piece without alternative;
//!
//! until at most 1.1 × vocab_size pieces remain; then keep the best-scoring ones (and
//! every covered character).
//!
//! Data: the distinct words with u64 counts (`sentences.rs`), in sorted order; one trie of
//! all seeds, built once, with a score per seed (−∞ once a seed is gone). Each E-step or
//! Viterbi pass costs O(total characters of distinct words × longest piece).
//!
//! Determinism: the E-step runs over words in parallel, and each expected count is added
//! in fixed point (u64, 2^-32 units), so the sums are exact and do not depend on the order
//! of the work or on the thread count; Viterbi counts are u64. Ties in sorting break on
//! the piece text.
//!
//! Forward-backward works in probabilities, not logarithms, for words of up to
//! `LINEAR_CHARS` characters: each edge's probability is scaled by e^(SCALE · its length),
//! which multiplies every path of a word by the same factor and keeps short words' sums
//! far from underflow, and saves an exp and a log per edge. Longer words use log space.

use super::model::{byte_piece, Algorithm, Piece, UNK_PENALTY};
use super::seed::{covered_chars, seed_pieces, PieceRules, UNKNOWN_CHAR};
use super::tokenizer::SentencePiece;
use crate::corpus::counts::{empty_corpus, PreTokenCounts};
use crate::double_array::DoubleArray;
use crate::error::{Error, Result};
use crate::formats::sentencepiece::{NormalizerSpec, PieceType, TrainerSpec};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

const FIXED_ONE: f64 = 4294967296.0;
const LINEAR_CHARS: usize = 24;
const SCALE: f64 = 4.0;
/// Pieces expected fewer times than this are dropped by the M-step.
const MIN_EXPECTED: f64 = 0.5;
const SEED_PIECES: usize = 1_000_000;
/// The meta pieces every model starts with.
const META: [(&str, PieceType); 3] = [("<unk>", PieceType::Unknown), ("<s>", PieceType::Control), ("</s>", PieceType::Control)];

#[derive(Clone, Debug)]
pub struct UnigramOptions {
    /// Pieces in the final vocabulary: meta pieces, byte pieces and special tokens included.
    pub vocab_size: usize,
    pub character_coverage: f64,
    pub max_piece_length: usize,
    pub split_digits: bool,
    pub byte_fallback: bool,
    /// Control pieces after `<unk>`, `<s>`, `</s>`.
    pub special_tokens: Vec<String>,
    pub shrinking_factor: f64,
    pub num_sub_iterations: usize,
}

/// Progress: the stage ("seeding", "EM round 3", "pruning 3", ...), work done, work in all.
pub type Progress<'a> = dyn FnMut(&str, u64, u64) -> Result<()> + 'a;

/// The model being trained: every seed, its score (−∞ once gone), a trie of all seeds.
struct SeedModel {
    pieces: Vec<String>,
    scores: Vec<f64>,
    /// e^(score + SCALE · length in characters), for linear-space forward-backward.
    scaled: Vec<f64>,
    lengths: Vec<u32>,
    trie: DoubleArray,
    unk_score: f64,
}

impl SeedModel {
    fn new(seeds: Vec<(String, f64)>) -> Result<SeedModel> {
        let total: f64 = seeds.iter().map(|s| s.1).sum();
        let pieces: Vec<String> = seeds.iter().map(|s| s.0.clone()).collect();
        let keys: Vec<(&[u8], u32)> = pieces.iter().enumerate().map(|(i, p)| (p.as_bytes(), i as u32)).collect();
        let trie = DoubleArray::build(&keys)?;
        let lengths = pieces.iter().map(|p| p.chars().count() as u32).collect();
        let mut model = SeedModel { pieces, scores: Vec::new(), scaled: Vec::new(), lengths, trie, unk_score: 0.0 };
        model.set_scores(seeds.iter().map(|s| (s.1 / total).ln()).collect());
        Ok(model)
    }

    fn set_scores(&mut self, scores: Vec<f64>) {
        let min = scores.iter().copied().filter(|s| s.is_finite()).fold(f64::INFINITY, f64::min);
        self.unk_score = min - UNK_PENALTY as f64;
        self.scaled = scores.iter().zip(&self.lengths).map(|(&s, &len)| (s + SCALE * len as f64).exp()).collect();
        self.scores = scores;
    }

    fn alive(&self) -> usize {
        self.scores.iter().filter(|s| s.is_finite()).count()
    }

    /// The edges of a word's lattice as (start, end, piece, UNKNOWN for an unknown character), by start;
    /// offsets count characters. `skip` is a piece left out.
    fn lattice(&self, word: &[u8], skip: u32, edges: &mut Vec<(u32, u32, u32)>) -> usize {
        edges.clear();
        let (mut start, mut chars) = (0, 0u32);
        while start < word.len() {
            let char_len = crate::sentencepiece::normalizer::lead_len(word[start]).min(word.len() - start);
            let mut single = false;
            let mut cursor = self.trie.root();
            let (mut pos, mut end_char) = (start, chars);
            while pos < word.len() && self.trie.step(&mut cursor, word[pos]) {
                pos += 1;
                if word.get(pos).is_none_or(|&b| b & 0xC0 != 0x80) {
                    end_char += 1;
                }
                let Some(id) = self.trie.value(&cursor) else { continue };
                if id == skip || !self.scores[id as usize].is_finite() {
                    continue;
                }
                edges.push((chars, end_char, id));
                single |= pos - start == char_len;
            }
            if !single {
                edges.push((chars, chars + 1, UNKNOWN));
            }
            start += char_len;
            chars += 1;
        }
        chars as usize
    }

    fn score(&self, id: u32) -> f64 {
        if id == UNKNOWN {
            self.unk_score
        } else {
            self.scores[id as usize]
        }
    }

    /// The best path through a lattice (edges by start, `n` characters), as edge indices.
    fn viterbi(&self, edges: &[(u32, u32, u32)], n: usize, best: &mut Vec<(f64, u32)>, path: &mut Vec<u32>) {
        best.clear();
        best.resize(n + 1, (f64::NEG_INFINITY, NO_EDGE));
        best[0].0 = 0.0;
        for (e, &(s, t, id)) in edges.iter().enumerate() {
            let candidate = best[s as usize].0 + self.score(id);
            if candidate > best[t as usize].0 {
                best[t as usize] = (candidate, e as u32);
            }
        }
        path.clear();
        let mut at = n;
        while at > 0 {
            let e = best[at].1;
            if e == NO_EDGE {
                path.clear();
                return;
            }
            path.push(e);
            at = edges[e as usize].0 as usize;
        }
        path.reverse();
    }
}

/// The piece of an edge over an unknown character.
const UNKNOWN: u32 = u32::MAX;
/// No edge: a node no edge reaches.
const NO_EDGE: u32 = u32::MAX;

/// Per-thread scratch space.
#[derive(Default)]
struct EmScratch {
    edges: Vec<(u32, u32, u32)>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    best: Vec<(f64, u32)>,
    path: Vec<u32>,
}

/// Adds `count` × the posterior of each edge of `word` to `expected` (fixed point);
/// returns count × log-likelihood of the word.
fn forward_backward(model: &SeedModel, word: &[u8], count: u64, scratch: &mut EmScratch, expected: &mut [u64]) -> f64 {
    let n = model.lattice(word, UNKNOWN, &mut scratch.edges);
    let edges = &scratch.edges;
    let (alpha, beta) = (&mut scratch.alpha, &mut scratch.beta);
    let weight = count as f64;
    if n <= LINEAR_CHARS {
        let unk = (model.unk_score + SCALE).exp();
        let p = |id: u32| if id == UNKNOWN { unk } else { model.scaled[id as usize] };
        alpha.clear();
        alpha.resize(n + 1, 0.0);
        beta.clear();
        beta.resize(n + 1, 0.0);
        alpha[0] = 1.0;
        beta[n] = 1.0;
        for &(s, t, id) in edges.iter() {
            alpha[t as usize] += alpha[s as usize] * p(id);
        }
        for &(s, t, id) in edges.iter().rev() {
            beta[s as usize] += p(id) * beta[t as usize];
        }
        let z = alpha[n];
        if z > 0.0 && z.is_finite() {
            for &(s, t, id) in edges.iter() {
                if id != UNKNOWN {
                    let posterior = alpha[s as usize] * p(id) * beta[t as usize] / z;
                    expected[id as usize] += (weight * posterior * FIXED_ONE) as u64;
                }
            }
            return weight * (z.ln() - SCALE * n as f64);
        }
    }
    // Log space: long words (or a linear sum out of range).
    let log_add = |a: f64, b: f64| {
        if a == f64::NEG_INFINITY {
            b
        } else if b == f64::NEG_INFINITY {
            a
        } else {
            a.max(b) + (-(a - b).abs()).exp().ln_1p()
        }
    };
    alpha.clear();
    alpha.resize(n + 1, f64::NEG_INFINITY);
    beta.clear();
    beta.resize(n + 1, f64::NEG_INFINITY);
    alpha[0] = 0.0;
    beta[n] = 0.0;
    for &(s, t, id) in edges.iter() {
        alpha[t as usize] = log_add(alpha[t as usize], alpha[s as usize] + model.score(id));
    }
    for &(s, t, id) in edges.iter().rev() {
        beta[s as usize] = log_add(beta[s as usize], model.score(id) + beta[t as usize]);
    }
    let z = alpha[n];
    for &(s, t, id) in edges.iter() {
        if id != UNKNOWN {
            let posterior = (alpha[s as usize] + model.score(id) + beta[t as usize] - z).exp();
            expected[id as usize] += (weight * posterior * FIXED_ONE) as u64;
        }
    }
    weight * z
}

/// Splits `0..len` into as many ranges as there are threads (at least one).
fn ranges(len: usize) -> Vec<std::ops::Range<usize>> {
    let parts = rayon::current_num_threads().max(1) * 2;
    let step = len.div_ceil(parts).max(1);
    (0..len).step_by(step).map(|s| s..(s + step).min(len)).collect()
}

/// The E-step: expected piece counts (fixed point) and the corpus log-likelihood.
fn e_step(model: &SeedModel, words: &[(Vec<u8>, u64)]) -> (Vec<u64>, f64) {
    let parts: Vec<(Vec<u64>, f64)> = ranges(words.len())
        .into_par_iter()
        .map(|range| {
            let mut expected = vec![0u64; model.pieces.len()];
            let mut scratch = EmScratch::default();
            let mut likelihood = 0.0;
            for (word, count) in &words[range] {
                likelihood += forward_backward(model, word, *count, &mut scratch, &mut expected);
            }
            (expected, likelihood)
        })
        .collect();
    let mut total = vec![0u64; model.pieces.len()];
    let mut likelihood = 0.0;
    for (expected, l) in parts {
        for (t, e) in total.iter_mut().zip(expected) {
            *t += e;
        }
        likelihood += l;
    }
    (total, likelihood)
}

/// ψ(x), the digamma function: the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then
/// the asymptotic series ln x − 1/2x − Σ B₂ₖ / 2k x²ᵏ.
pub fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let inv2 = 1.0 / (x * x);
    result + x.ln() - 0.5 / x - inv2 * (1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 / 132.0))))
}

/// The M-step: new scores from expected counts (Bayesian EM); −∞ for dropped pieces.
fn m_step(model: &SeedModel, expected: &[u64]) -> Vec<f64> {
    let counts: Vec<f64> = expected.iter().map(|&e| e as f64 / FIXED_ONE).collect();
    let kept = |i: usize| model.scores[i].is_finite() && counts[i] >= MIN_EXPECTED;
    let total: f64 = (0..counts.len()).filter(|&i| kept(i)).map(|i| counts[i]).sum();
    let log_total = digamma(total);
    (0..counts.len()).map(|i| if kept(i) { digamma(counts[i]) - log_total } else { f64::NEG_INFINITY }).collect()
}

/// What replaces a piece that pruning removes.
enum Alternative {
    /// Nothing: the piece is gone already, or its best segmentation is not itself.
    Gone,
    /// It has no other segmentation (a character): it stays.
    None,
    /// Its best segmentation without itself.
    Pieces(Vec<u32>),
}

/// Pruning: keeps the `keep` pieces whose removal would cost the most likelihood (and
/// every piece without an alternative segmentation); returns the new scores.
fn prune(model: &SeedModel, words: &[(Vec<u8>, u64)], keep: usize) -> Vec<f64> {
    let n_pieces = model.pieces.len();
    // Each piece's best segmentation without itself: its alternative. A piece whose own
    // best segmentation is not itself can go at no cost; a character has no alternative.
    let alternatives: Vec<Alternative> = (0..n_pieces)
        .into_par_iter()
        .map_init(EmScratch::default, |scratch, i| {
            if !model.scores[i].is_finite() {
                return Alternative::Gone;
            }
            if model.lengths[i] == 1 {
                return Alternative::None;
            }
            let word = model.pieces[i].as_bytes();
            let n = model.lattice(word, UNKNOWN, &mut scratch.edges);
            model.viterbi(&scratch.edges, n, &mut scratch.best, &mut scratch.path);
            if scratch.path.len() >= 2 {
                return Alternative::Gone;
            }
            let n = model.lattice(word, i as u32, &mut scratch.edges);
            model.viterbi(&scratch.edges, n, &mut scratch.best, &mut scratch.path);
            Alternative::Pieces(scratch.path.iter().map(|&e| scratch.edges[e as usize].2).collect())
        })
        .collect();
    // Viterbi counts of every piece over the corpus (u64, order-free sums).
    let parts: Vec<Vec<u64>> = ranges(words.len())
        .into_par_iter()
        .map(|range| {
            let mut freq = vec![0u64; n_pieces];
            let mut scratch = EmScratch::default();
            for (word, count) in &words[range] {
                let n = model.lattice(word, UNKNOWN, &mut scratch.edges);
                model.viterbi(&scratch.edges, n, &mut scratch.best, &mut scratch.path);
                for &e in &scratch.path {
                    let id = scratch.edges[e as usize].2;
                    if id != UNKNOWN {
                        freq[id as usize] += count;
                    }
                }
            }
            freq
        })
        .collect();
    let mut freq = vec![0u64; n_pieces];
    for part in parts {
        for (f, p) in freq.iter_mut().zip(part) {
            *f += p;
        }
    }
    let total_words: u64 = words.iter().map(|w| w.1).sum();
    let sum: f64 = freq.iter().map(|&f| f as f64).sum();
    let log_sum = sum.ln();
    let mut kept: Vec<usize> = Vec::new();
    let mut candidates: Vec<(f64, usize)> = Vec::new();
    for i in 0..n_pieces {
        let f = freq[i] as f64;
        match &alternatives[i] {
            Alternative::Gone => {}
            _ if f == 0.0 => {}
            Alternative::None => kept.push(i),
            Alternative::Pieces(alt) => {
                let share = f / total_words as f64;
                let log_piece = f.ln() - log_sum;
                let log_sum_alt = (sum + f * (alt.len() as f64 - 1.0)).ln();
                let log_alt: f64 = alt
                    .iter()
                    .map(|&a| if a == UNKNOWN { model.unk_score } else { (freq[a as usize] as f64 + f).ln() - log_sum_alt })
                    .sum();
                candidates.push((share * (log_piece - log_alt), i));
            }
        }
    }
    candidates.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| model.pieces[a.1].cmp(&model.pieces[b.1])));
    for (_, i) in candidates {
        if kept.len() >= keep {
            break;
        }
        kept.push(i);
    }
    let mut scores = vec![f64::NEG_INFINITY; n_pieces];
    for i in kept {
        scores[i] = model.scores[i];
    }
    scores
}

/// Trains a Unigram model on word counts (from `sentences::count_documents` or
/// `count_files`).
pub fn train(counts: &PreTokenCounts, options: &UnigramOptions, progress: &mut Progress) -> Result<SentencePiece> {
    check(options)?;
    if counts.is_empty() {
        return Err(empty_corpus());
    }
    let sorted = counts.sorted();
    let chars = covered_chars(&sorted, options.character_coverage);
    let covered: FxHashSet<char> = chars.iter().map(|c| c.0).collect();
    let fixed = META.len() + options.special_tokens.len() + if options.byte_fallback { 256 } else { 0 };
    if options.vocab_size < fixed + chars.len() {
        return Err(Error::InvalidArgument(format!(
            "vocab_size {} is too small: it must hold the {fixed} meta, special and byte pieces and the {} \
             characters that character_coverage={} keeps; raise vocab_size to at least {} or lower \
             character_coverage",
            options.vocab_size,
            chars.len(),
            options.character_coverage,
            fixed + chars.len()
        )));
    }
    // Words with characters outside the coverage spelled as the unknown character.
    let mut merged: FxHashMap<Vec<char>, u64> = FxHashMap::default();
    for &(word, count) in &sorted {
        let spelled: Vec<char> = word.chars().map(|c| if covered.contains(&c) { c } else { UNKNOWN_CHAR }).collect();
        *merged.entry(spelled).or_insert(0) += count;
    }
    let mut char_words: Vec<(Vec<char>, u64)> = merged.into_iter().collect();
    char_words.sort_unstable();
    progress("seeding", 0, 1)?;
    let rules = PieceRules { max_piece_length: options.max_piece_length, split_digits: options.split_digits };
    let seeds = seed_pieces(&char_words, &chars, &rules, SEED_PIECES);
    progress("seeding", 1, 1)?;
    let words: Vec<(Vec<u8>, u64)> =
        char_words.into_iter().map(|(w, c)| (w.into_iter().collect::<String>().into_bytes(), c)).collect();
    let mut model = SeedModel::new(seeds)?;
    let target = options.vocab_size - fixed;
    let desired = (target as f64 * 1.1) as usize;
    for round in 1.. {
        let stage = format!("EM round {round}");
        for iteration in 0..options.num_sub_iterations {
            progress(&stage, iteration as u64, options.num_sub_iterations as u64)?;
            let (expected, _likelihood) = e_step(&model, &words);
            model.set_scores(m_step(&model, &expected));
        }
        progress(&stage, options.num_sub_iterations as u64, options.num_sub_iterations as u64)?;
        let alive = model.alive();
        if round == 1 {
            // Seeds start with the characters, which the final vocabulary always holds.
            let chars_gone = (0..chars.len()).filter(|&i| !model.scores[i].is_finite()).count();
            too_large(options.vocab_size, alive + chars_gone + fixed)?;
        }
        if alive <= desired {
            break;
        }
        progress(&format!("pruning {round}"), 0, 1)?;
        let keep = desired.max((options.shrinking_factor * alive as f64) as usize);
        model.set_scores(prune(&model, &words, keep));
        progress(&format!("pruning {round}"), 1, 1)?;
    }
    finish(&model, &chars, options, target)
}

fn too_large(vocab_size: usize, possible: usize) -> Result<()> {
    if possible >= vocab_size {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "vocab_size {vocab_size} is too large for this corpus: the largest vocabulary it supports with \
         these options is {possible}; lower vocab_size to at most {possible}, or train on more text"
    )))
}

fn check(options: &UnigramOptions) -> Result<()> {
    let bad = |what: String| Err(Error::InvalidArgument(what));
    if !(options.character_coverage > 0.0 && options.character_coverage <= 1.0) {
        return bad(format!("character_coverage must be in (0, 1], not {}", options.character_coverage));
    }
    if options.max_piece_length == 0 {
        return bad("max_piece_length must be at least 1".into());
    }
    if !(options.shrinking_factor > 0.0 && options.shrinking_factor < 1.0) {
        return bad(format!("shrinking_factor must be in (0, 1), not {}", options.shrinking_factor));
    }
    if options.num_sub_iterations == 0 {
        return bad("num_sub_iterations must be at least 1".into());
    }
    Ok(())
}

/// The final vocabulary: meta pieces, specials, byte pieces, then every covered character
/// and the best-scoring pieces up to `target`, by score.
fn finish(model: &SeedModel, chars: &[(char, u64)], options: &UnigramOptions, target: usize) -> Result<SentencePiece> {
    let scores: FxHashMap<&str, f64> = model
        .pieces
        .iter()
        .zip(&model.scores)
        .filter(|(_, s)| s.is_finite())
        .map(|(p, &s)| (p.as_str(), s))
        .collect();
    let min_score = scores.values().copied().fold(f64::INFINITY, f64::min);
    let mut chosen: FxHashMap<String, f64> = FxHashMap::default();
    let mut penalty = 0.0;
    for (c, _) in chars {
        let text = c.to_string();
        let score = match scores.get(text.as_str()) {
            Some(&s) => s,
            None => {
                penalty += 1e-4;
                min_score - penalty
            }
        };
        chosen.insert(text, score);
    }
    let mut ranked: Vec<(&str, f64)> = scores.iter().map(|(&p, &s)| (p, s)).collect();
    ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    for (piece, score) in ranked {
        if chosen.len() >= target {
            break;
        }
        chosen.entry(piece.to_string()).or_insert(score);
    }
    let mut ordered: Vec<(String, f64)> = chosen.into_iter().collect();
    ordered.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut pieces: Vec<Piece> = META.iter().map(|&(t, kind)| Piece { text: t.into(), score: 0.0, kind }).collect();
    pieces.extend(options.special_tokens.iter().map(|t| Piece { text: t.clone(), score: 0.0, kind: PieceType::Control }));
    if options.byte_fallback {
        pieces.extend((0..=255u8).map(|b| Piece { text: byte_piece(b), score: 0.0, kind: PieceType::Byte }));
    }
    let taken: FxHashSet<String> = pieces.iter().map(|p| p.text.clone()).collect();
    pieces.extend(
        ordered
            .into_iter()
            .filter(|(p, _)| !taken.contains(p))
            .map(|(text, score)| Piece { text, score: score as f32, kind: PieceType::Normal }),
    );
    too_large(options.vocab_size, pieces.len())?;
    let normalizer = NormalizerSpec {
        name: Some("identity".into()),
        precompiled_charsmap: None,
        add_dummy_prefix: Some(true),
        remove_extra_whitespaces: Some(true),
        escape_whitespaces: Some(true),
        normalization_rule_tsv: None,
    };
    let trainer = TrainerSpec {
        character_coverage: Some(options.character_coverage as f32),
        max_sentencepiece_length: Some(options.max_piece_length as i32),
        split_digits: Some(options.split_digits),
        byte_fallback: Some(options.byte_fallback),
        shrinking_factor: Some(options.shrinking_factor as f32),
        num_sub_iterations: Some(options.num_sub_iterations as i32),
        control_symbols: options.special_tokens.clone(),
        ..Default::default()
    };
    SentencePiece::new(Algorithm::Unigram, pieces, normalizer, trainer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentencepiece::normalizer::SpmNormalizer;
    use crate::special::SpecialSet;
    use crate::sentencepiece::sentences::count_documents;

    fn options(vocab_size: usize) -> UnigramOptions {
        UnigramOptions {
            vocab_size,
            character_coverage: 1.0,
            max_piece_length: 16,
            split_digits: false,
            byte_fallback: false,
            special_tokens: Vec::new(),
            shrinking_factor: 0.75,
            num_sub_iterations: 2,
        }
    }

    fn corpus() -> PreTokenCounts {
        let text = "the cat sat on the mat\nthe dog sat on the log\nthe cat and the dog\n".repeat(20);
        let mut counts = PreTokenCounts::new();
        count_documents(&SpmNormalizer::identity(), &[text], &mut counts);
        counts
    }

    #[test]
    fn digamma_matches_known_values() {
        assert!((digamma(1.0) + 0.5772156649015329).abs() < 1e-12);
        assert!((digamma(0.5) + 1.9635100260214235).abs() < 1e-12);
        assert!((digamma(100.0) - 4.600161852738087).abs() < 1e-12);
    }

    #[test]
    fn trains_a_vocabulary_of_the_requested_size() {
        let sp = train(&corpus(), &options(20), &mut |_, _, _| Ok(())).unwrap();
        assert_eq!(sp.id_bound(), 20);
        let ids = sp.encode("the cat sat", &SpecialSet::none(), &SpecialSet::none()).unwrap();
        assert_eq!(sp.decode_bytes(&ids).unwrap(), b"the cat sat");
        assert!(sp.model().id_of("▁the").is_some());
    }

    #[test]
    fn too_large_a_vocabulary_names_the_largest_possible() {
        let err = train(&corpus(), &options(5000), &mut |_, _, _| Ok(())).unwrap_err();
        assert!(err.to_string().contains("too large for this corpus"), "{err}");
    }

    #[test]
    fn no_text_is_an_error() {
        assert!(train(&PreTokenCounts::new(), &options(40), &mut |_, _, _| Ok(())).is_err());
    }
}
