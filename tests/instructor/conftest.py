"""Setup of the grading tests: the ``sandboxed`` fixture, for every test that runs a kernel."""

from __future__ import annotations

import pytest

from tests.instructor.sandboxing import sandbox_or_skip


@pytest.fixture(scope="session")
def sandboxed(bwrap: str) -> str:
    """bubblewrap is installed (the ``bwrap`` fixture of tests/conftest.py) and starts a grading
    sandbox here; the test skips otherwise, or fails where CI requires the sandbox."""
    sandbox_or_skip()
    return bwrap
