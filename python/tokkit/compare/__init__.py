"""Comparing tokenizers across languages.

>>> import tokkit
>>> report = tokkit.compare({"cl100k": tokkit.get_encoding("cl100k_base")},
...                         corpus="udhr/", pivot="eng")                  # doctest: +SKIP
>>> print(report.summary()); print(report.table("premium"))              # doctest: +SKIP
>>> report.save("comparison/")     # Markdown, JSON, CSV, PNG figures, one HTML page  # doctest: +SKIP
>>> tokkit.compare.sweep(strategies=["bpe", "bpe-parity"], vocab_sizes=[500, 1000])  # doctest: +SKIP

``tokkit.compare`` is this package, made callable: calling it calls ``compare.compare``,
so ``tokkit.compare(...)`` and ``tokkit.compare.sweep(...)`` both read as the task they
do, while ``tokkit.compare.metrics`` and the other modules stay importable by name.
(``tokkit.compare.sweep`` is the function; its module's other names import as usual,
``from tokkit.compare.sweep import STRATEGIES``.)

Modules: ``metrics`` (every measure, once, with its formula), ``corpus`` (folders,
mappings, the bundled sample; script detection), ``measure`` (``compare``), ``report``
(tables, Markdown, JSON, CSV), ``plots`` (PNG figures), ``html`` (one self-contained page),
``sweep`` (strategies × vocabulary sizes), ``cli`` (``tokkit compare``).
"""

import sys
import types

from .corpus import Language, ParallelCorpus, detect_script, load_corpus
from .measure import compare
from .report import MEASURES, Report
from .sweep import STRATEGIES, Sweep, available_strategies, sweep
from .table import Table

__all__ = [
    "Language", "MEASURES", "ParallelCorpus", "Report", "STRATEGIES", "Sweep", "Table", "available_strategies",
    "compare", "detect_script", "load_corpus", "sweep",
]


class _CallableModule(types.ModuleType):
    def __call__(self, tokenizers, **options) -> Report:
        return compare(tokenizers, **options)


sys.modules[__name__].__class__ = _CallableModule
