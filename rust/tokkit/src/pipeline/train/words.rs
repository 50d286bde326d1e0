//! The word model: the `vocab_size` most frequent words are tokens, everything else the
//! unknown token — the classic baseline whose out-of-vocabulary rate a comparison shows.
//!
//! Words are cut at whitespace and punctuation (HF's Whitespace pre-tokenizer, `\w+|[^\w\s]+`)
//! or are the matches of a regex, after optional NFKC and lowercasing. Saved as HF's
//! WordLevel model with those stages. Training is one count of the words, then a sort.

use super::{added_specials, reserved, too_small, Cutter};
use crate::corpus::counts::{empty_corpus, PreTokenCounts};
use crate::error::Result;
use crate::pipeline::model::{Model, Vocab};
use crate::pipeline::normalized::UnicodeForm;
use crate::pipeline::normalizers::Normalizer;
use crate::pipeline::pattern::Pattern;
use crate::pipeline::pre_tokenizers::{Behavior, PreTokenizer};
use crate::pipeline::word_level::WordLevel;
use crate::pipeline::{Pipeline, Stages};

#[derive(Clone, Debug)]
pub struct WordOptions {
    pub vocab_size: usize,
    pub special_tokens: Vec<String>,
}

pub const UNK: &str = "<unk>";

/// The normalizer and pre-tokenizer of a word model.
pub fn cutter(lowercase: bool, nfkc: bool, pattern: Option<&str>) -> Result<Cutter> {
    let mut steps = Vec::new();
    if nfkc {
        steps.push(Normalizer::Unicode(UnicodeForm::Nfkc));
    }
    if lowercase {
        steps.push(Normalizer::Lowercase);
    }
    let normalizer = match steps.len() {
        0 => None,
        1 => steps.pop(),
        _ => Some(Normalizer::Sequence(steps)),
    };
    let pre_tokenizer = match pattern {
        // The pattern's matches are the words; the text between them is dropped.
        Some(p) => PreTokenizer::Split { pattern: Pattern::regex(p)?, behavior: Behavior::Removed, invert: true },
        None => PreTokenizer::Whitespace,
    };
    Ok(Cutter::Pipeline { normalizer, pre_tokenizer: Some(pre_tokenizer) })
}

/// Builds the model from the word counts `cutter` made: the unknown token and the
/// special tokens, then the words by count (ties in the words' order).
pub fn train(cutter: &Cutter, counts: &PreTokenCounts, options: &WordOptions) -> Result<Pipeline> {
    let Cutter::Pipeline { normalizer, pre_tokenizer } = cutter.clone() else {
        unreachable!("words are cut by a pipeline")
    };
    if counts.is_empty() {
        return Err(empty_corpus());
    }
    let mut tokens = reserved(Some(UNK), &options.special_tokens);
    if options.vocab_size <= tokens.len() {
        return Err(too_small(options.vocab_size, tokens.len() + 1, "the unknown token, the special tokens and one word", "raise vocab_size"));
    }
    let specials = added_specials(&tokens);
    let mut words = counts.sorted();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (word, _) in words {
        if tokens.len() == options.vocab_size {
            break;
        }
        if !tokens.iter().any(|t| t == word) {
            tokens.push(word.to_string());
        }
    }
    let vocab = Vocab::new(tokens.into_iter().enumerate().map(|(id, t)| (t, id as u32)))?;
    Pipeline::new(Stages {
        normalizer,
        pre_tokenizer,
        model: Model::WordLevel(WordLevel::new(vocab, UNK.into())),
        post_processor: None,
        decoder: None,
        added_tokens: specials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Detail;
    use crate::special::SpecialSet;

    #[test]
    fn most_frequent_words_are_tokens_and_the_rest_unknown() {
        let cutter = cutter(true, true, None).unwrap();
        let mut counts = PreTokenCounts::new();
        counts.add_documents_with(&|t, p| cutter.cut(t, p), &["The cat, the hat; the CAT!", "ﬁne"]).unwrap();
        let model = train(&cutter, &counts, &WordOptions { vocab_size: 4, special_tokens: vec![] }).unwrap();
        // <unk> 0, "the" 1, "cat" 2, then the first of the words seen once: "!".
        let ids = model.encode("THE cat sat!", None, &SpecialSet::All, &SpecialSet::none(), true, Detail::Ids).unwrap().ids;
        assert_eq!(ids, [1, 2, 0, 3]);
    }
}
