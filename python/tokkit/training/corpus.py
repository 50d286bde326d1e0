"""Corpora for training: what a corpus argument can be, and feeding one to a counter.

A corpus is a path, a glob, a list of paths or globs (plain text, ``.gz``, or JSON Lines
``.jsonl``/``.ndjson`` with the text in ``text_field``), or any iterable of ``str``
documents. Files are read by the Rust engine in chunks, with the GIL released, so a corpus
larger than memory streams through; memory grows with the number of distinct pieces
counted.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union

from .progress import progress_bar

Corpus = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]], Iterable[str]]

_JSON_LINES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_BATCH_BYTES = 8 << 20


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _expand(item: Union[str, os.PathLike]) -> list[Path]:
    text = os.fspath(item)
    if _has_glob(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not found:
            raise FileNotFoundError(f"no files match {text!r}")
        return found
    path = Path(text)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; pass a glob such as {str(path / '*.txt')!r}")
    if not path.exists():
        raise FileNotFoundError(f"no such corpus file: {path}")
    return [path]


def corpus_files(items: Iterable[Union[str, os.PathLike]]) -> list[Path]:
    """Every item taken as a path or a glob (as on a command line): the files they name."""
    return [path for item in items for path in _expand(item)]


def looks_like_path(item: object) -> bool:
    if isinstance(item, os.PathLike):
        return True
    if not isinstance(item, str) or "\n" in item or len(item) > 4096:
        return False
    try:
        return (_has_glob(item) and bool(glob.glob(item, recursive=True))) or Path(item).is_file()
    except OSError:  # a name too long for the file system: a document, not a path
        return False


def resolve_corpus(corpus: Corpus) -> Union[list[Path], Iterable[str]]:
    """Files (a list of Paths) or documents (an iterable of str).

    A str or Path is a file or a glob. A list or tuple is files when every item names a
    file or matches one, and documents when none does; a mix is an error. Any other
    iterable (a generator, a dataset column) is documents.
    """
    if isinstance(corpus, (str, os.PathLike)):
        return _expand(corpus)
    if isinstance(corpus, (bytes, bytearray)):
        raise TypeError("corpus must be paths, globs or str documents, not bytes")
    if isinstance(corpus, (list, tuple)):
        kinds = [looks_like_path(item) for item in corpus]
        if corpus and all(kinds):
            return corpus_files(corpus)
        if not any(kinds):
            return corpus
        missing = [item for item, is_path in zip(corpus, kinds) if not is_path][:3]
        raise FileNotFoundError(
            f"some corpus items are files and some are not ({missing!r} are not); pass only paths "
            f"and globs, or only text documents"
        )
    if isinstance(corpus, Iterable):
        return corpus
    raise TypeError(f"corpus must be a path, a glob, a list of them, or an iterable of str, not {type(corpus).__name__}")


def _file_spec(path: Path, text_field: str) -> tuple[str, Optional[str]]:
    name = path.name.lower()
    return (str(path), text_field if name.endswith(_JSON_LINES) else None)


def _batches(documents: Iterable[str]) -> Iterator[list[str]]:
    batch, size = [], 0
    for i, document in enumerate(documents):
        if not isinstance(document, str):
            raise TypeError(f"corpus documents must be str; item {i} is {type(document).__name__}")
        batch.append(document)
        size += len(document)
        if size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def feed(counter, corpus: Corpus, *, errors: str, text_field: str, enabled: bool, threads: Optional[int]):
    """Feeds a corpus to a core counter (anything with ``add_files`` and ``add_documents``),
    with a progress bar in bytes: files are read in parallel in Rust, other sources in
    batches of documents."""
    source = resolve_corpus(corpus)
    if isinstance(source, list) and all(isinstance(p, Path) for p in source):
        size = sum(p.stat().st_size for p in source)
        bar = progress_bar(enabled, total=size, unit="B", unit_scale=True, desc="counting")
        try:
            counter.add_files([_file_spec(p, text_field) for p in source], errors=errors, threads=threads,
                              progress=bar.update if bar is not None else None)
        finally:
            if bar is not None:
                bar.close()
        return
    bar = progress_bar(enabled, unit="B", unit_scale=True, desc="counting")
    try:
        for batch in _batches(source):
            counter.add_documents(batch, threads=threads)
            if bar is not None:
                bar.update(sum(len(d) for d in batch))
    finally:
        if bar is not None:
            bar.close()
