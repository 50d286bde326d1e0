//! WordLevel: each piece is a token of the vocabulary, or the unknown token. The word
//! model of `train/words.rs` is one of these; its pieces come from the pre-tokenizer.

use super::model::Vocab;
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct WordLevel {
    vocab: Vocab,
    unk_token: String,
    unk_id: Option<u32>,
}

impl WordLevel {
    pub fn new(vocab: Vocab, unk_token: String) -> WordLevel {
        let unk_id = vocab.id(&unk_token);
        WordLevel { vocab, unk_token, unk_id }
    }

    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    pub fn unk_token(&self) -> &str {
        &self.unk_token
    }

    pub fn tokenize(&self, word: &str, ids: &mut Vec<u32>, spans: Option<&mut Vec<(usize, usize)>>) -> Result<()> {
        let id = match self.vocab.id(word) {
            Some(id) => id,
            None => self.unk_id.ok_or_else(|| {
                Error::BadVocabulary(format!(
                    "{word:?} is not in the vocabulary and the unknown token {:?} is not either; add it to the vocabulary",
                    self.unk_token
                ))
            })?,
        };
        ids.push(id);
        if let Some(spans) = spans {
            spans.push((0, word.len()));
        }
        Ok(())
    }
}
