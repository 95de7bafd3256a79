"""A graded course written by hand for the class report's tests and benchmark: a grades CSV and
autograded notebooks (the release with a student's answer cells and the error outputs a grader
would have left), without running the grader.
"""

from __future__ import annotations

import copy
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from grading import course

A1 = "a1_cnn"
EXTRA_COLUMNS = ["name", "lms_id", "late", "penalty", "submitted_at"]
"""Columns the CSV may carry besides the report's own; the report must take them in stride."""


def release(assignment: str = A1) -> dict:
    return json.loads((course.RELEASE / assignment / f"{assignment}.ipynb").read_text())


def graded_parts(nb: dict) -> dict[str, float]:
    """grade id -> points of every graded cell, in notebook order."""
    found = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            found[meta["grade_id"]] = float(meta["points"])
    return found


@dataclass
class Student:
    """One submission: its answer cells, failures, and its row of the CSV."""

    name: str
    cells: dict[str, str] = field(default_factory=dict)
    """grade id -> source of an answer cell (the release's stub where absent)."""
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    """test cell -> (ename, evalue) of its error output; that part scores 0."""
    partial: dict[str, float] = field(default_factory=dict)
    """Points of a part other than full or 0 (a written answer graded, a training part's 10)."""
    awaiting: set[str] = field(default_factory=set)
    """Parts without a score yet (written answers awaiting manual grading)."""
    added: list[str] = field(default_factory=list)
    """Code cells the student added at the end."""
    seconds: float | None = 30.0
    notes: str = ""
    notebook: bool = True
    """False: no autograded notebook (an unreadable submission, graded 0)."""

    def scores(self, points: dict[str, float]) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for gid, full in points.items():
            if gid in self.awaiting:
                out[gid] = None
            elif not self.notebook or gid in self.failures:
                out[gid] = 0.0
            else:
                out[gid] = self.partial.get(gid, full)
        return out


def autograded_notebook(rel: dict, student: Student) -> dict:
    """The release with the student's cells, executed: each test cell passed or failed."""
    nb = copy.deepcopy(rel)
    count = 0
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        gid = meta.get("grade_id")
        if cell["cell_type"] != "code":
            continue
        count += 1
        cell["execution_count"] = count
        if gid in student.cells:
            cell["source"] = student.cells[gid]
        if meta.get("grade") and gid in student.failures:
            ename, evalue = student.failures[gid]
            cell["outputs"] = [{"output_type": "error", "ename": ename, "evalue": evalue,
                                "traceback": [f"{ename}: {evalue}"]}]  # fmt: skip
        elif meta.get("grade"):
            cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                "text": "visible test passed\n"}]  # fmt: skip
    for source in student.added:
        count += 1
        nb["cells"].append({"cell_type": "code", "execution_count": count, "metadata": {},
                            "outputs": [], "source": source})  # fmt: skip
    return nb


def write_course(root: Path, students: list[Student], assignment: str = A1) -> Path:
    """Write the release, the autograded notebooks and grades/<assignment>.csv under ``root``;
    return the CSV's path. The CSV's rows are in the order of ``students``."""
    rel = release(assignment)
    (root / "assignments" / assignment).mkdir(parents=True, exist_ok=True)
    (root / "assignments" / assignment / f"{assignment}.ipynb").write_text(json.dumps(rel))
    points = graded_parts(rel)
    header = ["student", "score", "max_score", *points, "needs_manual_grade", "seconds", "notes",
              *EXTRA_COLUMNS]  # fmt: skip
    (root / "grades").mkdir(exist_ok=True)
    out = root / "grades" / f"{assignment}.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for i, s in enumerate(students):
            if s.notebook:
                path = root / "autograded" / s.name / assignment / f"{assignment}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(autograded_notebook(rel, s)), encoding="utf-8")
            scores = s.scores(points)
            total = sum(v for v in scores.values() if v is not None)
            writer.writerow([
                s.name, total, sum(points.values()),
                *("" if v is None else v for v in scores.values()),
                bool(s.awaiting), "" if s.seconds is None else f"{s.seconds:.1f}", s.notes,
                s.name.title(), f"LMS{1000 + i}", "", "0", "2026-03-02T23:59:00+09:00",
            ])  # fmt: skip
    return out
