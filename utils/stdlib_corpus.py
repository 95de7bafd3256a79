"""Build the bundled text corpus from this Python's standard library (maintainers only).

:func:`utils.sequences.stdlib_text` reads the English docstrings and comments of the standard
library from a file in the package, ``utils/corpus/stdlib_prose.txt.gz``. The file was extracted
once, from Python 3.11, so that every Python (Colab's included) trains on the same text and the
numbers printed in the chapters and the thresholds of the assignments hold everywhere. This module
is how it was extracted, and the one way to rebuild it::

    python -m utils.stdlib_corpus           # rewrite the bundled file (refuses on another Python)

The text changes from one Python version to the next. Rebuilding on another version is a change of
the course's data: the losses printed in chapters 5 and 7 and the thresholds of assignment 2 have to
be measured again on the new text.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import io
import sys
import sysconfig
import tokenize
from collections.abc import Sequence
from pathlib import Path

from utils.sequences import CORPUS_RESOURCE

SOURCE_PYTHON = (3, 11)
"""The Python version whose standard library the bundled corpus was extracted from."""

# Pure-Python standard-library modules with plenty of English prose, in a fixed order.
CORPUS_MODULES = (
    "argparse", "ast", "asyncio/events", "asyncio/tasks", "calendar", "collections/__init__",
    "contextlib", "csv", "dataclasses", "datetime", "decimal", "difflib", "email/message",
    "enum", "fractions", "functools", "glob", "gzip", "heapq", "http/client", "http/server",
    "inspect", "ipaddress", "json/decoder", "json/encoder", "logging/__init__", "mailbox",
    "os", "pathlib", "pickle", "pydoc", "queue", "random", "shutil", "smtplib", "socket",
    "statistics", "string", "subprocess", "tarfile", "tempfile", "textwrap", "threading",
    "typing", "unittest/case", "urllib/parse", "urllib/request", "uuid", "zipfile",
)  # fmt: skip

BUNDLED = Path(__file__).resolve().parent / CORPUS_RESOURCE
"""The bundled corpus in this source tree."""


def _prose(source: str) -> list[str]:
    """Docstrings and comment lines of one module's source, in order of appearance."""
    pieces: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node)
            if doc and node.body:
                pieces.append((node.body[0].lineno, doc))
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string.lstrip("#").strip()
        if tok.type == tokenize.COMMENT and len(text.split()) >= 3 and text.isascii():
            pieces.append((tok.start[0], text))
    return [text for _, text in sorted(pieces, key=lambda p: p[0])]


def extract_stdlib_prose(modules: Sequence[str] = CORPUS_MODULES) -> str:
    """The docstrings and comments of ``modules``, read from this Python's own ``Lib`` folder.

    Pieces are joined by blank lines, module after module; a module this Python lacks is skipped.
    Raises ``FileNotFoundError`` when none of them exists.
    """
    lib = Path(sysconfig.get_paths()["stdlib"])
    chunks: list[str] = []
    for name in modules:
        path = lib / f"{name}.py"
        if path.exists():  # a module may move between Python versions
            chunks.extend(_prose(path.read_text(encoding="utf-8")))
    if not chunks:
        raise FileNotFoundError(f"no standard-library sources found under {lib}")
    return "\n\n".join(chunks)


def write_corpus(text: str, path: str | Path = BUNDLED) -> Path:
    """Write ``text`` as UTF-8, gzipped with no time stamp: the same text gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m utils.stdlib_corpus [--output PATH] [--any-python]``: rebuild the corpus."""
    parser = argparse.ArgumentParser(prog="python -m utils.stdlib_corpus", description=__doc__)
    parser.add_argument("--output", type=Path, default=BUNDLED, help="where to write the file")
    parser.add_argument("--any-python", action="store_true", help="allow another Python version")
    args = parser.parse_args(argv)
    version = ".".join(map(str, SOURCE_PYTHON))
    if sys.version_info[:2] != SOURCE_PYTHON and not args.any_python:
        parser.error(f"the bundled corpus comes from Python {version}; this is {sys.version}")
    text = extract_stdlib_prose()
    path = write_corpus(text, args.output)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    print(f"{path}: {len(text):,} characters, {path.stat().st_size:,} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
