"""The grades CSV, ``grades/<assignment>.csv``: its columns, written and read by this one module.

One row per student: who (``student``, and from a roster ``name``, ``email``, ``lms_id``), when
(``submitted_at``, ``versions``, ``late``), the totals (``score``, the late ``penalty``,
``final_score``, ``max_score``), one column per graded part (points, or ``awaiting grading`` for
a written answer not graded yet, never 0), ``needs_manual_grade``, ``seconds`` and ``notes``.
Any other column (an instructor's own) is kept by the reader and shown in the class report.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grading.cells import Part

AWAITING = "awaiting grading"
"""The value of a part that waits for its manual grade."""
IDENTITY = ("student", "name", "email", "lms_id")
TIMING = ("submitted_at", "versions", "late", "score", "penalty", "final_score", "max_score")
TRAILING = ("needs_manual_grade", "seconds", "notes")


def header(parts: Iterable[Part]) -> list[str]:
    """The CSV's columns for an assignment with these graded parts."""
    return [*IDENTITY, *TIMING, *(p.grade_id for p in parts), *TRAILING]


def write(path: Path, parts: Iterable[Part], rows: Iterable[dict]) -> Path:
    """Write ``rows`` (dicts by column; a missing column is empty) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header(parts), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass
class Row:
    """One student's row of the CSV."""

    student: str
    score: float
    """The total: ``final_score`` (after a late penalty) where the CSV has one, else ``score``."""
    max_score: float | None
    parts: dict[str, float | None]
    """Points per part; None where the CSV has none (awaiting manual grading, or not graded)."""
    needs_manual_grade: bool
    seconds: float | None
    notes: str
    values: dict[str, str] = field(default_factory=dict)
    """Every column of the row as the CSV has it."""


def number(text: str | None) -> float | None:
    """A cell's number; None for an empty cell, ``awaiting grading`` or anything else."""
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def flag(text: str | None) -> bool:
    """A boolean column as :func:`write` writes it (``True``/``False``)."""
    return str(text).strip().lower() == "true"


def read(path: Path, parts: Iterable[Part]) -> tuple[list[str], list[Row]]:
    """The CSV's header and rows; ``parts`` names the columns that are graded parts."""
    parts = list(parts)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        if "student" not in columns:
            raise SystemExit(f"{path}: no 'student' column (columns: {', '.join(columns)})")
        rows = []
        for values in reader:
            values = {k: v or "" for k, v in values.items() if k is not None}
            rows.append(
                Row(
                    student=values["student"],
                    score=number(values.get("final_score") or values.get("score")) or 0.0,
                    max_score=number(values.get("max_score")),
                    parts={p.grade_id: number(values.get(p.grade_id)) for p in parts},
                    needs_manual_grade=flag(values.get("needs_manual_grade")),
                    seconds=number(values.get("seconds")),
                    notes=values.get("notes", ""),
                    values=values,
                )
            )
    return columns, rows
