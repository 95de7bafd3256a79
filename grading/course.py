"""Where things are, and how nbgrader is run."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The course directory (this repository). Every path below is derived from it when asked for,
so that moving it (a test's scratch course) moves them all."""


@dataclass(frozen=True)
class Paths:
    """Where each thing of a course directory lives, nbgrader's layout included."""

    root: Path

    def source(self, assignment: str) -> Path:
        """The source notebook, with solutions and hidden tests."""
        return self.root / "solutions" / assignment / f"{assignment}.ipynb"

    def release(self, assignment: str) -> Path:
        """The student version, generated from the source."""
        return self.root / "assignments" / assignment / f"{assignment}.ipynb"

    @property
    def submitted_dir(self) -> Path:
        return self.root / "submitted"

    def _student_notebook(self, folder: str, student: str, assignment: str) -> Path:
        """``<folder>/<student>/<assignment>/<assignment>.ipynb``: nbgrader's layout."""
        return self.root / folder / student / assignment / f"{assignment}.ipynb"

    def submitted(self, student: str, assignment: str) -> Path:
        """The version being graded, where nbgrader expects it."""
        return self._student_notebook("submitted", student, assignment)

    def original(self, student: str, assignment: str) -> Path:
        """The untouched submission beside a repaired one (:func:`original_of`)."""
        return original_of(self.submitted(student, assignment))

    def history(self, student: str, assignment: str) -> Path:
        """The folder of every version the student submitted."""
        return self.submitted_dir / student / f"{assignment}.history"

    @property
    def autograded_dir(self) -> Path:
        return self.root / "autograded"

    def autograded(self, student: str, assignment: str) -> Path:
        """The executed notebook with its scores, as nbgrader's feedback reads it."""
        return self._student_notebook("autograded", student, assignment)

    def feedback_pages(self, assignment: str) -> list[Path]:
        """Every student's feedback page of ``assignment``."""
        return sorted((self.root / "feedback").glob(f"*/{assignment}/{assignment}.html"))

    @property
    def grades_dir(self) -> Path:
        return self.root / "grades"

    def grades(self, assignment: str, suffix: str = ".csv") -> Path:
        """``grades/<assignment><suffix>``: the CSV, ``.html`` report, LMS exports."""
        return self.grades_dir / f"{assignment}{suffix}"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"


def original_of(notebook: Path) -> Path:
    """Where the untouched version of a repaired ``<student>/<assignment>/<assignment>.ipynb`` is
    kept: ``<student>/<assignment>.original.ipynb``, outside the folder that nbgrader grades and
    copies into the feedback."""
    return notebook.parent.parent / f"{notebook.stem}.original.ipynb"


def paths(root: Path | None = None) -> Paths:
    """The paths of the course at ``root`` (by default :data:`ROOT`)."""
    return Paths(ROOT if root is None else Path(root))


def config_constant(name: str):
    """A literal constant (e.g. ``ASSIGNMENTS``) assigned in nbgrader_config.py."""
    tree = ast.parse((ROOT / "nbgrader_config.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise KeyError(f"nbgrader_config.py defines no {name}")


def config_entry(table: str, assignment: str):
    """``assignment``'s entry of a per-assignment table in nbgrader_config.py (``DEADLINES``,
    ``CANVAS_ASSIGNMENT_IDS``), or None where the table or the entry is missing."""
    try:
        return config_constant(table).get(assignment)
    except KeyError:
        return None


def assignments() -> list[str]:
    """The assignment ids declared in nbgrader_config.py, in release order."""
    return list(config_constant("ASSIGNMENTS"))


def check_assignment(assignment: str) -> None:
    """Raise SystemExit with a clear message for an unknown assignment id."""
    known = assignments()
    if assignment not in known:
        raise SystemExit(f"unknown assignment {assignment!r}; choose one of {', '.join(known)}")
    if not paths().source(assignment).exists():
        raise SystemExit(
            f"{assignment}: no source notebook at solutions/{assignment}/{assignment}.ipynb"
        )


def nbgrader_env() -> dict[str, str]:
    """This environment with its own tools (nbgrader calls ``alembic``) first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("TQDM_DISABLE", "1")
    return env


def nbgrader_command(*args: str) -> list[str]:
    """The command line that runs ``nbgrader *args`` with this Python."""
    return [sys.executable, "-m", "nbgrader", *args]


def nbgrader(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` in the course directory and capture its output."""
    return subprocess.run(
        nbgrader_command(*args), cwd=ROOT, env=nbgrader_env(), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
