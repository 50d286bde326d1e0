//! The backtracking walk that long pieces take against the priority-queue merge, on the
//! real tiktoken vocabularies in $TOKKIT_DATA (default ../shared/data beside the
//! repository) and on the inputs that stress it: long runs, random letters, random bytes,
//! text made by gluing random tokens together, and mixed scripts.

use std::path::PathBuf;
use tokkit::bpe::encode::merge_long;
use tokkit::bpe::Ranks;

fn vocabularies() -> Vec<(String, Ranks)> {
    let data = std::env::var_os("TOKKIT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let folder = data.join("vocab/tiktoken");
    let Ok(entries) = std::fs::read_dir(&folder) else {
        eprintln!("skipped: no vocabularies at {} (set TOKKIT_DATA)", folder.display());
        return Vec::new();
    };
    let mut found: Vec<(String, Ranks)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tiktoken"))
        // Whisper's file is not a plain rank table (tiktoken reads it with its own code).
        .filter(|p| !p.to_string_lossy().contains("whisper"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let ranks = tokkit::formats::tiktoken::parse(&std::fs::read(&p).unwrap(), &name).unwrap();
            (name, ranks)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// A small deterministic generator, so a failure names an input that can be rebuilt.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn inputs(ranks: &Ranks) -> Vec<(String, Vec<u8>)> {
    let mut rng = Lcg(7);
    let letters: Vec<u8> = (0..200_000).map(|_| b'a' + rng.below(26) as u8).collect();
    let two: Vec<u8> = (0..100_000).map(|_| b"ab"[rng.below(2)]).collect();
    let bytes: Vec<u8> = (0..100_000).map(|_| 1 + rng.below(255) as u8).collect();
    let tokens: Vec<&[u8]> = ranks.iter().map(|(t, _)| t).filter(|t| !t.contains(&0)).collect();
    let glued: Vec<u8> = (0..30_000).flat_map(|_| tokens[rng.below(tokens.len())].iter().copied()).collect();
    let scripts = ["é", "ж", "語", "ع", "ॐ", "😀", "a", "ß", "ﬁ", "\u{300}"];
    let mixed: Vec<u8> = (0..50_000).flat_map(|_| scripts[rng.below(scripts.len())].bytes()).collect();
    let mut cases = vec![
        ("random letters".to_string(), letters),
        ("random a/b".to_string(), two),
        ("random bytes".to_string(), bytes),
        ("glued tokens".to_string(), glued),
        ("mixed scripts".to_string(), mixed),
    ];
    for unit in ["a", " ", "\n", "1", "ab", "abc", "😀", "=", "aaab", "\t "] {
        cases.push((format!("{unit:?} repeated"), unit.repeat(100_000 / unit.len() + 1).into_bytes()));
    }
    cases
}

#[test]
fn long_pieces_walk_to_the_same_tokens_as_the_merge() {
    for (name, ranks) in vocabularies() {
        assert!(ranks.walks_long_pieces(), "{name}: long pieces do not take the walk");
        for (label, piece) in inputs(&ranks) {
            let mut walked = Vec::new();
            if !ranks.walk_long_piece(&piece, &mut walked) {
                // Only llama3 has tokens made from a part that ranks above them, and only
                // text glued from random tokens is sure to contain some.
                assert!(name == "llama3" && label == "glued tokens", "{name}, {label}: the walk declined");
                continue;
            }
            let mut merged = Vec::new();
            merge_long(&ranks, &piece, &mut merged);
            if walked != merged {
                let at = walked.iter().zip(&merged).take_while(|(a, b)| a == b).count();
                panic!("{name}, {label}: the walk differs from the merge at token {at}");
            }
        }
    }
}

#[test]
fn a_batch_whose_texts_meet_their_first_long_piece_together_finishes() {
    // The walk's tables are built by whichever thread meets the first long piece; in a
    // parallel batch several meet it at once, wait for that one build, and go on to the
    // single-call ids. (A build that ran its own parallel loop could deadlock here, but
    // not reliably enough for a test to show it; `Backtracker::new` says why it does not.)
    for (name, ranks) in vocabularies() {
        let pre_tokenizer = tokkit::pretokenize::Splitter::named("cl100k").unwrap();
        let tokenizer = tokkit::bpe::ByteLevelBpe::new(ranks, pre_tokenizer, vec![]).unwrap();
        let texts: Vec<String> = (0..64).map(|i| format!("text {i}: {}", "xyzzy".repeat(100 + i))).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let none = tokkit::special::SpecialSet::none();
        let rows = tokenizer.encode_batch(&refs, &none, &none).unwrap();
        for (text, row) in texts.iter().zip(rows) {
            assert_eq!(row, tokenizer.encode_ordinary(text).unwrap(), "{name}");
        }
    }
}
