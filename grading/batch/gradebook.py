"""The gradebook stage: nbgrader's database, read and written by the coordinator only.

Workers never open ``gradebook.db``: the coordinator prepares each submission from it (test and
read-only cells restored from the stored source, hidden tests included) and stores the scores of
each executed notebook as it comes back, in one process, so that parallel grading cannot race
on the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import tempfile
import warnings
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config, PyFileConfigLoader

from grading import course
from grading.intake import repair
from grading.outputs import sanitize

# nbgrader's own API warns about its session handling on every new submission; it is harmless
warnings.filterwarnings("ignore", message="Object of type <Submitted", category=SAWarning)


def _stamp() -> Path:
    """Hash of the source notebooks last stored in the gradebook (git-ignored with it)."""
    return course.ROOT / ".gradebook-source"


SANITIZE = (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata)
STORE = (IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, CheckCellMetadata)
"""nbgrader's own autograde preprocessors, before and after execution (its ``Execute`` is
replaced by the sandbox run)."""


def db_url() -> str:
    return f"sqlite:///{course.paths().gradebook}"


def source_hash(assignment: str) -> str:
    """Hash of the assignment's source notebook: changes when a test or its points change."""
    return hashlib.sha256(course.paths().source(assignment).read_bytes()).hexdigest()


def refresh(assignment: str) -> bool:
    """Store the source notebook's cells (hidden tests included) in the gradebook, if it
    changed since they were last stored. True if it was stored now.

    nbgrader restores test cells from the gradebook, which is not kept in the repository, so
    it is filled from ``solutions/``; the release goes to a scratch folder.
    """
    stamps = _read_stamps()
    digest = source_hash(assignment)
    if stamps.get(assignment) == digest and course.paths().gradebook.exists():
        return False
    with tempfile.TemporaryDirectory() as scratch:
        result = course.nbgrader(
            "generate_assignment", assignment, "--force",
            f"--CourseDirectory.release_directory={scratch}",
        )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(
            f"{assignment}: nbgrader generate_assignment failed:\n{result.stderr[-3000:]}"
        )
    stamps[assignment] = digest
    _stamp().write_text("".join(f"{a} {h}\n" for a, h in sorted(stamps.items())))
    return True


def _read_stamps() -> dict[str, str]:
    if not _stamp().exists():
        return {}
    return dict(line.split(" ", 1) for line in _stamp().read_text().split("\n") if " " in line)


def _resources(assignment: str, student: str) -> dict:
    return {
        "nbgrader": {
            "db_url": db_url(), "assignment": assignment, "notebook": assignment,
            "student": student,
        }
    }  # fmt: skip


@functools.cache
def course_config() -> Config:
    """nbgrader_config.py, as nbgrader itself loads it (per-cell limit, output limit, ...)."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(course.ROOT)).load_config()


def _apply(steps, nb, resources):
    for step in steps:  # called, not .preprocess(): a disabled step is skipped, as in nbgrader
        nb, resources = step(config=course_config())(nb, resources)
    return nb


def _utc(when: dt.datetime | None) -> dt.datetime | None:
    """nbgrader keeps times as naive UTC."""
    return None if when is None else when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def set_due(assignment: str, due: dt.datetime | None) -> None:
    """The assignment's due date, as nbgrader's formgrader shows it."""
    with Gradebook(db_url(), course_id="itm528") as gb:
        gb.update_or_create_assignment(assignment, duedate=_utc(due))


def prepare(
    assignment: str, student: str, path: Path, submitted: dt.datetime | None = None
) -> dict:
    """The notebook to execute for ``student``: outputs cleared, read-only and test cells
    restored from the gradebook (hidden tests included), the course's kernel."""
    with Gradebook(db_url(), course_id="itm528") as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student, timestamp=_utc(submitted))
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nb = _apply(SANITIZE, nb, _resources(assignment, student))
    return nb


def store(assignment: str, student: str, executed: dict, banner: str = "") -> list[str]:
    """Save the executed notebook's scores in the gradebook and the notebook itself in
    ``autograded/<student>/<assignment>/`` (where nbgrader's feedback and the formgrader read
    it), with ``banner`` (when it was submitted, how late) as its first cell and every active
    construct of the student's HTML removed (a TA opens it); return notes of what was removed."""
    nb = nbformat.from_dict(executed)
    repair.without_surrogates(nb)  # what the kernel printed may not be writable as UTF-8
    nb = _apply(STORE, nb, _resources(assignment, student))
    if banner:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(banner))
    notes = sanitize.notebook(nb, sanitize.released_text(assignment))
    out = course.paths().autograded(student, assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return notes


def set_penalty(assignment: str, student: str, points: float) -> None:
    """Points taken off for lateness, where nbgrader's feedback and formgrader read them."""
    with Gradebook(db_url(), course_id="itm528") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        notebook.late_submission_penalty = points or None
        gb.db.commit()


def scores(assignment: str) -> dict[str, dict]:
    """Per student: total score, maximum, per-cell scores and whether manual grading is due."""
    rows: dict[str, dict] = {}
    with Gradebook(db_url(), course_id="itm528") as gb:
        max_score = gb.find_assignment(assignment).max_score
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = {
                g.name: None if g.needs_manual_grade else g.score
                for nb in sub.notebooks
                for g in nb.grades
            }
            rows[student.id] = {
                "score": sub.score, "max_score": max_score, "cells": cells,
                "needs_manual_grade": sub.needs_manual_grade,
            }  # fmt: skip
    return rows
