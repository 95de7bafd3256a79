"""Student versions: ``nbgrader generate_assignment`` from ``solutions/`` into ``assignments/``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from grading import course


def with_source() -> list[str]:
    """The declared assignments that have a source notebook."""
    return [a for a in course.assignments() if course.paths().source(a).exists()]


def generate(assignments: list[str], dest: Path | None = None) -> list[Path]:
    """Generate the release of each assignment into ``dest`` (default ``assignments/``).

    With ``dest`` the course's gradebook is left alone (a scratch one is used), so that a check
    can regenerate and compare without side effects.
    """
    written = []
    for assignment in assignments:
        course.check_assignment(assignment)
        args = ["generate_assignment", assignment, "--force"]
        with tempfile.TemporaryDirectory() as scratch:
            if dest is not None:
                args += [
                    f"--CourseDirectory.release_directory={Path(dest).resolve()}",
                    f"--CourseDirectory.db_url=sqlite:///{scratch}/gradebook.db",
                ]
            result = course.nbgrader(*args)
        if result.returncode != 0:
            raise SystemExit(
                f"{assignment}: nbgrader generate_assignment failed:\n{result.stderr[-3000:]}"
            )
        out = (
            (Path(dest) if dest is not None else course.RELEASE)
            / assignment
            / f"{assignment}.ipynb"
        )
        print(f"released {assignment} -> {out}")
        written.append(out)
    return written
