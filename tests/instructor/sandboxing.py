"""Helpers of the sandbox tests: whether bubblewrap works here, and a listener on loopback."""

from __future__ import annotations

import ast
import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from grading import course
from grading.run import sandbox


def sandbox_or_skip() -> None:
    """Skip where bubblewrap cannot start a grading sandbox here, except in CI
    (ITM528_REQUIRE_SANDBOX=1), where it must work. Tests ask for it through the ``sandboxed``
    fixture (tests/instructor/conftest.py)."""
    try:
        sandbox.check()
    except sandbox.SandboxUnavailable as err:
        if os.environ.get("ITM528_REQUIRE_SANDBOX") == "1":
            raise
        pytest.skip(str(err))


class Listener:
    """A TCP server on 127.0.0.1 that records every connection and every byte it receives."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


def sandbox_processes() -> list[str]:
    """Processes of any sandbox user still alive (``pid user command``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            command = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ")
        except OSError:
            continue
        if sandbox.UID_BASE <= uid < sandbox.UID_BASE + 256:
            found.append(f"{entry} {uid} {command.decode(errors='replace')[:80]}")
    return found


COURSE_PARTS = ("grading", "solutions", "assignments", "nbgrader_config.py")


def scratch_course(root: Path) -> Path:
    """A copy of the course directory (what grading reads) in ``root``, without the term's
    deadlines: a submission's time is when it is taken in (today), so with the real dates an
    honest test submission would be late. A test of deadlines sets its own (:func:`set_deadlines`).
    """
    for name in COURSE_PARTS:
        source = course.ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    set_deadlines(root / "nbgrader_config.py", {})
    return root


def set_deadlines(config: Path, rules: dict) -> None:
    """Replace the whole ``DEADLINES = ...`` assignment of the nbgrader_config.py at ``config``
    (however many lines it spans, its docstring kept) with ``DEADLINES = <rules>``."""
    text = config.read_text()
    found = [
        node
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign)
        and any(getattr(target, "id", None) == "DEADLINES" for target in node.targets)
    ]
    assert len(found) == 1, f"{config}: expected one DEADLINES assignment, found {len(found)}"
    lines = text.splitlines(keepends=True)
    start, end = found[0].lineno - 1, found[0].end_lineno
    config.write_text("".join([*lines[:start], f"DEADLINES = {rules!r}\n", *lines[end:]]))


def write_inbox(root: Path, notebooks: dict[str, object]) -> Path:
    """``root/inbox/<student>.ipynb`` for each notebook (or raw bytes) of ``notebooks``."""
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    for student, nb in notebooks.items():
        path = inbox / f"{student}.ipynb"
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)
    return inbox


def grade_cli(root: Path, assignment: str, *args: str, timeout: float = 1800):
    """``python -m grading grade`` in the scratch course ``root``; its completed process."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "grading", "grade", assignment, *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def tree_digest(*folders: Path) -> dict[str, str]:
    """Path -> SHA-256 of every file under ``folders``: equal digests, byte-identical trees."""
    digest = {}
    for folder in folders:
        files = (
            [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
        )
        for path in files:
            if "__pycache__" not in path.parts:
                digest[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest
