//! The `.tiktoken` format: one token per line, `base64(token bytes) rank`.

use crate::bpe::vocab::{Rank, Ranks};
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Parses the contents of a `.tiktoken` file. `source_name` names the file in errors.
pub fn parse(contents: &[u8], source_name: &str) -> Result<Ranks> {
    let bad = |line: usize, reason: String| Error::BadFileLine {
        source_name: source_name.to_string(),
        line,
        reason,
    };
    let mut tokens = Vec::new();
    for (index, line) in contents.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let text = std::str::from_utf8(line)
            .map_err(|_| bad(number, "not text; a .tiktoken file has lines `base64 rank`".into()))?;
        let (encoded, rank) = text
            .split_once(' ')
            .filter(|(_, rank)| !rank.trim().contains(' '))
            .ok_or_else(|| bad(number, format!("expected `base64 rank`, found {:?}", shorten(text))))?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|e| bad(number, format!("{:?} is not valid base64 ({e})", shorten(encoded))))?;
        let rank: Rank = rank
            .trim()
            .parse()
            .map_err(|_| bad(number, format!("{:?} is not a rank (a whole number)", shorten(rank))))?;
        tokens.push((bytes, rank));
    }
    if tokens.is_empty() {
        return Err(Error::BadVocabulary(format!(
            "{source_name}: no tokens found; is this a .tiktoken file?"
        )));
    }
    Ranks::from_tokens(tokens).map_err(|e| match e {
        Error::BadVocabulary(reason) => Error::BadVocabulary(format!("{source_name}: {reason}")),
        other => other,
    })
}

/// Writes ranks in the `.tiktoken` format, in rank order.
pub fn write(ranks: &Ranks) -> Vec<u8> {
    let mut out = Vec::with_capacity(ranks.len() * 16);
    for (bytes, rank) in ranks.iter() {
        out.extend_from_slice(STANDARD.encode(bytes).as_bytes());
        out.push(b' ');
        out.extend_from_slice(rank.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_bytes_file() -> String {
        (0..=255u8)
            .map(|b| format!("{} {}\n", STANDARD.encode([b]), b))
            .collect()
    }

    #[test]
    fn parses_and_writes_back_the_same_file() {
        let contents = all_bytes_file() + &format!("{} 256\n", STANDARD.encode("ab"));
        let ranks = parse(contents.as_bytes(), "x.tiktoken").unwrap();
        assert_eq!(ranks.get(b"ab"), Some(256));
        assert_eq!(String::from_utf8(write(&ranks)).unwrap(), contents);
    }

    #[test]
    fn names_the_line_of_a_malformed_entry() {
        let contents = all_bytes_file() + "YWI=\n";
        let err = parse(contents.as_bytes(), "x.tiktoken").unwrap_err();
        assert_eq!(
            err,
            Error::BadFileLine {
                source_name: "x.tiktoken".into(),
                line: 257,
                reason: "expected `base64 rank`, found \"YWI=\"".into()
            }
        );
    }

    #[test]
    fn rejects_duplicate_ranks_and_missing_bytes() {
        let duplicate = all_bytes_file() + &format!("{} 255\n", STANDARD.encode("ab"));
        let err = parse(duplicate.as_bytes(), "x").unwrap_err().to_string();
        assert!(err.contains("rank 255 is given twice"), "{err}");
        let missing: String = all_bytes_file().lines().skip(1).map(|l| format!("{l}\n")).collect();
        let err = parse(missing.as_bytes(), "x").unwrap_err().to_string();
        assert!(err.contains("single bytes [0]"), "{err}");
    }
}
