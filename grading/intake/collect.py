"""Intake of submissions: new files from an inbox into each student's history.

Only regular files inside the inbox are read. A symbolic link, to a file or to a folder, at
any level of the layout, is reported and never opened: a link to ``solutions/`` would
otherwise be graded as a student, and its solution shown in that student's feedback. A file
with a second name elsewhere (a hard link) is refused alike.

A submission's time is one the student cannot write: when ``make grade`` first took the file
in. The ``timestamp.txt`` beside a notebook in nbgrader's layout is written by whoever made
the folder (nbgrader's exchange, or a student who hands in the folder); it is read only when
the instructor says it came from nbgrader's exchange (``trust_timestamps``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grading import course
from grading.intake import history, identity, terminal

IGNORED_STAMPS = (
    "{} timestamp.txt ignored: a submission's time is when it was first taken in; "
    "TRUST_TIMESTAMPS=1 (--trust-timestamps) takes it from nbgrader's exchange instead"
)


def collect(
    assignment: str, source: Path | None, trust_timestamps: bool = False
) -> tuple[list[str], list[str]]:
    """Take new submissions into the history; return the students with one, and the problems.

    ``source`` is either nbgrader's own layout (``<source>/<student>/<assignment>/*.ipynb``)
    or a folder of ``<student>.ipynb`` files, as downloaded from Colab or an LMS. Ids and
    collisions are settled for the whole folder before anything is kept, and whatever cannot
    be taken (a ``.txt``, an unusable name, a link) is reported, not fatal. Without
    ``source``, what is already in ``submitted/`` is graded. Each problem is safe to print.
    """
    problems: list[str] = []
    if source is not None:
        problems += _take_inbox(assignment, Path(source), trust_timestamps)
    problems += _take_submitted(assignment, trust_timestamps)
    students = sorted(
        p.parent.parent.name
        for p in course.paths().submitted_dir.glob(f"*/{assignment}.history/history.json")
    )
    return students, [terminal.safe(problem) for problem in problems]


def _take_inbox(assignment: str, source: Path, trust_timestamps: bool) -> list[str]:
    """The inbox's notebooks into the history; the problems found."""
    if not source.is_dir():
        raise SystemExit(f"submissions folder {terminal.safe(str(source))} does not exist")
    items, nested, problems = [], set(), []
    for path in sorted(source.iterdir()):
        if path.name.startswith("."):
            continue
        inner = path / assignment / f"{assignment}.ipynb"
        refused = refusal(source, [path, path / assignment, inner] if path.is_dir() else [path])
        if refused:
            problems.append(refused)
        elif path.is_file() and path.suffix == ".ipynb":
            items.append((path.stem, path))
        elif path.is_dir() and inner.is_file():
            items.append((path.name, inner))
            nested.add(inner)
        else:
            what = f"a folder without {assignment}/{assignment}.ipynb" if path.is_dir() else ""
            problems.append(f"{path.name}: ignored ({what or 'not a notebook'})")
    if not items:
        raise SystemExit(terminal.safe(
            f"no submissions in {source}: expected <student>.ipynb files or "
            f"<student>/{assignment}/{assignment}.ipynb" + "".join(f"\n  {p}" for p in problems)
        ))  # fmt: skip
    found = identity.identify(items)
    ignored = 0
    for student, path in found.by_student.items():
        stamped = path in nested and (path.parent / "timestamp.txt").exists()
        when = history.timestamp_of(path) if stamped and trust_timestamps else None
        if history.add(student, assignment, path, when) and stamped and not trust_timestamps:
            ignored += 1
    return problems + found.problems + ([IGNORED_STAMPS.format(ignored)] if ignored else [])


def _take_submitted(assignment: str, trust_timestamps: bool) -> list[str]:
    """Notebooks placed in ``submitted/`` by hand or by nbgrader's exchange, kept too."""
    problems = []
    root = course.paths().submitted_dir
    for path in sorted(root.glob(f"*/{assignment}/{assignment}.ipynb")):
        student = path.parent.parent.name
        if history.versions(student, assignment):
            continue
        refused = refusal(root, [path.parent.parent, path.parent, path])
        if refused:
            problems.append(refused)
            continue
        when = history.timestamp_of(path) if trust_timestamps else None
        history.add(student, assignment, path, when)
    return problems


def refusal(root: Path, chain: list[Path]) -> str | None:
    """Why the file at the end of ``chain`` (each folder on the way to it, from ``root``) may
    not be read, or None: a link at any step, a place outside ``root``, a second name."""
    for step in chain:
        if step.is_symlink():
            return f"{_shown(root, step)}: ignored (a symbolic link)"
        if not step.exists():
            return None  # not a submission of this layout: reported as such by the caller
        if not step.resolve().is_relative_to(root.resolve()):
            return f"{_shown(root, step)}: ignored (it lies outside {root.name}/)"
    info = os.lstat(chain[-1])
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        return f"{_shown(root, chain[-1])}: ignored (a hard link: the file has another name)"
    return None


def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
