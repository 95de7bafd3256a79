"""Where things are, and how nbgrader is run."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "solutions"
RELEASE = ROOT / "assignments"
SUBMITTED = ROOT / "submitted"
AUTOGRADED = ROOT / "autograded"
FEEDBACK = ROOT / "feedback"
GRADES = ROOT / "grades"


def config_constant(name: str):
    """A literal constant (e.g. ``ASSIGNMENTS``) assigned in nbgrader_config.py."""
    tree = ast.parse((ROOT / "nbgrader_config.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise KeyError(f"nbgrader_config.py defines no {name}")


def assignments() -> list[str]:
    """The assignment ids declared in nbgrader_config.py, in release order."""
    return list(config_constant("ASSIGNMENTS"))


def check_assignment(assignment: str) -> None:
    """Raise SystemExit with a clear message for an unknown assignment id."""
    known = assignments()
    if assignment not in known:
        raise SystemExit(f"unknown assignment {assignment!r}; choose one of {', '.join(known)}")
    if not (SOURCE / assignment / f"{assignment}.ipynb").exists():
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
