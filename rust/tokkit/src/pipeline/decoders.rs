//! Decoders: token strings back to text, with HF's semantics (each decoder turns the list
//! of token strings into another list; the last list is joined). Linear in the text.
//!
//! The byte-level decoder is the one place where text may not be valid UTF-8: a token can
//! hold part of a character. `decode_bytes` keeps those bytes; `decode` replaces what is
//! invalid with U+FFFD, as HF does.

use super::byte_alphabet::char_byte;
use super::pattern::Pattern;
use super::pre_tokenizers::PrependScheme;
use crate::error::Result;

#[derive(Clone, Debug)]
pub enum Decoder {
    /// Spelled bytes back to bytes. The fields are kept to be written back.
    ByteLevel { add_prefix_space: bool, trim_offsets: bool, use_regex: bool },
    /// Joins `##` continuations to the word before them; `cleanup` removes the spaces BERT
    /// puts before punctuation.
    WordPiece { prefix: String, cleanup: bool },
    /// `replacement` back to spaces (dropped at the very start unless the scheme is never).
    Metaspace { replacement: char, prepend_scheme: PrependScheme, split: bool },
    /// The end-of-word suffix becomes a space (nothing after the last token).
    Bpe { suffix: String },
    Replace { pattern: Pattern, content: String },
    /// Runs of `<0xXX>` tokens back to the characters they spell (U+FFFD each if invalid).
    ByteFallback,
    /// All tokens into one.
    Fuse,
    /// Up to `start` leading and `stop` trailing `content` characters off each token.
    Strip { content: char, start: usize, stop: usize },
    Sequence(Vec<Decoder>),
}

/// The tokens being decoded: strings, until the byte-level decoder turns them into bytes.
pub enum Decoded {
    Tokens(Vec<String>),
    Bytes(Vec<u8>),
}

impl Decoder {
    pub fn decode_chain(&self, tokens: Vec<String>) -> Result<Decoded> {
        Ok(Decoded::Tokens(match self {
            Decoder::ByteLevel { .. } => {
                let mut bytes = Vec::new();
                for token in &tokens {
                    match token.chars().map(char_byte).collect::<Option<Vec<u8>>>() {
                        Some(spelled) => bytes.extend(spelled),
                        None => bytes.extend_from_slice(token.as_bytes()),
                    }
                }
                return Ok(Decoded::Bytes(bytes));
            }
            Decoder::WordPiece { prefix, cleanup } => tokens
                .into_iter()
                .enumerate()
                .map(|(i, mut token)| {
                    if i != 0 {
                        token = match token.strip_prefix(prefix.as_str()) {
                            Some(rest) => rest.to_string(),
                            None => format!(" {token}"),
                        };
                    }
                    if *cleanup {
                        token = clean_up(&token);
                    }
                    token
                })
                .collect(),
            Decoder::Metaspace { replacement, prepend_scheme, .. } => tokens
                .iter()
                .enumerate()
                .map(|(i, token)| {
                    token
                        .chars()
                        .filter_map(|c| match c == *replacement {
                            true if i == 0 && *prepend_scheme != PrependScheme::Never => None,
                            true => Some(' '),
                            false => Some(c),
                        })
                        .collect()
                })
                .collect(),
            Decoder::Bpe { suffix } => {
                let n = tokens.len();
                tokens.iter().enumerate().map(|(i, t)| t.replace(suffix.as_str(), if i + 1 == n { "" } else { " " })).collect()
            }
            Decoder::Replace { pattern, content } => {
                tokens.iter().map(|t| pattern.replace_all(t, content)).collect::<Result<_>>()?
            }
            Decoder::ByteFallback => byte_fallback(tokens),
            Decoder::Fuse => vec![tokens.concat()],
            Decoder::Strip { content, start, stop } => tokens.iter().map(|t| strip(t, *content, *start, *stop)).collect(),
            Decoder::Sequence(all) => {
                let mut tokens = tokens;
                for decoder in all {
                    match decoder.decode_chain(tokens)? {
                        Decoded::Tokens(next) => tokens = next,
                        Decoded::Bytes(bytes) => tokens = vec![String::from_utf8_lossy(&bytes).into_owned()],
                    }
                }
                tokens
            }
        }))
    }
}

/// Removes the spaces BERT's tokens leave before punctuation and contractions.
fn clean_up(text: &str) -> String {
    text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" do not", " don't")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}

fn byte_fallback(tokens: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut pending: Vec<u8> = Vec::new();
    let flush = |pending: &mut Vec<u8>, out: &mut Vec<String>| {
        if pending.is_empty() {
            return;
        }
        match String::from_utf8(std::mem::take(pending)) {
            Ok(text) => out.push(text),
            Err(e) => out.extend(std::iter::repeat_n("\u{fffd}".to_string(), e.as_bytes().len())),
        }
    };
    for token in tokens {
        let byte = (token.len() == 6 && token.starts_with("<0x") && token.ends_with('>'))
            .then(|| u8::from_str_radix(&token[3..5], 16).ok())
            .flatten();
        match byte {
            Some(b) => pending.push(b),
            None => {
                flush(&mut pending, &mut out);
                out.push(token);
            }
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn strip(token: &str, content: char, start: usize, stop: usize) -> String {
    let chars: Vec<char> = token.chars().collect();
    let from = chars.iter().take(start).take_while(|&&c| c == content).count();
    let to = chars.len() - chars.iter().rev().take(stop).take_while(|&&c| c == content).count();
    chars[from..to.max(from)].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(decoder: &Decoder, tokens: &[&str]) -> String {
        match decoder.decode_chain(tokens.iter().map(|t| t.to_string()).collect()).unwrap() {
            Decoded::Tokens(t) => t.concat(),
            Decoded::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
        }
    }

    #[test]
    fn sentencepiece_style_decoding() {
        // Phi-3's decoder: ▁ to space, byte tokens to text, one string, one space off the start.
        let decoder = Decoder::Sequence(vec![
            Decoder::Replace { pattern: Pattern::Literal("▁".into()), content: " ".into() },
            Decoder::ByteFallback,
            Decoder::Fuse,
            Decoder::Strip { content: ' ', start: 1, stop: 0 },
        ]);
        assert_eq!(text(&decoder, &["▁Hello", "▁w", "<0xC3>", "<0xA9>", "▁x"]), "Hello wé x");
        // A run of byte tokens that is not UTF-8 gives one U+FFFD per token.
        assert_eq!(text(&decoder, &["▁a", "<0xC3>", "<0xFF>"]), "a\u{fffd}\u{fffd}");
    }

    #[test]
    fn wordpiece_joins_continuations_and_cleans_up() {
        let decoder = Decoder::WordPiece { prefix: "##".into(), cleanup: true };
        assert_eq!(text(&decoder, &["un", "##aff", "##able", "word", "!"]), "unaffable word!");
    }

    #[test]
    fn byte_level_gives_bytes_back() {
        let decoder = Decoder::ByteLevel { add_prefix_space: false, trim_offsets: true, use_regex: true };
        assert_eq!(text(&decoder, &["Hello", "Ġw", "Ã©"]), "Hello wé");
    }

    #[test]
    fn metaspace_drops_the_first_replacement() {
        let decoder = Decoder::Metaspace { replacement: '▁', prepend_scheme: PrependScheme::Always, split: true };
        assert_eq!(text(&decoder, &["▁Hey", "▁friend"]), "Hey friend");
    }
}
