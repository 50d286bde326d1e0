//! BPE over characters in SentencePiece's manner, so that both families of BPE can be
//! compared: spaces become "▁" and the text starts with one, words are the runs that
//! start at a "▁" (newlines stand alone), merges never cross words, and characters
//! outside the vocabulary become `<0xXX>` byte tokens (`byte_fallback`) or `<unk>`.
//!
//! Saved like Phi-3's tokenizer.json: Prepend and Replace normalizers, a Split
//! pre-tokenizer that cuts the words, BPE with byte fallback and fused unknown tokens,
//! and the decoder Replace + ByteFallback + Fuse + Strip.
//!
//! The alphabet is every character of the corpus, or the most frequent that cover
//! `character_coverage` of it; a word is cut at a character outside it (that character
//! becomes byte tokens, which no merge joins). Merges are `bpe::train`'s.

use super::{added_specials, check_coverage, covered, frequencies, reserved, too_small, Cutter};
use crate::bpe::train::{train as train_merges, MergeOptions};
use crate::corpus::counts::{empty_corpus, PreTokenCounts};
use crate::error::Result;
use crate::pipeline::bpe::{byte_token, Bpe, BpeOptions};
use crate::pipeline::decoders::Decoder;
use crate::pipeline::model::{Model, Vocab};
use crate::pipeline::normalizers::Normalizer;
use crate::pipeline::pattern::Pattern;
use crate::pipeline::pre_tokenizers::{Behavior, PreTokenizer};
use crate::pipeline::{Pipeline, Stages};
use rustc_hash::FxHashMap;

pub const SPACE: &str = "▁";
pub const UNK: &str = "<unk>";
/// A word: a "▁" and what follows up to the next "▁" or newline; text before the first
/// "▁"; a newline.
pub const WORDS: &str = r"▁[^▁\n]*|[^▁\n]+|\n";

#[derive(Clone, Debug)]
pub struct CharBpeOptions {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub max_token_length: Option<usize>,
    pub special_tokens: Vec<String>,
    pub byte_fallback: bool,
    pub character_coverage: f64,
}

/// The normalizer and pre-tokenizer of a SentencePiece-style BPE.
pub fn cutter() -> Result<Cutter> {
    let normalizer = Normalizer::Sequence(vec![
        Normalizer::Prepend(SPACE.into()),
        Normalizer::Replace { pattern: Pattern::Literal(" ".into()), content: SPACE.into() },
    ]);
    let pre_tokenizer = PreTokenizer::Split { pattern: Pattern::regex(WORDS)?, behavior: Behavior::Isolated, invert: false };
    Ok(Cutter::Pipeline { normalizer: Some(normalizer), pre_tokenizer: Some(pre_tokenizer) })
}

/// Trains on the word counts `cutter` made; `progress` hears the number of merges.
pub fn train(counts: &PreTokenCounts, options: &CharBpeOptions, progress: &mut dyn FnMut(usize) -> Result<()>) -> Result<Pipeline> {
    check_coverage(options.character_coverage)?;
    if counts.is_empty() {
        return Err(empty_corpus());
    }
    let chars = frequencies(counts, |word| word.char_indices().map(|(i, c)| &word[i..i + c.len_utf8()]).collect());
    let keep = covered(&chars, options.character_coverage);
    let reserved = reserved(Some(UNK), &options.special_tokens);
    let mut alphabet = reserved.clone();
    if options.byte_fallback {
        alphabet.extend((0..=255u8).map(byte_token));
    }
    let first_char = alphabet.len();
    for &(c, _) in &chars[..keep] {
        if !alphabet[..first_char].iter().any(|t| t == c) {
            alphabet.push(c.to_string());
        }
    }
    if options.vocab_size < alphabet.len() {
        return Err(too_small(
            options.vocab_size,
            alphabet.len(),
            "the reserved tokens and the characters kept",
            "raise vocab_size, or lower character_coverage to leave rare characters to byte fallback",
        ));
    }
    let id_of: FxHashMap<&str, u32> = alphabet.iter().enumerate().skip(first_char).map(|(i, t)| (t.as_str(), i as u32)).collect();
    // Each word, cut at the characters outside the alphabet.
    let mut words: Vec<(Vec<u32>, u64)> = Vec::new();
    for (word, count) in counts.sorted() {
        let mut run = Vec::new();
        for (i, c) in word.char_indices() {
            match id_of.get(&word[i..i + c.len_utf8()]) {
                Some(&id) => run.push(id),
                None if run.is_empty() => {}
                None => words.push((std::mem::take(&mut run), count)),
            }
        }
        if !run.is_empty() {
            words.push((run, count));
        }
    }
    let merge_options = MergeOptions {
        vocab_size: options.vocab_size,
        min_frequency: options.min_frequency,
        max_token_length: options.max_token_length,
        special_tokens: 0,
        continuing_subword_prefix: None,
    };
    let tokens: Vec<Vec<u8>> = alphabet.iter().map(|t| t.as_bytes().to_vec()).collect();
    let trained = train_merges(tokens, words.into_iter(), &merge_options, progress)?;
    let entries = trained.tokens.into_iter().enumerate().map(|(id, t)| (String::from_utf8(t).expect("joined characters"), id as u32));
    let model = Bpe::new(
        Vocab::new(entries)?,
        trained.merges,
        BpeOptions { unk_token: Some(UNK.into()), fuse_unk: true, byte_fallback: options.byte_fallback, ..BpeOptions::default() },
    )?;
    let mut decoders = vec![Decoder::Replace { pattern: Pattern::Literal(SPACE.into()), content: " ".into() }];
    if options.byte_fallback {
        decoders.push(Decoder::ByteFallback);
    }
    decoders.extend([Decoder::Fuse, Decoder::Strip { content: ' ', start: 1, stop: 0 }]);
    let Cutter::Pipeline { normalizer, pre_tokenizer } = cutter()? else { unreachable!("a pipeline") };
    Pipeline::new(Stages {
        normalizer,
        pre_tokenizer,
        model: Model::Bpe(Box::new(model)),
        post_processor: None,
        decoder: Some(Decoder::Sequence(decoders)),
        added_tokens: added_specials(&reserved),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Detail;
    use crate::special::SpecialSet;

    fn trained(text: &str, options: &CharBpeOptions) -> Pipeline {
        let cutter = cutter().unwrap();
        let mut counts = PreTokenCounts::new();
        counts.add_documents_with(&|t, p| cutter.cut(t, p), &[text]).unwrap();
        train(&counts, options, &mut |_| Ok(())).unwrap()
    }

    fn options(vocab_size: usize, byte_fallback: bool) -> CharBpeOptions {
        CharBpeOptions { vocab_size, min_frequency: 2, max_token_length: None, special_tokens: vec![], byte_fallback, character_coverage: 1.0 }
    }

    #[test]
    fn words_start_with_the_space_mark_and_merges_stay_inside_words() {
        let model = trained(&"low lower lowest\n".repeat(20), &options(40, false));
        let e = model.encode("low lowest", None, &SpecialSet::All, &SpecialSet::none(), true, Detail::Tokens).unwrap();
        assert_eq!(e.tokens, ["▁low", "▁lowest"]);
        assert!((0..model.id_bound()).filter_map(|id| model.id_to_token(id)).all(|t| !t.chars().skip(1).any(|c| c == '▁')));
    }

    #[test]
    fn unseen_characters_fall_back_to_bytes_or_unknown() {
        let with_bytes = trained(&"ab ab ab".repeat(5), &options(300, true));
        let text = "ab é";
        let ids = with_bytes.encode(text, None, &SpecialSet::All, &SpecialSet::none(), true, Detail::Ids).unwrap().ids;
        assert_eq!(with_bytes.decode(&ids, false).unwrap(), text);
        let with_unk = trained(&"ab ab ab".repeat(5), &options(30, false));
        let e = with_unk.encode("ab éé", None, &SpecialSet::All, &SpecialSet::none(), true, Detail::Tokens).unwrap();
        assert_eq!(e.tokens.last().unwrap(), "<unk>");
    }
}
