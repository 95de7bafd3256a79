"""What the class report reads besides the grades CSV (:mod:`grading.outputs.table`): the
failure messages of the autograded notebooks, grouped across the class, and each part's
statistics."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grading import cells
from grading.cells import Part
from grading.outputs.table import Row

MESSAGE_CHARS = 400
"""A failure message is cut to this many characters before it is grouped."""
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
"""A number that is not part of a name (``conv2d``, ``a1_cnn`` keep their digits)."""


def read_json(path: Path) -> dict | None:
    """A notebook as plain JSON, or None when it is missing or not readable."""
    try:
        with path.open(encoding="utf-8") as f:
            nb = json.load(f)
    except (OSError, ValueError):
        return None
    return nb if isinstance(nb, dict) and isinstance(nb.get("cells"), list) else None


def notebook_path(autograded: Path, student: str, assignment: str) -> Path:
    """``autograded/<student>/<assignment>/<assignment>.ipynb``, in whichever Unicode form of the
    student's name the folder has on disk."""
    for form in ("NFC", "NFD"):
        path = (
            autograded / unicodedata.normalize(form, student) / assignment / f"{assignment}.ipynb"
        )
        if path.exists():
            return path
    return autograded / student / assignment / f"{assignment}.ipynb"


def failures(nb: Mapping, tests: set[str]) -> dict[str, list[str]]:
    """The error outputs (``ename: evalue``) of each graded test cell of an autograded notebook."""
    found: dict[str, list[str]] = {}
    for cell in nb.get("cells", []):
        gid = cells.nbgrader(cell).get("grade_id")
        if cell.get("cell_type") != "code" or gid not in tests:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                ename, evalue = str(out.get("ename", "")), str(out.get("evalue", ""))
                message = f"{ename}: {evalue}" if evalue.strip() else ename
                found.setdefault(gid, []).append(" ".join(message.split())[:MESSAGE_CHARS])
    return found


def normalise(message: str) -> str:
    """The message with every number replaced by ``#``: "max abs difference 0.31" and "0.27"
    are one kind of failure."""
    return NUMBER.sub("#", message)


@dataclass
class FailureGroup:
    """One kind of failure of one test cell, and who hit it."""

    pattern: str
    examples: list[str]
    students: list[str]


def group_failures(
    per_student: Mapping[str, Mapping[str, list[str]]],
) -> dict[str, list[FailureGroup]]:
    """For each test cell, its kinds of failure, the most frequent first (by students)."""
    groups: dict[str, dict[str, FailureGroup]] = defaultdict(dict)
    for student in sorted(per_student):
        for gid, messages in per_student[student].items():
            for message in messages:
                key = normalise(message)
                group = groups[gid].setdefault(key, FailureGroup(key, [], []))
                if student not in group.students:
                    group.students.append(student)
                if message not in group.examples:
                    group.examples.append(message)
    return {
        gid: sorted(found.values(), key=lambda g: (-len(g.students), g.pattern))
        for gid, found in groups.items()
    }


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True)
class PartStats:
    """How the class did on one part."""

    part: Part
    scores: list[float]
    """The points of every student who has a score for it."""
    awaiting: int
    """Students without a score: awaiting manual grading (a written answer) or not graded."""

    @property
    def passed(self) -> int:
        """Students with the part's full points."""
        return sum(1 for s in self.scores if s >= self.part.points)

    @property
    def pass_rate(self) -> float | None:
        """Passed over those with a score, or None when no one has one yet."""
        return self.passed / len(self.scores) if self.scores else None

    @property
    def mean(self) -> float | None:
        """The mean score of those with a score."""
        return sum(self.scores) / len(self.scores) if self.scores else None


def part_stats(part: Part, rows: list[Row]) -> PartStats:
    """A part's scores over the class. A test cell without a score counts as 0 (it was not
    graded: an unreadable notebook); a written answer without one awaits its grade."""
    scores, awaiting = [], 0
    for row in rows:
        value = row.parts.get(part.grade_id)
        if value is None and part.manual:
            awaiting += 1
        else:
            scores.append(value or 0.0)
    return PartStats(part, scores, awaiting)
