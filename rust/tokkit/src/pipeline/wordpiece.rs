//! WordPiece (BERT): each word is cut greedily into the longest tokens of the vocabulary,
//! left to right, every token after the first spelled with `continuing_subword_prefix`
//! ("##"). A word with a part no token matches, or longer than `max_input_chars_per_word`
//! characters, becomes the single unknown token.
//!
//! Cost: at each position the candidates are tried longest first, but never longer than
//! the longest token, so a word of n bytes costs O(n · L) lookups for tokens of at most L
//! bytes.

use super::model::Vocab;
use crate::error::Result;

#[derive(Clone, Debug)]
pub struct WordPiece {
    vocab: Vocab,
    unk_token: String,
    unk_id: u32,
    prefix: String,
    max_input_chars_per_word: usize,
    /// The longest token, in bytes.
    longest: usize,
}

impl WordPiece {
    pub fn new(vocab: Vocab, unk_token: String, prefix: String, max_input_chars_per_word: usize) -> Result<WordPiece> {
        let unk_id = vocab.required(&unk_token, "unk_token")?;
        let longest = vocab.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
        Ok(WordPiece { vocab, unk_token, unk_id, prefix, max_input_chars_per_word, longest })
    }

    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    pub fn unk_token(&self) -> &str {
        &self.unk_token
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn max_input_chars_per_word(&self) -> usize {
        self.max_input_chars_per_word
    }

    /// Appends the ids of `word` (and its spans); `key` is scratch space.
    pub fn tokenize(&self, word: &str, key: &mut String, ids: &mut Vec<u32>, mut spans: Option<&mut Vec<(usize, usize)>>) {
        let (first_id, first_span) = (ids.len(), spans.as_ref().map_or(0, |s| s.len()));
        let mut start = 0;
        let fits = word.chars().nth(self.max_input_chars_per_word).is_none();
        while fits && start < word.len() {
            let mut end = word.len().min(start + self.longest);
            while !word.is_char_boundary(end) {
                end -= 1;
            }
            let mut hit = None;
            while end > start {
                key.clear();
                if start > 0 {
                    key.push_str(&self.prefix);
                }
                key.push_str(&word[start..end]);
                if let Some(id) = self.vocab.id(key) {
                    hit = Some(id);
                    break;
                }
                end -= word[..end].chars().next_back().map_or(1, char::len_utf8);
            }
            let Some(id) = hit else { break };
            ids.push(id);
            if let Some(spans) = spans.as_deref_mut() {
                spans.push((start, end));
            }
            start = end;
        }
        if !fits || start < word.len() {
            ids.truncate(first_id);
            ids.push(self.unk_id);
            if let Some(spans) = spans {
                spans.truncate(first_span);
                spans.push((0, word.len()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wordpiece() -> WordPiece {
        let tokens = ["[UNK]", "un", "##aff", "##able", "aff", "##a", "##b"];
        let vocab = Vocab::new(tokens.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32))).unwrap();
        WordPiece::new(vocab, "[UNK]".into(), "##".into(), 10).unwrap()
    }

    fn encode(wp: &WordPiece, word: &str) -> (Vec<u32>, Vec<(usize, usize)>) {
        let (mut ids, mut spans) = (Vec::new(), Vec::new());
        wp.tokenize(word, &mut String::new(), &mut ids, Some(&mut spans));
        (ids, spans)
    }

    #[test]
    fn longest_match_first_with_continuations() {
        let wp = wordpiece();
        assert_eq!(encode(&wp, "unaffable"), (vec![1, 2, 3], vec![(0, 2), (2, 5), (5, 9)]));
        assert_eq!(encode(&wp, "affab"), (vec![4, 5, 6], vec![(0, 3), (3, 4), (4, 5)]));
    }

    #[test]
    fn unmatched_or_too_long_words_are_unknown() {
        let wp = wordpiece();
        assert_eq!(encode(&wp, "unx"), (vec![0], vec![(0, 3)]));
        assert_eq!(encode(&wp, "unaffableab").0, vec![0]);
    }
}
