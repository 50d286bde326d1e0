//! The character model: every character (or, with `graphemes`, every extended grapheme
//! cluster) that is frequent enough is a token; the rarest, beyond
//! `character_coverage` of the corpus, become their UTF-8 bytes as `<0xXX>` tokens
//! (`byte_fallback`) or the unknown token.
//!
//! Saved as HF can run it: a BPE model with no merges, whose initial parts are exactly
//! the characters with their byte fallback; for clusters, a `\X` Split pre-tokenizer and
//! `ignore_merges`, so a cluster in the vocabulary is taken whole (and one that is not
//! falls back to its characters). Training is one count of the units: linear in the corpus.

use super::{added_specials, check_coverage, covered, frequencies, reserved, Cutter};
use crate::corpus::counts::{empty_corpus, PreTokenCounts};
use crate::error::Result;
use crate::pipeline::bpe::{byte_token, Bpe, BpeOptions};
use crate::pipeline::decoders::Decoder;
use crate::pipeline::model::{Model, Vocab};
use crate::pipeline::pattern::Pattern;
use crate::pipeline::pre_tokenizers::{Behavior, PreTokenizer};
use crate::pipeline::{Pipeline, Stages};

#[derive(Clone, Debug)]
pub struct CharOptions {
    pub special_tokens: Vec<String>,
    pub byte_fallback: bool,
    pub character_coverage: f64,
    pub graphemes: bool,
}

pub const UNK: &str = "<unk>";

/// What the character trainer counts: characters or clusters.
pub fn cutter(graphemes: bool) -> Cutter {
    if graphemes { Cutter::Graphemes } else { Cutter::Chars }
}

/// Builds the model from the counts of characters (or clusters) `cutter` made.
pub fn train(counts: &PreTokenCounts, options: &CharOptions) -> Result<Pipeline> {
    check_coverage(options.character_coverage)?;
    if counts.is_empty() {
        return Err(empty_corpus());
    }
    let units = frequencies(counts, |unit| vec![unit]);
    let keep = covered(&units, options.character_coverage);
    let unk = (!options.byte_fallback).then_some(UNK);
    let mut tokens = reserved(unk, &options.special_tokens);
    let specials = added_specials(&tokens);
    if options.byte_fallback {
        tokens.extend((0..=255u8).map(byte_token));
    }
    for &(unit, _) in &units[..keep] {
        if !tokens.iter().any(|t| t == unit) {
            tokens.push(unit.to_string());
        }
    }
    let vocab = Vocab::new(tokens.into_iter().enumerate().map(|(id, t)| (t, id as u32)))?;
    let bpe_options = BpeOptions {
        unk_token: unk.map(str::to_string),
        byte_fallback: options.byte_fallback,
        ignore_merges: options.graphemes,
        ..BpeOptions::default()
    };
    let pre_tokenizer = options
        .graphemes
        .then(|| Ok::<_, crate::Error>(PreTokenizer::Split { pattern: Pattern::regex(r"\X")?, behavior: Behavior::Isolated, invert: false }))
        .transpose()?;
    let decoder = if options.byte_fallback { Decoder::Sequence(vec![Decoder::ByteFallback, Decoder::Fuse]) } else { Decoder::Fuse };
    Pipeline::new(Stages {
        normalizer: None,
        pre_tokenizer,
        model: Model::Bpe(Box::new(Bpe::new(vocab, Vec::new(), bpe_options)?)),
        post_processor: None,
        decoder: Some(decoder),
        added_tokens: specials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Detail;
    use crate::special::SpecialSet;

    fn counts(text: &str, graphemes: bool) -> PreTokenCounts {
        let mut counts = PreTokenCounts::new();
        counts.add_documents_with(&|t, p| cutter(graphemes).cut(t, p), &[text]).unwrap();
        counts
    }

    fn encode(p: &Pipeline, text: &str) -> Vec<u32> {
        p.encode(text, None, &SpecialSet::All, &SpecialSet::none(), true, Detail::Ids).unwrap().ids
    }

    #[test]
    fn frequent_characters_are_tokens_and_rare_ones_bytes() {
        let options = CharOptions { special_tokens: vec![], byte_fallback: true, character_coverage: 0.9, graphemes: false };
        let model = train(&counts(&"aaaaaaaaab".repeat(10), false), &options).unwrap();
        // 256 byte tokens, then "a"; "b" (10%) is left to bytes.
        assert_eq!(encode(&model, "ab"), [256, b'b' as u32]);
        assert_eq!(model.decode(&encode(&model, "abé"), false).unwrap(), "abé");
    }

    #[test]
    fn clusters_are_taken_whole() {
        let options = CharOptions { special_tokens: vec!["<s>".into()], byte_fallback: false, character_coverage: 1.0, graphemes: true };
        let model = train(&counts("e\u{301}e\u{301}x", true), &options).unwrap();
        // <unk> 0, <s> 1, then "é" (twice), then "x".
        assert_eq!(encode(&model, "e\u{301}x<s>y"), [2, 3, 1, 0]);
    }
}
