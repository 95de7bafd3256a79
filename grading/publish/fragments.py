"""The fragment scan: no file of the public copy holds any piece of a solution or a hidden test.

A *secret* is any run of ``WINDOW`` characters (after whitespace is normalised) of a solution
region (``### BEGIN SOLUTION`` … ``### END SOLUTION``) or a hidden-test region (``### BEGIN HIDDEN
TESTS`` … ``### END HIDDEN TESTS``) of a source notebook in ``solutions/``, unless the public
material (the released assignments, the book's chapters and pages, ``utils``) shows that same run
itself. Every file is read as it is and also as a reader would see it: a notebook's strings
decoded from JSON, an HTML page without its tags, escaped newlines and quotes undone.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import nbformat

from grading import cells
from questions import instructor_fragments

WINDOW = 40
"""The length of a fragment: any run this long of a secret region is a leak."""

PUBLIC_GLOBS = ("assignments/**/*.ipynb", "assignments/**/*.md", "book/**/*.ipynb",
                "book/**/*.md", "intro.md", "utils/*.py")  # fmt: skip
"""What the public release shows on purpose: a secret run found here is no secret."""

BINARY = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".otf",
          ".pdf", ".zip", ".gz", ".pickle", ".db", ".sqlite", ".pyc"}  # fmt: skip


class Finding(NamedTuple):
    path: str  # relative to the scanned folder
    fragment: str  # the first secret run found in it

    def __str__(self) -> str:
        return f"{self.path}: {self.fragment!r}"


def normalise(text: str) -> str:
    """``text`` with every run of whitespace turned into one space."""
    return " ".join(text.split())


def windows(text: str) -> Iterator[str]:
    """Every run of ``WINDOW`` characters of ``text`` with its whitespace normalised (a space at
    either end of ``text`` is kept)."""
    text = re.sub(r"\s+", " ", text)
    return (text[i : i + WINDOW] for i in range(len(text) - WINDOW + 1))


def public_texts(root: Path) -> list[str]:
    """The sources that the public release shows on purpose."""
    texts = []
    for pattern in PUBLIC_GLOBS:
        for path in sorted(root.glob(pattern)):
            if path.suffix == ".ipynb":
                texts += [c.source for c in nbformat.read(path, as_version=4).cells]
            else:
                texts.append(path.read_text())
    return texts


def rendered(markdown: str) -> str:
    """Roughly the text a page shows for ``markdown``: no backticks, emphasis or list bullets."""
    text = markdown.replace("`", "").replace("**", "")
    return re.sub(r"(?m)^[ \t]*(?:[-*+]|\d+\.)[ \t]+", "", text)


def secret_windows(root: Path, kinds: Iterable[str] = tuple(cells.REGIONS)) -> set[str]:
    """Every ``WINDOW``-character run of the given regions of ``root/solutions/*/*.ipynb`` that
    the public material under ``root`` does not show itself."""
    kinds = tuple(kinds)
    secrets: set[str] = set()
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for region in cells.regions(cell.source, kinds):
                secrets.update(windows(region))
    secrets.update(instructor_fragments(root))  # the exam questions of solutions/exam_bank/
    for text in public_texts(root):
        # its ends count as whitespace (it may stand next to anything)
        for shown in {text, rendered(text)}:
            secrets.difference_update([w for w in windows(f" {shown} ") if w in secrets])
    return secrets


def _strings(obj) -> list[str]:
    """Every string in a JSON document, a notebook's multi-line source list joined into one."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, list) and obj and all(isinstance(x, str) for x in obj):
        return ["".join(obj)]
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else []
    return [s for v in values for s in _strings(v)]


def readings(path: Path) -> list[str]:
    """The ways a file's text can be read: a JSON file (a notebook) as each of its strings, an
    HTML page as it is and as its text, any other file as it is; each also with escaped
    newlines and quotes undone where it has any."""
    raw = path.read_text(errors="ignore")
    texts = [raw]
    if path.suffix in {".ipynb", ".json"}:
        with contextlib.suppress(ValueError):
            texts = _strings(json.loads(raw))
    elif path.suffix in {".html", ".htm", ".xml", ".svg"}:
        texts.append(html.unescape(re.sub(r"<[^>]+>", "", raw)))
    return texts + [u for u in map(cells.unescape, texts) if u not in texts]


def first_secret(text: str, secrets: set[str]) -> str | None:
    """The first secret run in ``text``, or None."""
    return next((w for w in windows(text) if w in secrets), None)


def scan(folder: Path, secrets: set[str]) -> list[Finding]:
    """One finding for each file under ``folder`` that contains a secret run."""
    if not secrets:
        raise ValueError("no secret runs to look for: the scan would prove nothing")
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() in BINARY or ".git" in path.relative_to(folder).parts:
            continue
        for text in readings(path):
            if (fragment := first_secret(text, secrets)) is not None:
                found.append(Finding(path.relative_to(folder).as_posix(), fragment))
                break
    return found
