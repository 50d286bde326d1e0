//! WordPiece training as HF's WordPieceTrainer does it: BPE over the words' characters,
//! every character after a word's first spelled with the continuation mark ("##"), a merge
//! dropping the mark from its right part ("un" + "##able" → "unable"); the tokens BPE
//! learns are the WordPiece vocabulary, which then encodes greedily (longest match first).
//!
//! Words come from BERT's normalizer and pre-tokenizer. The merges are `bpe::train`'s:
//! most frequent pair first, ties on the pair's bytes, u64 counts.

use super::{added_specials, frequencies, reserved, too_small, Cutter};
use crate::bpe::train::{train as train_merges, MergeOptions};
use crate::corpus::counts::{empty_corpus, PreTokenCounts};
use crate::error::{Error, Result};
use crate::pipeline::decoders::Decoder;
use crate::pipeline::model::{Model, Vocab};
use crate::pipeline::normalizers::{BertNormalizer, Normalizer};
use crate::pipeline::pre_tokenizers::PreTokenizer;
use crate::pipeline::wordpiece::WordPiece;
use crate::pipeline::{Pipeline, Stages};
use rustc_hash::FxHashMap;

#[derive(Clone, Debug)]
pub struct WordPieceOptions {
    pub vocab_size: usize,
    pub min_frequency: u64,
    /// Reserved tokens, first in the vocabulary (BERT's `[PAD] [UNK] [CLS] [SEP] [MASK]`).
    pub special_tokens: Vec<String>,
    pub unk_token: String,
    pub continuing_subword_prefix: String,
    pub max_input_chars_per_word: usize,
}

/// BERT's normalizer and pre-tokenizer.
pub fn cutter(bert: BertNormalizer) -> Cutter {
    Cutter::Pipeline { normalizer: Some(Normalizer::Bert(bert)), pre_tokenizer: Some(PreTokenizer::Bert) }
}

/// Trains on the word counts `cutter` made; `progress` hears the number of merges.
pub fn train(cutter: &Cutter, counts: &PreTokenCounts, options: &WordPieceOptions, progress: &mut dyn FnMut(usize) -> Result<()>) -> Result<Pipeline> {
    let Cutter::Pipeline { normalizer, pre_tokenizer } = cutter.clone() else {
        unreachable!("words are cut by a pipeline")
    };
    if counts.is_empty() {
        return Err(empty_corpus());
    }
    if options.continuing_subword_prefix.is_empty() {
        return Err(Error::InvalidArgument("continuing_subword_prefix must not be empty (BERT uses \"##\")".into()));
    }
    let prefix = options.continuing_subword_prefix.as_str();
    let reserved = reserved(Some(&options.unk_token), &options.special_tokens);
    // The alphabet: every character as a word's first, and after the first with the mark;
    // each group by frequency, ties by the character.
    let firsts = frequencies(counts, |word| word.char_indices().take(1).map(|(i, c)| &word[i..i + c.len_utf8()]).collect());
    let laters = frequencies(counts, |word| word.char_indices().skip(1).map(|(i, c)| &word[i..i + c.len_utf8()]).collect());
    let mut alphabet: Vec<String> = reserved.clone();
    alphabet.extend(firsts.iter().map(|&(c, _)| c.to_string()));
    alphabet.extend(laters.iter().map(|&(c, _)| format!("{prefix}{c}")));
    let mut seen = std::collections::HashSet::new();
    alphabet.retain(|t| seen.insert(t.clone()));
    if options.vocab_size < alphabet.len() {
        return Err(too_small(options.vocab_size, alphabet.len(), "the special tokens and the corpus's characters", "raise vocab_size"));
    }
    let id_of: FxHashMap<&str, u32> = alphabet.iter().enumerate().map(|(i, t)| (t.as_str(), i as u32)).collect();
    let mut symbols = String::new();
    let words: Vec<(Vec<u32>, u64)> = counts
        .sorted()
        .into_iter()
        .map(|(word, count)| {
            let ids = word
                .chars()
                .enumerate()
                .map(|(k, c)| {
                    symbols.clear();
                    if k > 0 {
                        symbols.push_str(prefix);
                    }
                    symbols.push(c);
                    id_of[symbols.as_str()]
                })
                .collect();
            (ids, count)
        })
        .collect();
    let merge_options = MergeOptions {
        vocab_size: options.vocab_size,
        min_frequency: options.min_frequency,
        max_token_length: None,
        special_tokens: 0,
        continuing_subword_prefix: Some(prefix.as_bytes().to_vec()),
    };
    let tokens: Vec<Vec<u8>> = alphabet.iter().map(|t| t.as_bytes().to_vec()).collect();
    let trained = train_merges(tokens, words.into_iter(), &merge_options, progress)?;
    let entries = trained.tokens.into_iter().enumerate().map(|(id, t)| (String::from_utf8(t).expect("joined characters"), id as u32));
    let model = WordPiece::new(Vocab::new(entries)?, options.unk_token.clone(), prefix.to_string(), options.max_input_chars_per_word)?;
    Pipeline::new(Stages {
        normalizer,
        pre_tokenizer,
        model: Model::WordPiece(model),
        post_processor: None,
        decoder: Some(Decoder::WordPiece { prefix: prefix.to_string(), cleanup: true }),
        added_tokens: added_specials(&reserved),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Detail;
    use crate::special::SpecialSet;

    #[test]
    fn learns_words_and_continuations() {
        let cutter = cutter(BertNormalizer { clean_text: true, handle_chinese_chars: true, strip_accents: None, lowercase: true });
        let mut counts = PreTokenCounts::new();
        counts.add_documents_with(&|t, p| cutter.cut(t, p), &["unable unaffable able Able untie tie"; 5]).unwrap();
        let options = WordPieceOptions {
            vocab_size: 40,
            min_frequency: 2,
            special_tokens: vec!["[PAD]".into(), "[UNK]".into()],
            unk_token: "[UNK]".into(),
            continuing_subword_prefix: "##".into(),
            max_input_chars_per_word: 100,
        };
        let model = train(&cutter, &counts, &options, &mut |_| Ok(())).unwrap();
        let e = model.encode("Unable x", None, &SpecialSet::All, &SpecialSet::none(), true, Detail::Tokens).unwrap();
        assert_eq!(e.tokens.last().unwrap(), "[UNK]");
        assert!(e.tokens.iter().skip(1).take_while(|t| *t != "[UNK]").all(|t| t.starts_with("##")));
        assert_eq!(model.decode(&e.ids, true).unwrap(), "unable");
    }
}
