"""Measuring tokenizers on a multilingual corpus: ``tokkit.compare(tokenizers, corpus=...)``.

Cost: each tokenizer encodes all the lines of all the languages in one parallel call
(``encode_batch(flat=True)``, GIL released), and the distinct words of the spaced
languages in a second one (a few thousand per language rather than every occurrence).
The rest is NumPy over the ids, plus one Python look-up per distinct token id (is it a
space, a byte, the unknown token?) and per distinct character (is it a token?). All of
UDHR (429 languages, 5.6 MB) with five tokenizers takes about 3 s on two cores
(``benches/compare.py``), a third of it reading the words, once for all tokenizers.

A language's numbers depend only on its own text, the tokenizer and the pivot: adding or
removing other languages changes no other row.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from . import metrics
from .corpus import CorpusSource, Language, ParallelCorpus, load_corpus
from .report import Report


@dataclass
class _Text:
    """What is measured of a language whatever the tokenizer."""

    language: Language
    first_line: int  # its first line's index in the batch of all lines
    nonempty: np.ndarray  # [lines] bool
    n_bytes: int
    n_chars: int
    characters: Counter  # characters other than whitespace, with counts
    forms: list  # distinct words as they stand in the text (spaced scripts only)
    form_counts: np.ndarray
    line_words: np.ndarray  # [lines] words per line (spaced scripts; else zeros)


def _prepare(language: Language, first_line: int) -> _Text:
    lines = language.lines
    characters = Counter("".join(lines))
    for char in [c for c in characters if c.isspace()]:
        del characters[char]
    forms: Counter = Counter()
    line_words = np.zeros(len(lines), dtype=np.int64)
    if language.spaces_between_words:
        for i, found in enumerate(metrics.word_forms(lines)):
            forms.update(found)
            line_words[i] = sum(found.values())
    return _Text(language, first_line, np.array([bool(line) for line in lines], dtype=bool),
                 sum(len(line.encode("utf-8")) for line in lines), sum(len(line) for line in lines), characters,
                 list(forms), np.array(list(forms.values()), dtype=np.int64), line_words)


class _TokenKinds:
    """Per token id: is it whitespace only, a byte fallback, the unknown token? Filled for
    the ids actually met, one ``id_to_token`` call each."""

    def __init__(self, tokenizer, ids: np.ndarray):
        bound = int(ids.max()) + 1 if ids.size else 1
        self.space = np.zeros(bound, dtype=bool)
        self.byte = np.zeros(bound, dtype=bool)
        self.unknown = np.zeros(bound, dtype=bool)
        unknown_ids = _unknown_ids(tokenizer)
        for token_id in np.unique(ids).tolist():
            token = tokenizer.id_to_token(token_id)
            self.space[token_id] = metrics.is_space_token(token)
            self.byte[token_id] = metrics.is_byte_token(token)
            self.unknown[token_id] = token_id in unknown_ids


def _unknown_ids(tokenizer) -> set:
    """The id of the tokenizer's unknown token (``Tokenizer.unk_token``), if it has one."""
    unk = getattr(tokenizer, "unk_token", None)
    found = tokenizer.token_to_id(unk) if unk else None
    return set() if found is None else {found}


def _segment_sums(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sums of ``values[offsets[i]:offsets[i + 1]]`` for every i (empty segments give 0)."""
    totals = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    return totals[offsets[1:]] - totals[offsets[:-1]]


def _ordinary_vocab_size(tokenizer) -> int:
    return max(tokenizer.vocab_size - len(tokenizer.special_tokens), 1)


def _measure_tokenizer(name: str, tokenizer, texts: list[_Text], pivot: _Text, alpha: float) -> tuple[list, dict]:
    lines = [line for text in texts for line in text.language.lines]
    ids, offsets = tokenizer.encode_batch(lines, flat=True, disallowed_special=())
    offsets = offsets.astype(np.int64)
    line_tokens = np.diff(offsets)
    forms = [form for text in texts for form in text.forms]
    form_ids, form_offsets = tokenizer.encode_batch(forms, flat=True, disallowed_special=())
    kinds = _TokenKinds(tokenizer, np.concatenate([ids, form_ids]))
    # Tokens per word, not counting tokens of whitespace alone (the space before a word).
    tokens_per_form = _segment_sums(~kinds.space[form_ids], form_offsets.astype(np.int64))
    covered = {char for char in set().union(*(text.characters for text in texts))
               if tokenizer.token_to_id(char) is not None}
    vocab = _ordinary_vocab_size(tokenizer)
    special_ids = np.array(sorted(tokenizer.special_tokens.values()), dtype=np.int64)

    pivot_tokens = line_tokens[pivot.first_line:pivot.first_line + len(pivot.language.lines)]
    form_ends = np.cumsum([len(text.forms) for text in texts])
    rows = []
    for text, form_end in zip(texts, form_ends):
        n_lines = len(text.language.lines)
        own = line_tokens[text.first_line:text.first_line + n_lines]
        lang_ids = ids[offsets[text.first_line]:offsets[text.first_line + n_lines]]
        distinct, counts = np.unique(lang_ids, return_counts=True)
        tokens = int(lang_ids.size)
        # Premium on the lines both texts have, when they are aligned line by line.
        if n_lines == len(pivot.language.lines):
            shared = text.nonempty & pivot.nonempty
            lang_shared, pivot_shared = int(own[shared].sum()), int(pivot_tokens[shared].sum())
        else:
            shared, lang_shared, pivot_shared = None, tokens, int(pivot_tokens.sum())
        words, words_from, word_tokens = _words(text, pivot, shared, tokens, lang_shared)
        per_form = tokens_per_form[form_end - len(text.forms):form_end]
        rows.append({
            "tokenizer": name, "language": text.language.code, "script": text.language.script,
            "premium": metrics.premium(lang_shared, pivot_shared),
            "tokens": tokens, "bytes": text.n_bytes, "characters": text.n_chars, "words": words,
            "words_from": words_from,
            "bytes_per_token": metrics.bytes_per_token(text.n_bytes, tokens),
            "chars_per_token": metrics.chars_per_token(text.n_chars, tokens),
            "fertility": metrics.fertility(word_tokens, words) if words else None,
            "split_word_rate": metrics.split_word_rate(per_form, text.form_counts) if words_from == "text" else None,
            "unknown_rate": metrics.unknown_rate(int(counts[kinds.unknown[distinct]].sum()), tokens),
            "byte_fallback_rate": metrics.byte_fallback_rate(int(counts[kinds.byte[distinct]].sum()), tokens),
            "vocab_utilization": metrics.vocab_utilization(_ordinary(distinct, special_ids), vocab),
            "renyi_efficiency": metrics.renyi_efficiency(counts, vocab, alpha=alpha),
            "script_coverage": metrics.script_coverage(text.characters, covered),
        })
    return rows, _summary(tokenizer, rows, ids, kinds, vocab, alpha, special_ids)


def _words(text: _Text, pivot: _Text, shared: Optional[np.ndarray], tokens: int,
           shared_tokens: int) -> tuple[Optional[int], Optional[str], int]:
    """(W, where W comes from, the tokens W is set against), as ``metrics`` defines them:
    the language's own words if its script has spaces; else the pivot's words on the
    lines both have, if the pivot's script has spaces and the texts are aligned; else
    none."""
    if text.language.spaces_between_words:
        return int(text.line_words.sum()), "text", tokens
    if pivot.language.spaces_between_words and shared is not None:
        return int(pivot.line_words[shared].sum()), "pivot", shared_tokens
    return None, None, tokens


def _ordinary(distinct: np.ndarray, special_ids: np.ndarray) -> int:
    """How many of the distinct ids are not special tokens (vocabulary use, like the
    vocabulary size it divides by, leaves special tokens out)."""
    return int(np.count_nonzero(~np.isin(distinct, special_ids)))


def _summary(tokenizer, rows: list[dict], ids: np.ndarray, kinds: _TokenKinds, vocab: int, alpha: float,
             special_ids: np.ndarray) -> dict:
    premiums = {row["language"]: row["premium"] for row in rows if row["premium"] is not None}
    worst = max(premiums, key=lambda code: (premiums[code], code)) if premiums else None
    distinct, counts = np.unique(ids, return_counts=True)
    tokens = int(ids.size)
    return {
        "vocab_size": tokenizer.vocab_size,
        "tokens": tokens,
        "bytes_per_token": metrics.bytes_per_token(sum(row["bytes"] for row in rows), tokens),
        "mean_premium": metrics.mean(premiums.values()),
        "max_premium": premiums.get(worst),
        "max_premium_language": worst,
        "gini": metrics.gini(premiums.values()),
        "mean_fertility": metrics.mean(row["fertility"] for row in rows),
        "vocab_utilization": metrics.vocab_utilization(_ordinary(distinct, special_ids), vocab),
        "renyi_efficiency": metrics.renyi_efficiency(counts, vocab, alpha=alpha),
        "unknown_rate": metrics.unknown_rate(int(counts[kinds.unknown[distinct]].sum()), tokens),
        "byte_fallback_rate": metrics.byte_fallback_rate(int(counts[kinds.byte[distinct]].sum()), tokens),
    }


def resolve_pivot(corpus: ParallelCorpus, pivot: str) -> str:
    """``pivot`` if the corpus has a language of that name, else an error suggesting names."""
    if pivot in corpus.languages:
        return pivot
    codes = list(corpus.languages)
    guesses = [code for code in codes if code.split("_")[0] == pivot] or difflib.get_close_matches(pivot, codes, n=5)
    hint = f"; did you mean {', '.join(guesses)}?" if guesses else f"; it has {', '.join(codes[:12])}..."
    raise ValueError(f"the corpus has no language {pivot!r} to use as the pivot (languages are named as the "
                     f"corpus names them, e.g. by file stem){hint}")


def _named(tokenizers) -> dict:
    if isinstance(tokenizers, Mapping):
        named = dict(tokenizers)
    elif isinstance(tokenizers, Sequence) and not isinstance(tokenizers, str):
        named = {tok.name: tok for tok in tokenizers}
        if len(named) < len(tokenizers):
            raise ValueError("two tokenizers share a name; pass {name: tokenizer} to name them apart")
    else:
        raise TypeError("tokenizers must be a {name: Tokenizer} dict (or a list of Tokenizers, named by .name)")
    if not named:
        raise ValueError("no tokenizers to compare; pass {name: Tokenizer} with at least one")
    for name, tok in named.items():
        if not hasattr(tok, "encode_batch"):
            raise TypeError(f"{name!r} is a {type(tok).__name__}, not a tokkit Tokenizer; load it with "
                            f"tokkit.load(path) or tokkit.get_encoding(name)")
    return named


def compare(
    tokenizers: Union[Mapping[str, object], Sequence[object]],
    *,
    corpus: CorpusSource = None,
    pivot: str = "eng",
    alpha: float = metrics.DEFAULT_ALPHA,
) -> Report:
    """Measures each tokenizer on each language of a parallel corpus.

    ``tokenizers`` maps names to Tokenizers. ``corpus`` is a folder of one ``.txt`` per
    language, a ``{language: text}`` dict, or None for the sample bundled with tokkit.
    ``pivot`` names the language premiums are relative to, as the corpus names it (a file
    stem such as ``eng``). ``alpha`` is the order of the Rényi efficiency.

    >>> report = tokkit.compare({"o200k": tokkit.get_encoding("o200k_base")})  # doctest: +SKIP
    >>> report.measures("o200k", "amh")["premium"]                              # doctest: +SKIP
    """
    named = _named(tokenizers)
    data = load_corpus(corpus)
    pivot = resolve_pivot(data, pivot)
    texts, first = [], 0
    for language in data:
        texts.append(_prepare(language, first))
        first += len(language.lines)
    pivot_text = next(text for text in texts if text.language.code == pivot)
    rows, summaries = [], {}
    for name, tok in named.items():
        tok_rows, summaries[name] = _measure_tokenizer(name, tok, texts, pivot_text, alpha)
        rows += tok_rows
    languages = [{"language": t.language.code, "name": t.language.name, "script": t.language.script,
                  "spaces_between_words": t.language.spaces_between_words} for t in texts]
    return Report(pivot=pivot, alpha=alpha, source=data.source, tokenizers=list(named), languages=languages,
                  rows=rows, summaries=summaries, corpus=data, models=named)

