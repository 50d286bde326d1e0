"""``python -m tokkit``: the same as the ``tokkit`` command."""

import sys

from .cli import main

sys.exit(main())
