"""A student-facing copy of the repository: no solutions, hidden tests or grading tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from grading import course

EXCLUDED = ("solutions/", "grading/", "nbgrader_config.py", "tests/test_nbgrader_pipeline.py")
"""Instructor-only paths: the source notebooks with solutions and hidden tests, and the tools
and tests that read them."""


def tracked_files() -> list[str]:
    """The repository's tracked files (what a clone holds)."""
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=course.ROOT, capture_output=True, text=True, check=True
    )
    return [f for f in out.stdout.split("\0") if f]


def write(dest: Path) -> Path:
    """Copy the tracked files, less the instructor-only ones, into the new folder ``dest``."""
    dest = Path(dest).resolve()
    if dest == course.ROOT or course.ROOT in dest.parents:
        raise SystemExit(f"{dest} is inside the repository; choose a folder outside it")
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"{dest} exists and is not empty; choose a new folder")
    files = [f for f in tracked_files() if not f.startswith(EXCLUDED)]
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course.ROOT / name, target)
    print(f"wrote {len(files)} files to {dest} (without {', '.join(EXCLUDED)})")
    return dest
