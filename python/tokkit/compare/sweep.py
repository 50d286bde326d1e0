"""Strategy sweeps: how premiums and compression move with the tokenization strategy and
the vocabulary size.

``sweep(corpus, strategies=[...], vocab_sizes=[...])`` trains every strategy at every
size on the training lines of a parallel corpus and measures each tokenizer on the
held-out lines with ``compare``. The split is by line, the same lines in every language,
so the held-out text stays parallel: line ``i`` (counting from 0) is held out when
``⌊(i + 1)·f⌋ > ⌊i·f⌋`` for the held-out fraction ``f``, which spreads the held-out lines
evenly (``f = 0.25``: lines 3, 7, 11, ...).

Strategies are trainers looked up by name when the sweep runs, so a build of tokkit
without one (say ``train_unigram``) still sweeps the others, and asking for it says so.
"""

from __future__ import annotations

import csv
import json
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .. import training as trainers
from . import metrics
from .corpus import CorpusSource, ParallelCorpus, load_corpus
from .measure import compare, resolve_pivot
from .report import FORMATS, Report
from .table import Table, number, text, whole

@dataclass(frozen=True)
class Strategy:
    """A trainer of tokkit's, called as ``tokkit.training.<function>(text, vocab_size=n, **options)``
    with the training lines of all languages in one list, or as ``{language: lines}`` when
    ``by_language`` (what parity-aware BPE needs)."""

    function: str
    by_language: bool = False
    options: tuple = ()
    #: False for strategies whose vocabulary is fixed by the text (characters): trained
    #: without a size, the same at every size of the sweep.
    sized: bool = True

    def available(self) -> bool:
        return hasattr(trainers, self.function)

    def train(self, training: dict, vocab_size: int):
        trainer = getattr(trainers, self.function, None)
        if trainer is None:
            raise ValueError(f"this build of tokkit has no tokkit.{self.function}, so it cannot train that strategy; "
                             f"sweep the strategies it has: {', '.join(available_strategies())}")
        text = training if self.by_language else [line for lines in training.values() for line in lines]
        size = {"vocab_size": vocab_size} if self.sized else {}
        return trainer(text, **size, **dict(self.options))


_QUIET = (("show_progress", False),)

#: Strategy name -> how to train it.
STRATEGIES: dict[str, Strategy] = {
    "char": Strategy("train_char", options=_QUIET, sized=False),
    "word": Strategy("train_word", options=_QUIET),
    "bpe": Strategy("train_bpe", options=_QUIET),
    "bpe-parity": Strategy("train_bpe", by_language=True, options=_QUIET + (("balance_languages", True),)),
    "unigram": Strategy("train_unigram", options=_QUIET),
    "wordpiece": Strategy("train_wordpiece", options=_QUIET),
}


def available_strategies() -> list[str]:
    """The strategies this build of tokkit can train."""
    return [name for name, strategy in STRATEGIES.items() if strategy.available()]


def held_out_lines(n_lines: int, fraction: float) -> list[int]:
    """Indices of the held-out lines (module doc): ``⌊(i + 1)·f⌋ > ⌊i·f⌋``.

    >>> held_out_lines(12, 0.25)
    [3, 7, 11]
    """
    if not 0 < fraction < 1:
        raise ValueError(f"held_out must be a fraction between 0 and 1, not {fraction!r}")
    return [i for i in range(n_lines) if int((i + 1) * fraction) > int(i * fraction)]


#: The columns of a sweep's table, after strategy and vocab_size.
SWEEP_MEASURES = ["actual_vocab_size", "mean_premium", "max_premium", "max_premium_language", "gini",
                  "bytes_per_token", "mean_fertility", "renyi_efficiency", "unknown_rate", "train_seconds"]


@dataclass
class Sweep:
    """Strategies × vocabulary sizes, measured on held-out lines. ``points`` holds one
    dict per trained tokenizer; ``report`` is the full ``Report`` on the held-out lines
    (tokenizers named ``strategy-size``)."""

    strategies: list[str]
    vocab_sizes: list[int]
    held_out: list[int]
    points: list[dict]
    report: Report
    #: strategy-size → why it could not be trained (left out of points and report)
    impossible: dict = field(default_factory=dict)

    def table(self) -> Table:
        formats = {**FORMATS, "actual_vocab_size": whole, "train_seconds": number(2)}
        formats = [text, whole] + [formats[key] for key in SWEEP_MEASURES]
        rows = [[p["strategy"], p["vocab_size"]] + [p[key] for key in SWEEP_MEASURES] for p in self.points]
        return Table(["strategy", "vocab_size"] + SWEEP_MEASURES, rows, formats,
                     title=f"Sweep: measured on held-out lines {self.held_out} (pivot {self.report.pivot})")

    def to_markdown(self) -> str:
        notes = "".join(f"- {name}: not trained ({why})\n" for name, why in self.impossible.items())
        return self.table().to_markdown(title_level=2) + "\n" + (f"\n{notes}" if notes else "")

    def to_json(self) -> str:
        return json.dumps({"strategies": self.strategies, "vocab_sizes": self.vocab_sizes, "held_out": self.held_out,
                           "points": self.points, "impossible": self.impossible}, ensure_ascii=False, indent=1)

    def to_csv(self, path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["strategy", "vocab_size"] + SWEEP_MEASURES)
            for p in self.points:
                writer.writerow([p["strategy"], p["vocab_size"]] +
                                ["" if p[key] is None else p[key] for key in SWEEP_MEASURES])


def sweep(
    corpus: CorpusSource = None,
    *,
    strategies: Optional[Sequence[str]] = None,
    vocab_sizes: Sequence[int] = (500, 1000, 2000),
    pivot: str = "eng",
    held_out: float = 0.25,
    alpha: float = metrics.DEFAULT_ALPHA,
) -> Sweep:
    """Trains each strategy at each vocabulary size on the training lines of ``corpus``
    (a folder, a ``{language: text}`` dict, or None for the bundled sample) and measures
    on the held-out lines. ``strategies`` defaults to every one this build can train
    (``available_strategies()``); ``"bpe-parity"`` is BPE with ``balance_languages=True``.

    >>> result = tokkit.compare.sweep(strategies=["bpe", "bpe-parity"], vocab_sizes=[500, 1000])  # doctest: +SKIP
    >>> print(result.table())                                                                     # doctest: +SKIP
    """
    chosen = list(strategies) if strategies is not None else available_strategies()
    unknown = [name for name in chosen if name not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {', '.join(map(repr, unknown))}; choose from {', '.join(STRATEGIES)}")
    sizes = list(vocab_sizes)
    if not sizes or not all(isinstance(n, int) and n > 0 for n in sizes):
        raise ValueError(f"vocab_sizes must be positive ints, not {vocab_sizes!r}")
    data = load_corpus(corpus)
    resolve_pivot(data, pivot)
    if not data.aligned:
        raise ValueError("a sweep needs a parallel corpus: every language with the same number of lines")
    n_lines = len(next(iter(data)).lines)
    test = held_out_lines(n_lines, held_out)
    if not test or len(test) == n_lines:
        raise ValueError(f"{n_lines} lines cannot be split with held_out={held_out}; use more lines")
    training = _training_text(data.select_lines([i for i in range(n_lines) if i not in set(test)]))
    trained, seconds, impossible = {}, {}, {}
    for strategy in chosen:
        for size in sizes:
            name = f"{strategy}-{size}"
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # "too few pairs": the table shows the size reached
                    trained[name] = STRATEGIES[strategy].train(training, size)
            except ValueError as error:  # e.g. a Unigram smaller than the corpus's alphabet
                impossible[name] = str(error)
                continue
            seconds[name] = time.perf_counter() - start
    if not trained:
        raise ValueError("no strategy could be trained at these sizes: " + "; ".join(impossible.values()))
    report = compare(trained, corpus=data.select_lines(test), pivot=pivot, alpha=alpha)
    points = []
    for strategy in chosen:
        for size in sizes:
            name = f"{strategy}-{size}"
            if name in impossible:
                continue
            summary = report.summaries[name]
            points.append({"strategy": strategy, "vocab_size": size, "actual_vocab_size": trained[name].vocab_size,
                           **{key: summary[key] for key in SWEEP_MEASURES if key in summary},
                           "train_seconds": seconds[name]})
    return Sweep(chosen, sizes, test, points, report, impossible)


def _training_text(corpus: ParallelCorpus) -> dict:
    return {language.code: [line for line in language.lines if line] for language in corpus}
