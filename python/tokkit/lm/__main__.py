"""``python -m tokkit.lm COMMAND ...``: the same as ``tokkit lm COMMAND ...``."""

import sys

from .cli import main

sys.exit(main(["lm", *sys.argv[1:]]))
