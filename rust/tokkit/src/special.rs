//! Special tokens (`<|endoftext|>` and friends) with tiktoken's rules: text that looks
//! like a special token is an error unless the caller says how to treat it, either as
//! the special token (`allowed`) or as ordinary text (left out of `disallowed`).

use crate::error::{Error, Result};
use aho_corasick::{AhoCorasick, MatchKind};
use rustc_hash::FxHashMap;

/// A choice of special tokens: all of them, or the named ones (none when empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecialSet {
    All,
    Only(Vec<String>),
}

impl SpecialSet {
    pub fn none() -> SpecialSet {
        SpecialSet::Only(Vec::new())
    }

    fn contains(&self, token: &str) -> bool {
        match self {
            SpecialSet::All => true,
            SpecialSet::Only(tokens) => tokens.iter().any(|t| t == token),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, SpecialSet::Only(tokens) if tokens.is_empty())
    }
}

/// A piece of text between special tokens, or a special token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    Text { start: usize, end: usize },
    Special { id: u32, start: usize, end: usize },
}

#[derive(Clone, Debug, Default)]
pub struct SpecialTokens {
    ids: FxHashMap<String, u32>,
    texts: FxHashMap<u32, String>,
    /// Leftmost-longest matcher over all special tokens, for splitting.
    splitter: Option<AhoCorasick>,
    /// Overlapping matcher over all special tokens, for finding disallowed ones anywhere.
    finder: Option<AhoCorasick>,
}

impl SpecialTokens {
    pub fn new(tokens: impl IntoIterator<Item = (String, u32)>) -> Result<SpecialTokens> {
        let mut ids = FxHashMap::default();
        let mut texts: FxHashMap<u32, String> = FxHashMap::default();
        for (text, id) in tokens {
            if text.is_empty() {
                return Err(Error::InvalidArgument("a special token cannot be empty".into()));
            }
            if ids.contains_key(&text) {
                return Err(Error::InvalidArgument(format!(
                    "the special token {text:?} is given twice; give each special token once"
                )));
            }
            if let Some(other) = texts.get(&id) {
                return Err(Error::InvalidArgument(format!(
                    "the special tokens {other:?} and {text:?} both have id {id}; give each its own id"
                )));
            }
            ids.insert(text.clone(), id);
            texts.insert(id, text);
        }
        let (splitter, finder) = if ids.is_empty() {
            (None, None)
        } else {
            let patterns = Self::sorted(&ids);
            (Some(matcher(&patterns, MatchKind::LeftmostLongest)), Some(matcher(&patterns, MatchKind::Standard)))
        };
        Ok(SpecialTokens { ids, texts, splitter, finder })
    }

    fn sorted(ids: &FxHashMap<String, u32>) -> Vec<&str> {
        let mut tokens: Vec<&str> = ids.keys().map(String::as_str).collect();
        tokens.sort_unstable();
        tokens
    }

    pub fn id(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    pub fn text(&self, id: u32) -> Option<&str> {
        self.texts.get(&id).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// (text, id) sorted by id.
    pub fn iter(&self) -> Vec<(&str, u32)> {
        let mut all: Vec<(&str, u32)> = self.ids.iter().map(|(t, &i)| (t.as_str(), i)).collect();
        all.sort_unstable_by_key(|&(_, id)| id);
        all
    }

    /// Fails on a name in `set` that is not a special token.
    pub fn check_known(&self, set: &SpecialSet) -> Result<()> {
        if let SpecialSet::Only(tokens) = set {
            for token in tokens {
                if !self.ids.contains_key(token) {
                    let known: Vec<String> =
                        self.iter().iter().map(|(t, _)| format!("{t:?}")).collect();
                    let known =
                        if known.is_empty() { "(none)".to_string() } else { known.join(", ") };
                    return Err(Error::UnknownSpecial(token.clone(), known));
                }
            }
        }
        Ok(())
    }

    /// Cuts `text` into ordinary text and the special tokens of `allowed`, after checking
    /// that it holds none of the `disallowed` ones (`All` = every token not allowed).
    pub fn segments(&self, text: &str, allowed: &SpecialSet, disallowed: &SpecialSet) -> Result<Vec<Segment>> {
        self.check_known(allowed)?;
        self.check_known(disallowed)?;
        if let Some(finder) = &self.finder {
            if !disallowed.is_empty() {
                for found in finder.find_overlapping_iter(text) {
                    let token = &text[found.start()..found.end()];
                    let forbidden = match disallowed {
                        SpecialSet::All => !allowed.contains(token),
                        SpecialSet::Only(_) => disallowed.contains(token),
                    };
                    if forbidden {
                        return Err(Error::DisallowedSpecial(token.to_string()));
                    }
                }
            }
        }
        let whole = vec![Segment::Text { start: 0, end: text.len() }];
        let subset;
        let splitter = match (allowed, &self.splitter) {
            (_, None) => return Ok(whole),
            (SpecialSet::All, Some(all)) => all,
            (SpecialSet::Only(tokens), Some(_)) => {
                if tokens.is_empty() {
                    return Ok(whole);
                }
                let mut tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
                tokens.sort_unstable();
                tokens.dedup();
                subset = matcher(&tokens, MatchKind::LeftmostLongest);
                &subset
            }
        };
        let mut segments = Vec::new();
        let mut start = 0;
        for found in splitter.find_iter(text) {
            if found.start() > start {
                segments.push(Segment::Text { start, end: found.start() });
            }
            let id = self.ids[&text[found.start()..found.end()]];
            segments.push(Segment::Special { id, start: found.start(), end: found.end() });
            start = found.end();
        }
        if start < text.len() {
            segments.push(Segment::Text { start, end: text.len() });
        }
        Ok(segments)
    }
}

fn matcher(tokens: &[&str], kind: MatchKind) -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(kind)
        .build(tokens)
        .expect("a few short literal strings always build")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specials() -> SpecialTokens {
        SpecialTokens::new([("<|end|>".to_string(), 10), ("<|pad|>".to_string(), 11)]).unwrap()
    }

    #[test]
    fn splits_on_allowed_tokens_only() {
        let s = specials();
        let text = "a<|end|>b<|pad|>";
        let segments = s.segments(text, &SpecialSet::Only(vec!["<|end|>".into()]), &SpecialSet::none()).unwrap();
        assert_eq!(
            segments,
            vec![
                Segment::Text { start: 0, end: 1 },
                Segment::Special { id: 10, start: 1, end: 8 },
                Segment::Text { start: 8, end: 16 },
            ]
        );
    }

    #[test]
    fn disallowed_tokens_are_an_error_naming_the_token() {
        let s = specials();
        let err = s.segments("x<|pad|>", &SpecialSet::none(), &SpecialSet::All).unwrap_err();
        assert_eq!(err, Error::DisallowedSpecial("<|pad|>".into()));
        // Allowing it lifts the default ban.
        let ok = s.segments("x<|pad|>", &SpecialSet::Only(vec!["<|pad|>".into()]), &SpecialSet::All);
        assert!(ok.is_ok());
    }

    #[test]
    fn unknown_names_are_an_error() {
        let s = specials();
        let err = s.segments("x", &SpecialSet::Only(vec!["<|nope|>".into()]), &SpecialSet::All);
        assert!(matches!(err, Err(Error::UnknownSpecial(t, _)) if t == "<|nope|>"));
    }

    #[test]
    fn duplicate_texts_or_ids_are_rejected() {
        assert!(SpecialTokens::new([("a".to_string(), 1), ("a".to_string(), 2)]).is_err());
        assert!(SpecialTokens::new([("a".to_string(), 1), ("b".to_string(), 1)]).is_err());
    }
}
