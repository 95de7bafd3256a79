"""Limits of a sandbox as a whole: its socket folder, the memory of all its processes together,
and everything its notebook prints, whatever kind of output carries it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grading.run import cgroup, execute, ipc, sandbox
from tests.instructor.sandboxing import sandbox_processes
from tests.instructor.test_sandbox import notebook

FILL_THE_FOLDER = r"""
import os
args = open('/proc/self/cmdline', 'rb').read().split(b'\0')
folder = os.path.dirname(args[args.index(b'-f') + 1].decode())
os.makedirs(os.path.join(folder, 'ro', 'inner'))
open(os.path.join(folder, 'ro', 'inner', 'f'), 'w').write('x')
os.chmod(os.path.join(folder, 'ro'), 0o500)
written = 0
try:
    with open(os.path.join(folder, 'fill'), 'wb', buffering=0) as f:
        for _ in range(20):
            f.write(b'0' * 2**20)
            written += 1
except OSError:
    pass
fd, depth = os.open(folder, os.O_RDONLY), 0
try:
    for _ in range(5000):
        os.mkdir('d', dir_fd=fd)
        inner = os.open('d', os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd, depth = inner, depth + 1
except OSError:
    pass
print(folder, written, depth)
"""


def mounted(path: str) -> bool:
    return any(line.split()[1] == path for line in Path("/proc/mounts").read_text().splitlines())


def test_the_socket_folder_is_small_and_nothing_in_it_survives(sandboxed):
    result = execute.run(notebook(FILL_THE_FOLDER, "print('next')"), 12, sandbox.Limits())
    folder, written, depth = result.notebook.cells[0].outputs[0]["text"].split()
    assert result.notebook.cells[1].outputs[0]["text"].strip() == "next"
    if os.geteuid() == 0:  # a private tmpfs of 1 MB and a few dozen files
        assert int(written) < 2 and int(depth) < ipc.FILES
    assert not Path(folder).exists() and not mounted(folder)
    assert result.environment_error is None


def deep_tree(top: Path, depth: int) -> None:
    """``top/d/d/…`` ``depth`` folders deep (far past PATH_MAX), built through descriptors."""
    fd = os.open(top, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)


def test_a_plain_folder_is_removed_whatever_is_in_it(monkeypatch, tmp_path, capsys):
    """Where no tmpfs can be mounted: deep trees, read-only folders, files of the sandbox user
    and links out of the folder; the link's target is untouched."""
    monkeypatch.setattr(ipc, "_mount", lambda path, owner: False)
    outside = tmp_path / "keep.txt"
    outside.write_text("host file")
    with ipc.folder(None) as folder:
        assert not folder.private and folder.log is None
        deep_tree(folder.path, 5000)
        (folder.path / "ro" / "inner").mkdir(parents=True)
        (folder.path / "ro" / "inner" / "f").write_text("x")
        (folder.path / "ro").chmod(0o500)
        (folder.path / "link").symlink_to(tmp_path)
        if os.geteuid() == 0:
            (folder.path / "theirs").write_text("x")
            os.chown(folder.path / "theirs", sandbox.sandbox_uid(12), sandbox.sandbox_uid(12))
    assert not folder.path.exists()
    assert outside.read_text() == "host file"
    assert capsys.readouterr().err == ""


def test_a_failed_cleanup_is_a_note_not_an_exception(monkeypatch, tmp_path, capsys):
    def refuse(*args, **kwargs):
        raise OSError("refused")

    monkeypatch.setattr(ipc.subprocess, "run", refuse)
    ipc.remove(ipc.Folder(tmp_path, private=False))
    assert "was not removed" in capsys.readouterr().err


HOG = "import time; b = b'x' * (300 * 2**20); time.sleep(8)"
HOGS = (
    "import subprocess, sys\n"
    f"procs = [subprocess.Popen([sys.executable, '-c', {HOG!r}]) for _ in range(5)]\n"
    "print([p.wait() for p in procs])"
)


def test_processes_together_past_the_memory_limit_are_stopped(sandboxed):
    """Five processes of 300 MB each, under the 1 GB per-process limit, 1.5 GB together."""
    try:
        cgroup.bases()
    except cgroup.Unavailable as err:
        pytest.skip(f"no control group for the sandbox on this machine: {err}")
    limits = sandbox.Limits(cell_seconds=60, submission_seconds=120, memory_gb=1)
    result = execute.run(notebook(HOGS, "print('after')"), 13, limits)
    outputs = result.notebook.cells[0].outputs
    assert outputs and -9 in json.loads(outputs[0]["text"]), outputs
    assert any("stopped at the sandbox's memory limit" in n for n in result.notes), result.notes
    assert result.notebook.cells[1].outputs[0]["text"].strip() == "after"
    assert not [p for p in sandbox_processes() if f" {sandbox.sandbox_uid(13)} " in p]
    assert not (cgroup.bases()[1][0] / "slot-13").exists()


AMPLIFY = (
    "for i in range(50):\n    display('s', display_id='d')\n"
    "for j in range(10):\n    display('y' * 100_000, display_id='d', update=True)"
)


def test_every_kind_of_output_counts_toward_the_limit(sandboxed):
    """An update of a display id rewrites every output shown under it: 50 outputs of 100 kB
    would be 5 MB against a limit of 0.2 MB. Past the limit a failing cell keeps its error."""
    limits = sandbox.Limits(cell_seconds=30, submission_seconds=120, output_mb=0.2)
    failing = "raise AssertionError('wrong answer ' + 'x' * 300_000)"
    nb = notebook(AMPLIFY, "display({'text/plain': 'z' * 10}, raw=True)", failing)
    result = execute.run(nb, 14, limits)
    assert len(json.dumps(result.notebook)) < 0.3 * 2**20
    assert any("printed more than 0.2 MB" in n for n in result.notes)
    error = result.notebook.cells[2].outputs[-1]
    assert error["output_type"] == "error" and error["ename"] == "AssertionError"
    assert error["evalue"].startswith("wrong answer") and len(error["evalue"]) <= 200
