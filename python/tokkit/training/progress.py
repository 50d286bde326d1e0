"""Progress bars for training (tqdm, on stderr): bytes while counting, merges while
merging, one bar per stage for Unigram."""

from __future__ import annotations

import sys


def progress_enabled(show_progress) -> bool:
    """True: bars when stderr is a terminal; "always": bars anyway; False: none."""
    if show_progress == "always":
        return True
    if show_progress not in (True, False):
        raise ValueError(f'show_progress must be True, False or "always", not {show_progress!r}')
    return bool(show_progress) and sys.stderr.isatty()


def progress_bar(enabled: bool, **kwargs):
    """A tqdm bar, or None when bars are off."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)


class MergeBar:
    """A bar counting merges, fed the number done so far: ``progress=MergeBar(...)``."""

    def __init__(self, enabled: bool, total=None):
        self.bar = progress_bar(enabled, total=total, desc="merging", unit="merge")

    def __call__(self, merges: int) -> None:
        if self.bar is not None:
            self.bar.update(merges - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class StageBars:
    """One bar per training stage (seeding, each EM round, each pruning), fed
    ``(stage, done, total)``."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage = None
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = progress_bar(True, total=total, desc=stage, unit="step")
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
