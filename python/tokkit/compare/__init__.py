"""Comparing tokenizers across languages.

>>> import tokkit
>>> report = tokkit.compare({"cl100k": tokkit.get_encoding("cl100k_base")},
...                         corpus="udhr/", pivot="eng")                  # doctest: +SKIP
>>> print(report.summary()); print(report.table("premium"))              # doctest: +SKIP
>>> report.to_csv("comparison.csv")                                       # doctest: +SKIP

``tokkit.compare`` is this package, made callable: calling it calls ``compare.compare``,
so ``tokkit.compare(...)`` reads as the task it does, while ``tokkit.compare.metrics``
and the other modules stay importable by name.

Modules: ``metrics`` (every measure, once, with its formula), ``corpus`` (folders,
mappings, the bundled sample; script detection), ``measure`` (``compare``), ``report``
(tables, Markdown, JSON, CSV).
"""

import sys
import types

from .corpus import Language, ParallelCorpus, detect_script, load_corpus
from .measure import compare
from .report import MEASURES, Report
from .table import Table

__all__ = [
    "Language", "MEASURES", "ParallelCorpus", "Report", "Table", "compare", "detect_script", "load_corpus",
]


class _CallableModule(types.ModuleType):
    def __call__(self, tokenizers, **options) -> Report:
        return compare(tokenizers, **options)


sys.modules[__name__].__class__ = _CallableModule
