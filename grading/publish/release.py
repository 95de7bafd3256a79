"""Student versions: ``nbgrader generate_assignment`` from ``solutions/`` into ``assignments/``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import nbformat

from grading import cells, course
from utils import handin_checks


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
            Path(dest) / assignment / f"{assignment}.ipynb"
            if dest is not None
            else course.paths().release(assignment)
        )
        print(f"released {assignment} -> {out}")
        written.append(out)
    if dest is None:
        write_manifest()
    return written


def manifest() -> dict[str, list[dict]]:
    """Every released assignment's graded cells, as the student's check before submitting reads
    them (:mod:`utils.handin`): grade id, cell type, kind, points, a hash of the released cell."""
    found = {}
    for assignment in with_source():
        path = course.paths().release(assignment)
        if path.exists():
            nb = nbformat.read(path, as_version=4)
            found[assignment] = [handin_checks.manifest_entry(c) for c in nb.cells
                                 if cells.grade_id(c) is not None]  # fmt: skip
    return found


def write_manifest() -> Path:
    """Write :func:`manifest` into ``utils/releases.json`` (the public package ships it)."""
    handin_checks.RELEASES.write_text(json.dumps(manifest(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {handin_checks.RELEASES.relative_to(course.ROOT)}")
    return handin_checks.RELEASES
