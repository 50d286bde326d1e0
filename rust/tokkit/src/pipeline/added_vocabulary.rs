//! Added tokens: tokens matched in the text before the model sees it (`[CLS]`, `<mask>`,
//! `<|endoftext|>`, or ordinary words a user added), with HF's rules:
//!
//! - tokens with `normalized: false` are matched in the original text; the rest of the
//!   text is then normalized, and tokens with `normalized: true` are matched in that
//!   (against their own normalized form);
//! - matching is leftmost-longest over all tokens at once (Aho-Corasick);
//! - `single_word` tokens match only where no word character touches them;
//! - `lstrip`/`rstrip` tokens swallow the whitespace on their left/right.
//!
//! Special tokens (`special: true`) are the ones tiktoken's rules apply to: a call can say
//! which are `allowed` (matched as tokens; the rest are plain text) and which are
//! `disallowed` (an error if present). HF's own behaviour is "all allowed". Ordinary added
//! tokens are always matched. Cost: one Aho-Corasick pass per text (and per normalized
//! segment), linear in the text.

use super::normalizers::Normalizer;
use crate::error::{Error, Result};
use crate::special::SpecialSet;
use aho_corasick::{AhoCorasick, MatchKind};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedToken {
    pub id: u32,
    pub content: String,
    pub single_word: bool,
    pub lstrip: bool,
    pub rstrip: bool,
    pub normalized: bool,
    pub special: bool,
}

impl AddedToken {
    /// A special token as tokkit's trainers add them: matched as written, nothing stripped.
    pub fn special(content: &str, id: u32) -> AddedToken {
        AddedToken { id, content: content.into(), single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }
    }
}

/// Tokens to look for, in one text: the tokens and an automaton over their contents.
#[derive(Clone, Debug, Default)]
struct Matcher {
    automaton: Option<AhoCorasick>,
    /// Pattern index → index into `AddedVocabulary::tokens`.
    tokens: Vec<usize>,
}

impl Matcher {
    fn new(patterns: Vec<(String, usize)>) -> Matcher {
        if patterns.is_empty() {
            return Matcher::default();
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(p, _)| p.as_str()))
            .expect("literal patterns always build");
        Matcher { automaton: Some(automaton), tokens: patterns.into_iter().map(|(_, t)| t).collect() }
    }
}

/// A part of a text after added tokens are found: an added token (its index), or text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Token(usize),
    Text,
}

#[derive(Clone, Debug, Default)]
pub struct AddedVocabulary {
    tokens: Vec<AddedToken>,
    by_content: FxHashMap<String, usize>,
    by_id: FxHashMap<u32, usize>,
    /// Each token's content as it is matched (normalized when `normalized`).
    patterns: Vec<String>,
    raw: Matcher,
    normalized: Matcher,
}

impl AddedVocabulary {
    /// The tokens (in file order); the normalizer gives the form `normalized` tokens are
    /// matched in.
    pub fn new(tokens: Vec<AddedToken>, normalizer: Option<&Normalizer>) -> Result<AddedVocabulary> {
        let mut by_content = FxHashMap::default();
        let mut by_id = FxHashMap::default();
        let mut patterns = Vec::with_capacity(tokens.len());
        for (i, token) in tokens.iter().enumerate() {
            if token.content.is_empty() {
                return Err(Error::BadVocabulary(format!("added token {} has empty content", token.id)));
            }
            if by_content.insert(token.content.clone(), i).is_some() {
                return Err(Error::BadVocabulary(format!("the added token {:?} is given twice", token.content)));
            }
            if by_id.insert(token.id, i).is_some() {
                return Err(Error::BadVocabulary(format!("two added tokens have id {}", token.id)));
            }
            patterns.push(match (token.normalized, normalizer) {
                (true, Some(n)) => n.apply(&token.content)?,
                _ => token.content.clone(),
            });
        }
        let mut vocabulary = AddedVocabulary { tokens, by_content, by_id, patterns, ..Default::default() };
        (vocabulary.raw, vocabulary.normalized) = vocabulary.matchers(&SpecialSet::All);
        Ok(vocabulary)
    }

    /// The matchers for the ordinary tokens and the `allowed` special ones: specials first,
    /// then the others, as HF orders them.
    fn matchers(&self, allowed: &SpecialSet) -> (Matcher, Matcher) {
        let mut order: Vec<usize> = (0..self.tokens.len()).filter(|&i| self.tokens[i].special).collect();
        order.extend((0..self.tokens.len()).filter(|&i| !self.tokens[i].special));
        let active = |&i: &usize| !self.tokens[i].special || allowed_contains(allowed, &self.tokens[i].content);
        let pick = |normalized: bool| {
            Matcher::new(
                order
                    .iter()
                    .filter(|i| active(i) && self.tokens[**i].normalized == normalized && !self.patterns[**i].is_empty())
                    .map(|&i| (self.patterns[i].clone(), i))
                    .collect(),
            )
        };
        (pick(false), pick(true))
    }

    pub fn tokens(&self) -> &[AddedToken] {
        &self.tokens
    }

    pub fn get(&self, index: usize) -> &AddedToken {
        &self.tokens[index]
    }

    pub fn id(&self, content: &str) -> Option<u32> {
        self.by_content.get(content).map(|&i| self.tokens[i].id)
    }

    pub fn by_id(&self, id: u32) -> Option<&AddedToken> {
        self.by_id.get(&id).map(|&i| &self.tokens[i])
    }

    /// The special tokens, (content, id) by id.
    pub fn specials(&self) -> Vec<(&str, u32)> {
        let mut all: Vec<(&str, u32)> = self.tokens.iter().filter(|t| t.special).map(|t| (t.content.as_str(), t.id)).collect();
        all.sort_unstable_by_key(|&(_, id)| id);
        all
    }

    /// Checks a call's choice of special tokens against `text`: names must be special
    /// tokens, and no disallowed one may occur. Returns the matchers for the choice.
    pub fn prepare(&self, text_check: &[&str], allowed: &SpecialSet, disallowed: &SpecialSet) -> Result<Choice<'_>> {
        for set in [allowed, disallowed] {
            if let SpecialSet::Only(names) = set {
                for name in names {
                    if !self.tokens.iter().any(|t| t.special && &t.content == name) {
                        let known: Vec<String> = self.specials().iter().map(|(t, _)| format!("{t:?}")).collect();
                        let known = if known.is_empty() { "(none)".to_string() } else { known.join(", ") };
                        return Err(Error::UnknownSpecial(name.clone(), known));
                    }
                }
            }
        }
        let forbidden: Vec<&str> = self
            .tokens
            .iter()
            .filter(|t| t.special)
            .map(|t| t.content.as_str())
            .filter(|content| match disallowed {
                SpecialSet::All => !allowed_contains(allowed, content),
                SpecialSet::Only(names) => names.iter().any(|n| n == content),
            })
            .collect();
        if !forbidden.is_empty() {
            let finder = AhoCorasick::new(&forbidden).expect("literal patterns always build");
            for text in text_check {
                if let Some(found) = finder.find_overlapping_iter(*text).next() {
                    return Err(Error::DisallowedSpecial(forbidden[found.pattern().as_usize()].to_string()));
                }
            }
        }
        Ok(match allowed {
            SpecialSet::All => Choice { vocabulary: self, owned: None },
            only => Choice { vocabulary: self, owned: Some(self.matchers(only)) },
        })
    }
}

fn allowed_contains(allowed: &SpecialSet, content: &str) -> bool {
    match allowed {
        SpecialSet::All => true,
        SpecialSet::Only(names) => names.iter().any(|n| n == content),
    }
}

/// The added tokens one call matches.
pub struct Choice<'v> {
    vocabulary: &'v AddedVocabulary,
    owned: Option<(Matcher, Matcher)>,
}

impl Choice<'_> {
    fn matcher(&self, normalized: bool) -> &Matcher {
        let (raw, norm) = match &self.owned {
            Some((raw, norm)) => (raw, norm),
            None => (&self.vocabulary.raw, &self.vocabulary.normalized),
        };
        if normalized { norm } else { raw }
    }

    /// Whether any `normalized: true` token can match (if not, the normalized text need
    /// not be searched).
    pub fn has_normalized(&self) -> bool {
        self.matcher(true).automaton.is_some()
    }

    /// Cuts `text` into added tokens and the text between them (byte ranges covering
    /// it), matching the tokens of `normalized` kind.
    pub fn find(&self, text: &str, normalized: bool) -> Vec<(Found, usize, usize)> {
        let matcher = self.matcher(normalized);
        let Some(automaton) = &matcher.automaton else {
            return vec![(Found::Text, 0, text.len())];
        };
        let mut out = Vec::new();
        let mut done = 0;
        for m in automaton.find_iter(text) {
            let index = matcher.tokens[m.pattern().as_usize()];
            let token = &self.vocabulary.tokens[index];
            let (mut start, mut stop) = (m.start(), m.end());
            if token.single_word {
                let alone_before = start == 0 || !ends_with_word(&text[..start]);
                let alone_after = stop == text.len() || !starts_with_word(&text[stop..]);
                if !(alone_before && alone_after) {
                    continue;
                }
            }
            if token.lstrip {
                let trimmed = text[..start].trim_end_matches(char::is_whitespace).len();
                start = trimmed.max(done);
            }
            if token.rstrip {
                stop += text[stop..].len() - text[stop..].trim_start_matches(char::is_whitespace).len();
            }
            if done < start {
                out.push((Found::Text, done, start));
            }
            out.push((Found::Token(index), start, stop));
            done = stop;
        }
        if done < text.len() {
            out.push((Found::Text, done, text.len()));
        }
        out
    }
}

fn word_regexes() -> &'static (fancy_regex::Regex, fancy_regex::Regex) {
    static WORD: OnceLock<(fancy_regex::Regex, fancy_regex::Regex)> = OnceLock::new();
    WORD.get_or_init(|| {
        (fancy_regex::Regex::new(r"^\w").expect("valid"), fancy_regex::Regex::new(r"\w$").expect("valid"))
    })
}

fn starts_with_word(text: &str) -> bool {
    word_regexes().0.is_match(text).unwrap_or(false)
}

fn ends_with_word(text: &str) -> bool {
    let last = text.char_indices().next_back().map_or(0, |(i, _)| i);
    word_regexes().1.is_match(&text[last..]).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(content: &str, id: u32, special: bool) -> AddedToken {
        AddedToken { id, content: content.into(), single_word: false, lstrip: false, rstrip: false, normalized: !special, special }
    }

    fn found(vocabulary: &AddedVocabulary, text: &str, normalized: bool) -> Vec<(Option<u32>, String)> {
        let choice = vocabulary.prepare(&[], &SpecialSet::All, &SpecialSet::none()).unwrap();
        choice
            .find(text, normalized)
            .into_iter()
            .map(|(f, s, e)| (match f { Found::Token(i) => Some(vocabulary.get(i).id), Found::Text => None }, text[s..e].to_string()))
            .collect()
    }

    #[test]
    fn strip_and_single_word_options_follow_hf() {
        let mut mask = token("<mask>", 0, false);
        mask.lstrip = true;
        mask.rstrip = true;
        mask.single_word = true;
        let vocabulary = AddedVocabulary::new(vec![mask], None).unwrap();
        assert_eq!(
            found(&vocabulary, "Hi <mask> there\t<mask>\t<mask>\u{2000}", true),
            [
                (None, "Hi".into()),
                (Some(0), " <mask> ".into()),
                (None, "there".into()),
                (Some(0), "\t<mask>\t".into()),
                (Some(0), "<mask>\u{2000}".into()),
            ]
        );
        assert_eq!(found(&vocabulary, "a<mask> b", true), [(None, "a<mask> b".into())]);
    }

    #[test]
    fn disallowed_specials_are_an_error_and_unallowed_ones_are_text() {
        let vocabulary = AddedVocabulary::new(vec![token("[CLS]", 1, true), token("hello", 2, false)], None).unwrap();
        let err = vocabulary.prepare(&["x [CLS]"], &SpecialSet::none(), &SpecialSet::All);
        assert!(matches!(err, Err(Error::DisallowedSpecial(t)) if t == "[CLS]"));
        let choice = vocabulary.prepare(&["[CLS] hello"], &SpecialSet::none(), &SpecialSet::none()).unwrap();
        let parts: Vec<Found> = choice.find("[CLS] hello", true).into_iter().map(|(f, _, _)| f).collect();
        assert_eq!(parts, [Found::Text, Found::Token(1)]);
    }
}
