"""A graded course written by hand for the class report's tests and benchmark: a grades CSV and
autograded notebooks (the release with a student's answer cells and the error outputs a grader
would have left), without running the grader.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

from grading import cells, course
from grading.outputs import table

A1 = "a1_cnn"


def release(assignment: str = A1) -> dict:
    return json.loads((course.paths().release(assignment)).read_text())


def graded_parts(nb: dict) -> dict[str, float]:
    """grade id -> points of every graded cell, in notebook order."""
    return {p.grade_id: p.points for p in cells.parts(nb)}


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
    rows = []
    for i, s in enumerate(students):
        if s.notebook:
            path = course.paths(root).autograded(s.name, assignment)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(autograded_notebook(rel, s)), encoding="utf-8")
        scores = s.scores(points)
        rows.append({
            "student": s.name, "score": sum(v for v in scores.values() if v is not None),
            "max_score": sum(points.values()),
            **{gid: "" if v is None else v for gid, v in scores.items()},
            "needs_manual_grade": bool(s.awaiting),
            "seconds": "" if s.seconds is None else f"{s.seconds:.1f}", "notes": s.notes,
            "name": s.name.title(), "lms_id": f"LMS{1000 + i}", "penalty": "0",
            "submitted_at": "2026-03-02T23:59:00+09:00",
        })  # fmt: skip
    return table.write(course.paths(root).grades(assignment), cells.parts(rel), rows)
