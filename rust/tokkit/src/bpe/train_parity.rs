//! Parity-aware BPE training: each merge serves the language whose text is longest in
//! tokens so far.
//!
//! Plain BPE merges the pair most frequent in the whole corpus, so the languages with the
//! most text, or the cheapest script in bytes, get most of the vocabulary, and the others
//! pay more tokens for the same content (Petrov et al., 2023). Here the corpus comes as one
//! set of pre-token counts per language, of texts that say the same things (a parallel
//! corpus, such as the training split of UDHR or of tokkit's sample). Before each merge
//! the trainer takes the language whose text needs the most tokens under the merges made
//! so far, and merges the pair most frequent *in that language*; the merge then applies to
//! the words of every language, as in plain BPE. This is the parity-aware BPE of Foroutan
//! et al. (2025), with the training text itself as the parallel text that measures
//! compression. On texts that are not translations of each other, "most tokens" means
//! "most text", and the balance is not a fair one.
//!
//! Data: the words of all languages in one store, each tagged with its language; per
//! language, its pair counts, a priority queue of its pairs and its current token count;
//! one map from a pair to the words that hold it, whatever their language. A merge costs
//! what it costs in plain BPE (the words it touches), plus O(L) to find the worst of L
//! languages. Ties between languages go to the lower index (callers pass languages in a
//! fixed order); ties between pairs follow plain BPE's (count, bytes) order. With one
//! language this is plain BPE, merge for merge.

use super::train::{single_byte_tokens, key, merge_word, note, unkey, MergeOptions, PairQueue, Trained, Words};
use crate::corpus::counts::{empty_corpus, PreTokenCounts};
use crate::error::Result;
use rustc_hash::FxHashMap;

/// One language's share of the training state.
struct Language {
    pair_counts: FxHashMap<u64, u64>,
    queue: PairQueue,
    /// Tokens its text takes under the merges so far (bytes before the first merge).
    tokens: u64,
    /// How the counts of its pairs change in the merge being made.
    deltas: FxHashMap<u64, i64>,
    /// No pair of this language may be merged any more (none left, or all too rare).
    exhausted: bool,
    /// The merge that last touched this language's words.
    stamp: u32,
}

/// The language with the most tokens among those that can still merge; ties go to the
/// lowest index.
fn worst_language(languages: &[Language]) -> Option<usize> {
    languages
        .iter()
        .enumerate()
        .filter(|(_, language)| !language.exhausted)
        .max_by(|(i, a), (j, b)| a.tokens.cmp(&b.tokens).then(j.cmp(i)))
        .map(|(i, _)| i)
}

/// Trains byte-level BPE over per-language pre-token counts (see the module doc). Ids as
/// in `train_byte_level`: bytes 0 to 255, then merged tokens in merge order.
pub fn train_byte_level_parity(
    counts: &[&PreTokenCounts],
    options: &MergeOptions,
    progress: &mut dyn FnMut(usize) -> Result<()>,
) -> Result<Trained> {
    let mut tokens = single_byte_tokens(options)?;
    if counts.iter().all(|language| language.is_empty()) {
        return Err(empty_corpus());
    }
    let target = options.vocab_size.saturating_sub(options.special_tokens);

    let mut words = Words::default();
    let mut word_language: Vec<u32> = Vec::new();
    let mut where_found: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut languages = Vec::with_capacity(counts.len());
    for (index, language_counts) in counts.iter().enumerate() {
        let mut pair_counts: FxHashMap<u64, u64> = FxHashMap::default();
        let mut text_tokens = 0;
        for (piece, count) in language_counts.sorted() {
            let w = word_language.len();
            let symbols: Vec<u32> = piece.bytes().map(u32::from).collect();
            text_tokens += count * symbols.len() as u64;
            for pair in symbols.windows(2) {
                let pair = key(pair[0], pair[1]);
                *pair_counts.entry(pair).or_insert(0) += count;
                note(&mut where_found, pair, w);
            }
            words.push(&symbols, count);
            word_language.push(index as u32);
        }
        let mut queue = PairQueue { entries: Vec::with_capacity(pair_counts.len()) };
        for (&pair, &count) in &pair_counts {
            queue.push(&tokens, (count, pair));
        }
        languages.push(Language {
            pair_counts,
            queue,
            tokens: text_tokens,
            deltas: FxHashMap::default(),
            exhausted: false,
            stamp: 0,
        });
    }

    let mut merges = Vec::new();
    let mut ids: FxHashMap<Vec<u8>, u32> = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
    let mut visited = vec![u32::MAX; word_language.len()];
    let mut touched: Vec<usize> = Vec::new();
    'merging: while tokens.len() < target {
        let Some(worst) = worst_language(&languages) else { break };
        let language = &mut languages[worst];
        // The worst language's best pair that may still be merged; stale queue entries
        // and pairs that would make too long a token are dropped on the way.
        let pair = loop {
            let Some((count, pair)) = language.queue.pop(&tokens) else {
                language.exhausted = true;
                continue 'merging;
            };
            if language.pair_counts.get(&pair) != Some(&count) {
                continue;
            }
            if count < options.min_frequency.max(1) {
                language.exhausted = true; // a language's best count never grows back
                continue 'merging;
            }
            let (left, right) = unkey(pair);
            let merged_len = tokens[left as usize].len() + tokens[right as usize].len();
            if options.max_token_length.is_some_and(|max| merged_len > max) {
                language.pair_counts.remove(&pair);
                continue;
            }
            break pair;
        };
        let (left, right) = unkey(pair);
        let bytes = [tokens[left as usize].as_slice(), tokens[right as usize].as_slice()].concat();
        let new_id = *ids.entry(bytes).or_insert_with_key(|bytes| {
            tokens.push(bytes.clone());
            tokens.len() as u32 - 1
        });
        merges.push((left, right));
        let stamp = merges.len() as u32;

        touched.clear();
        for w in where_found.remove(&pair).unwrap_or_default() {
            let w = w as usize;
            if visited[w] == stamp {
                continue;
            }
            visited[w] = stamp;
            let index = word_language[w] as usize;
            let language = &mut languages[index];
            let before = words.len[w];
            merge_word(&mut words, w, left, right, new_id, &mut language.deltas, &mut where_found);
            language.tokens -= u64::from(before - words.len[w]) * words.count[w];
            if language.stamp != stamp {
                language.stamp = stamp;
                touched.push(index);
            }
        }
        for &index in &touched {
            let language = &mut languages[index];
            language.pair_counts.remove(&pair);
            let mut changed: Vec<(u64, i64)> = language.deltas.drain().collect();
            changed.sort_unstable();
            for (changed_pair, delta) in changed {
                if changed_pair == pair || delta == 0 {
                    continue;
                }
                let entry = language.pair_counts.entry(changed_pair).or_insert(0);
                *entry = (*entry as i64 + delta) as u64;
                if *entry == 0 {
                    language.pair_counts.remove(&changed_pair);
                } else {
                    language.queue.push(&tokens, (*entry, changed_pair));
                }
            }
        }
        if merges.len() % 64 == 0 {
            progress(merges.len())?;
        }
    }
    progress(merges.len())?;
    Ok(Trained { tokens, merges })
}

#[cfg(test)]
mod tests {
    use super::super::train::train_byte_level;
    use super::*;

    fn counts(items: &[(&str, u64)]) -> PreTokenCounts {
        let mut c = PreTokenCounts::new();
        for &(piece, n) in items {
            c.add(piece, n);
        }
        c
    }

    fn options(vocab_size: usize, min_frequency: u64) -> MergeOptions {
        MergeOptions { vocab_size, min_frequency, max_token_length: None, special_tokens: 0, continuing_subword_prefix: None }
    }

    fn merged(trained: &Trained) -> Vec<String> {
        trained.tokens[256..].iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect()
    }

    #[test]
    fn one_language_gives_plain_bpe() {
        let words: Vec<(String, u64)> =
            (0..300).map(|i| (format!(" w{}{}x{}", i % 13, i % 7, i * 31 % 97), 1 + i % 5)).collect();
        let mut c = PreTokenCounts::new();
        for (w, n) in &words {
            c.add(w, *n);
        }
        for o in [options(400, 1), options(400, 3), MergeOptions { max_token_length: Some(3), ..options(380, 1) }] {
            let plain = train_byte_level(&c, &o, &mut |_| Ok(())).unwrap();
            let parity = train_byte_level_parity(&[&c], &o, &mut |_| Ok(())).unwrap();
            assert_eq!(parity, plain);
        }
    }

    #[test]
    fn each_merge_serves_the_language_with_most_tokens() {
        // A: "ab" x10 = 20 tokens; B: "xyz" x8 = 24 tokens. Plain BPE merges ab (10) first.
        // Parity: B is worst, its pairs xy and yz tie at 8, "xy" < "yz": merge xy (B: 16).
        // Then A (20) is worst: ab (A: 10). Then B (16): xy+z (B: 8). Then neither has pairs.
        let (a, b) = (counts(&[("ab", 10)]), counts(&[("xyz", 8)]));
        let trained = train_byte_level_parity(&[&a, &b], &options(300, 1), &mut |_| Ok(())).unwrap();
        assert_eq!(merged(&trained), ["xy", "ab", "xyz"]);
        let mut both = a.clone();
        both.merge(&b);
        assert_eq!(merged(&train_byte_level(&both, &options(300, 1), &mut |_| Ok(())).unwrap()), ["ab", "xy", "xyz"]);
    }

    #[test]
    fn equal_token_counts_go_to_the_first_language() {
        // Both take 10 tokens; language 0 is served first although "ab" < "cd".
        let trained =
            train_byte_level_parity(&[&counts(&[("cd", 5)]), &counts(&[("ab", 5)])], &options(257, 1), &mut |_| Ok(()))
                .unwrap();
        assert_eq!(merged(&trained), ["cd"]);
    }

    #[test]
    fn a_language_with_only_rare_pairs_does_not_stop_the_others() {
        // B is worst (24 tokens) but its pairs occur once each: A still gets its merges.
        let (a, b) = (counts(&[("ab", 3)]), counts(&[("zyxwvutsrqponmlkjihgfedc", 1)]));
        let trained = train_byte_level_parity(&[&a, &b], &options(300, 2), &mut |_| Ok(())).unwrap();
        assert_eq!(merged(&trained), ["ab"]);
    }

    #[test]
    fn no_text_in_any_language_is_an_error() {
        let result = train_byte_level_parity(&[&PreTokenCounts::new()], &options(300, 1), &mut |_| Ok(()));
        assert!(matches!(result, Err(crate::Error::EmptyCorpus(_))));
    }
}
