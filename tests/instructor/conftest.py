"""Setup of the grading tests: the ``sandboxed`` fixture, for every test that runs a kernel, and
``public_copy``, the one copy of the public repository that the tests of ``make public`` read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grading import course
from tests.instructor.sandboxing import sandbox_or_skip


@pytest.fixture(scope="session")
def sandboxed(bwrap: str) -> str:
    """bubblewrap is installed (the ``bwrap`` fixture of tests/conftest.py) and starts a grading
    sandbox here; the test skips otherwise, or fails where CI requires the sandbox."""
    sandbox_or_skip()
    return bwrap


@pytest.fixture(scope="session")
def public_copy(tmp_path_factory) -> Path:
    """What ``make public DEST=…`` writes (read it; copy it before changing anything)."""
    dest = tmp_path_factory.mktemp("public") / "deep-learning-book"
    result = subprocess.run([sys.executable, "-m", "grading", "public", str(dest)],
                            cwd=course.ROOT, capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return dest
