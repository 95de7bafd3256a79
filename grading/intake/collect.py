"""Intake of submissions: new files from an inbox into each student's history."""

from __future__ import annotations

from pathlib import Path

from grading import course
from grading.intake import history, identity


def collect(assignment: str, source: Path | None) -> tuple[list[str], list[str]]:
    """Take new submissions into the history; return the students with one, and the problems.

    ``source`` is either nbgrader's own layout (``<source>/<student>/<assignment>/*.ipynb``,
    with its ``timestamp.txt``) or a folder of ``<student>.ipynb`` files, as downloaded from
    Colab or an LMS. Ids and collisions are settled for the whole folder before anything is
    kept, and whatever cannot be taken (a ``.txt``, an unusable name) is reported, not fatal.
    Without ``source``, what is already in ``submitted/`` is graded.
    """
    problems: list[str] = []
    if source is not None:
        source = Path(source)
        if not source.is_dir():
            raise SystemExit(f"submissions folder {source} does not exist")
        items, nested = [], set()
        for path in sorted(source.iterdir()):
            inner = path / assignment / f"{assignment}.ipynb"
            if path.is_file() and path.suffix == ".ipynb":
                items.append((path.stem, path))
            elif path.is_dir() and inner.is_file():
                items.append((path.name, inner))
                nested.add(inner)
            elif not path.name.startswith("."):
                what = (
                    "a folder without " + f"{assignment}/{assignment}.ipynb"
                    if path.is_dir()
                    else "not a notebook"
                )
                problems.append(f"{path.name}: ignored ({what})")
        if not items:
            raise SystemExit(
                f"no submissions in {source}: expected <student>.ipynb files or "
                f"<student>/{assignment}/{assignment}.ipynb"
            )
        found = identity.identify(items)
        problems += found.problems
        for student, path in found.by_student.items():
            when = history.timestamp_of(path) if path in nested else None
            history.add(student, assignment, path, when)
    for path in sorted(course.paths().submitted_dir.glob(f"*/{assignment}/{assignment}.ipynb")):
        student = path.parent.parent.name  # placed by hand or by nbgrader: keep it too
        if not history.versions(student, assignment):
            history.add(student, assignment, path, history.timestamp_of(path))
    students = sorted(
        p.parent.parent.name
        for p in course.paths().submitted_dir.glob(f"*/{assignment}.history/history.json")
    )
    return students, problems
