"""The examples in tokkit.lm's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

MODULES = ["", ".layers", ".model", ".optim", ".data", ".checkpoint", ".train", ".generate", ".evaluate",
           ".parallel", ".scaling"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module("tokkit.lm" + name)
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in tokkit.lm{name}"
