"""What a cell of an assignment notebook is, read from its nbgrader metadata, and its regions.

Every stage asks the same questions of a cell (which graded part is it, is it a test, did the
student write it, where are its hidden tests), so they are answered here once. The functions take
a notebook as nbformat reads it or as plain JSON (a dict), with a source as one string or as a
list of lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# What a cell is, the grader's rules: public, since the student's check before submitting reads
# the same ones.
from utils.graded import grade_id as grade_id
from utils.graded import is_answer as is_answer
from utils.graded import is_student_code as is_student_code
from utils.graded import is_test as is_test
from utils.graded import kind as kind
from utils.graded import nbgrader as nbgrader
from utils.graded import signature as signature
from utils.graded import source as source

REGIONS = {
    "solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
    "hidden": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
}
"""The markers of the regions that the release leaves out: solutions and hidden tests."""

ESCAPES = (("\\n", "\n"), ("\\t", "\t"), ('\\"', '"'), ("\\'", "'"), ("\\\\", "\\"))
"""The escapes of a printed ``repr`` or a JSON string, undone in this order."""


@dataclass(frozen=True)
class Part:
    """A graded cell of the release: one column of the grades CSV."""

    grade_id: str
    points: float
    manual: bool
    """Graded by hand (a written answer), not by a test cell."""


def parts(nb: Mapping) -> list[Part]:
    """The graded cells of ``nb`` in notebook order."""
    found = []
    for cell in nb.get("cells", []):
        meta = nbgrader(cell)
        if meta.get("grade") and meta.get("grade_id"):
            manual = bool(meta.get("solution")) or cell.get("cell_type") != "code"
            found.append(Part(meta["grade_id"], float(meta.get("points", 0)), manual))
    return found


def regions(text: str, kinds: Iterable[str] = tuple(REGIONS)) -> list[str]:
    """The text of each region of the given kinds in ``text``, markers excluded (a region left
    open runs to the end: what follows a begin marker is never taken for public text)."""
    found: list[str] = []
    for kind_ in kinds:
        begin, end = REGIONS[kind_]
        inside: list[str] | None = None
        for line in text.splitlines():
            if begin in line:
                inside = []
            elif end in line and inside is not None:
                found.append("\n".join(inside))
                inside = None
            elif inside is not None:
                inside.append(line)
        if inside is not None:
            found.append("\n".join(inside))
    return found


def hidden_lines(text: str) -> list[str]:
    """The lines inside the hidden-test regions of ``text``, stripped."""
    return [line.strip() for region in regions(text, ("hidden",)) for line in region.splitlines()]


def without_hidden(text: str, placeholder: str | None = None) -> str:
    """``text`` without its hidden-test regions (what the release shows of a test cell); with
    ``placeholder``, each region is replaced by that line, indented as its marker."""
    begin, end = REGIONS["hidden"]
    lines, hidden = [], False
    for line in text.splitlines():
        if begin in line:
            hidden = True
            if placeholder is not None:
                lines.append(line[: line.index(begin)] + placeholder)
        elif end in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def unescape(text: str) -> str:
    """``text`` with the escapes of a printed ``repr`` undone (see :data:`ESCAPES`)."""
    for escaped, plain in ESCAPES:
        text = text.replace(escaped, plain)
    return text
