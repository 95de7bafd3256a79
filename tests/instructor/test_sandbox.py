"""The sandbox a submission's kernel runs in: who it is, what it sees, what it may use, and
that nothing of it outlives its grading."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grading import course
from grading.run import execute, sandbox
from tests.instructor.sandboxing import Listener, sandbox_processes

SMALL = sandbox.Limits(cell_seconds=20, submission_seconds=60, memory_gb=2, processes=32,
                       scratch_mb=64, file_mb=32, output_mb=0.5)  # fmt: skip


def in_sandbox(
    code: str, limits: sandbox.Limits = SMALL, slot: int = 7
) -> subprocess.CompletedProcess:
    """Run Python ``code`` in a sandbox of slot ``slot``; its output and exit status."""
    command = sandbox.command_line([sys.executable, "-c", code], slot, None, limits)
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        sandbox.kill_leftovers(slot)


def test_runs_as_an_unprivileged_user_of_its_own(sandboxed):
    result = in_sandbox("import os; print(os.getuid(), os.geteuid(), os.getgroups())")
    uid, euid, groups = result.stdout.split(maxsplit=2)
    assert int(uid) == int(euid) != os.geteuid()
    assert int(uid) != 0 and groups.strip() != "[0]"
    if os.geteuid() == 0:
        assert int(uid) == sandbox.sandbox_uid(7)


def test_sees_no_course_no_home_no_host_tmp(sandboxed, tmp_path):
    marker = Path("/tmp") / f"itm528-host-marker-{os.getpid()}"
    marker.write_text("host")
    try:
        paths = [course.ROOT / "solutions", course.ROOT / "nbgrader_config.py",
                 course.ROOT / "grading", Path.home() / ".bashrc", marker, tmp_path]  # fmt: skip
        code = "import os, sys; print([os.path.exists(p) for p in sys.argv[1:]])"
        command = sandbox.command_line(
            [sys.executable, "-c", code, *map(str, paths)], 7, None, SMALL
        )
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        marker.unlink()
    assert result.stdout.strip() == str([False] * len(paths)), result.stderr


def test_system_and_python_are_read_only_and_utils_imports(sandboxed):
    import utils

    target = Path(utils.__file__).parent / "planted.py"
    code = (
        "import torch, utils, sys\n"
        f"for p in [{str(target)!r}, sys.prefix + '/planted.pth', '/usr/lib/planted', '/etc/x']:\n"
        "    try:\n        open(p, 'w')\n        print('wrote', p)\n"
        "    except OSError as e:\n        print('refused', e.errno)\n"
    )
    result = in_sandbox(code)
    assert "wrote" not in result.stdout and result.stdout.count("refused") == 4, result.stderr
    assert not target.exists()


def test_an_environment_under_tmp_stays_visible(sandboxed, tmp_path, monkeypatch):
    """A course cloned under /tmp (as CI may) keeps its packages inside the private /tmp."""
    (tmp_path / "marker.txt").write_text("here")
    tmp_path.chmod(0o755)  # the folders above it are the sandbox's own
    roots = sandbox.python_roots()
    monkeypatch.setattr(sandbox, "python_roots", lambda: [*roots, tmp_path])
    result = in_sandbox(f"print(open({str(tmp_path / 'marker.txt')!r}).read())")
    assert result.stdout.strip() == "here", result.stderr


def test_no_network_not_even_the_hosts_loopback(sandboxed):
    listener = Listener()
    try:
        code = (
            "import socket\n"
            "for host in ['127.0.0.1', '::1', 'localhost']:\n"
            "    try:\n"
            f"        socket.create_connection((host, {listener.port}), timeout=2).send(b'x')\n"
            "        print('connected')\n"
            "    except OSError as e:\n        print('refused')\n"
        )
        result = in_sandbox(code)
        time.sleep(0.5)
    finally:
        listener.close()
    assert "connected" not in result.stdout
    assert listener.connections == 0 and listener.received == []


def test_memory_processes_and_disk_are_limited(sandboxed):
    code = (
        "import os, time\n"
        "try:\n    b = bytearray(4 * 2**30); print('allocated')\n"
        "except MemoryError:\n    print('memory refused')\n"
        "n = 0\n"
        "for _ in range(200):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(60); os._exit(0)\n"
        "    n += 1\n"
        "print('forked', n)\n"
        "try:\n"
        "    with open('/scratch/big', 'wb') as f:\n"
        "        for _ in range(100):\n            f.write(b'0' * 2**20)\n"
        "    print('wrote 100 MB')\n"
        "except OSError as e:\n    print('disk refused', e.errno)\n"
    )
    result = in_sandbox(code)
    assert "memory refused" in result.stdout, result.stdout + result.stderr
    forked = int(result.stdout.split("forked ")[1].split()[0])
    assert forked < SMALL.processes
    assert "disk refused" in result.stdout
    assert sandbox_processes() == []


def test_a_daemon_dies_with_its_sandbox(sandboxed):
    code = (
        "import subprocess\n"
        "subprocess.Popen(['setsid', 'sh', '-c', 'sleep 300 & sleep 300'])\n"
        "print('started')\n"
    )
    command = sandbox.command_line([sys.executable, "-c", code], 8, None, SMALL)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert "started" in result.stdout and time.perf_counter() - started < 30
    time.sleep(0.5)
    assert sandbox_processes() == []


def notebook(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_kernel_runs_in_the_sandbox_and_limits_are_reported(sandboxed):
    limits = sandbox.Limits(cell_seconds=3, submission_seconds=60, output_mb=0.05)
    nb = notebook(
        "import os; print(os.getuid(), os.getcwd())",
        "import time\nwhile True:\n    time.sleep(0.1)",
        "print('after the loop')",
        "for i in range(20000):\n    print('x' * 20)",
    )
    result = execute.run(nb, 9, limits)
    uid, cwd = result.notebook.cells[0].outputs[0]["text"].split()
    assert int(uid) != os.geteuid() and cwd == "/scratch"
    assert result.notebook.cells[1].outputs[-1]["output_type"] == "error"
    assert result.notebook.cells[2].outputs[0]["text"].strip() == "after the loop"
    assert any("per-cell time limit" in n for n in result.notes)
    assert any("printed more than" in n for n in result.notes)
    assert sandbox_processes() == []


def test_a_notebook_past_its_total_limit_is_stopped_with_everything_it_started(sandboxed):
    limits = sandbox.Limits(cell_seconds=30, submission_seconds=6)
    nb = notebook(
        "import subprocess\nsubprocess.Popen(['setsid', 'sleep', '300'])",
        "import time\ntime.sleep(20)",
        "print('never')",
    )
    started = time.perf_counter()
    result = execute.run(nb, 10, limits)
    assert time.perf_counter() - started < 20
    assert any("per-submission limit" in n for n in result.notes)
    assert result.notebook.cells[2].get("outputs", []) == []
    time.sleep(0.5)
    assert sandbox_processes() == []


def test_the_kernel_cannot_be_reached_by_its_own_children_nor_import_from_scratch(sandboxed):
    nb = notebook(
        "import os, subprocess, sys\npid = os.getpid()\n"
        "open('/scratch/planted.py', 'w').write('print(1)')",
        'probe = f\'open("/proc/{pid}/mem", "rb")\'\n'
        "print(subprocess.run([sys.executable, '-c', probe], capture_output=True).returncode)",
        "try:\n    import planted\n    print('imported')\n"
        "except ImportError:\n    print('refused')",
    )
    result = execute.run(nb, 11, SMALL)
    assert result.notebook.cells[1].outputs[0]["text"].strip() == "1"  # PermissionError
    assert result.notebook.cells[2].outputs[0]["text"].strip() == "refused"


def test_missing_bubblewrap_names_the_fix(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.check()
