"""One bubblewrap sandbox per submission: the command line that confines a student's kernel.

The kernel and every process it starts run

- as an unprivileged user of their own (one uid per worker slot, never the grading user or root),
  so that a process limit counts this sandbox's processes only;
- with no network at all (a new network namespace: not even the host's loopback); the grader
  talks to the kernel over Unix sockets in a folder bind-mounted for that purpose (a private
  tmpfs of 1 MB, :mod:`grading.run.ipc`);
- with the operating system, the Python environment and the course's ``utils`` package
  read-only (at their real paths and through the links that name them, :mod:`.mounts`), and
  nothing else of the machine: no course directory, gradebook, solutions, other
  submissions, grading user's home or host ``/tmp``;
- in a private scratch folder and home on a size-limited tmpfs that vanishes with the sandbox;
- in a new PID namespace whose first process dies with the grader, so that when grading ends
  every process the submission started is gone, daemons (``setsid``) included;
- under resource limits: address space (not where a GPU is passed through: CUDA reserves huge
  virtual ranges), processes, file size, no core dumps; and, where the machine allows a control
  group (:mod:`grading.run.cgroup`), memory and processes of the sandbox as a whole.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from grading.run.cgroup import Group
from grading.run.mounts import gpu_devices, gpu_mounts, python_mounts, python_roots, system_mounts
from utils import graded

UID_BASE = 61000
"""Sandbox users are ``UID_BASE + slot``: unused by the system, one per parallel worker."""

FIX = (
    "the grading sandbox needs bubblewrap: install it (Debian/Ubuntu: apt-get install "
    "bubblewrap; Fedora: dnf install bubblewrap) and make sure user namespaces are allowed "
    "(Ubuntu 24.04: sysctl kernel.apparmor_restrict_unprivileged_userns=0). To grade without "
    "a sandbox on a machine that holds nothing of value, pass --no-sandbox (unsafe: student "
    "code then runs as you, with your files and network)."
)


NAMESPACES = (
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--unshare-cgroup-try",
)
"""Everything but the user namespace, which only an unprivileged grader needs."""


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use; exceeding a limit stops its work, never the batch."""

    cell_seconds: float = graded.CELL_SECONDS
    """Wall clock per cell: the cell is interrupted, the next one runs (the rule is public)."""
    submission_seconds: float = graded.NOTEBOOK_SECONDS
    """Wall clock for the whole notebook: the sandbox is killed, later cells score 0."""
    memory_gb: float = 6.0
    """Memory of the sandbox as a whole (resident, its tmpfs files included) where a control
    group can be made (:mod:`grading.run.cgroup`), and the address space of each process,
    except where a GPU is passed through (0: no limit)."""
    processes: int = 64
    """Processes and threads of the sandbox user at once (and of its control group)."""
    scratch_mb: int = 512
    """Size of the writable scratch folder, home and /tmp together (a tmpfs)."""
    file_mb: int = 256
    """Largest file any process may write."""
    output_mb: float = 4.0
    """Text and images a notebook may print; more is dropped and reported."""
    threads: int = 1
    """Threads of the numerical libraries (OMP/MKL/torch) in the kernel. One: the small
    operations of the assignments' training gain nothing from more, and lose ten times over
    when another process shares the core (A2's reference took 108 s with two, 8 s with one)."""


def bwrap_path() -> str:
    """The bubblewrap executable, or :class:`SandboxUnavailable` naming the fix."""
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {FIX}")
    return found


def check() -> None:
    """Start one trivial sandbox; raise :class:`SandboxUnavailable` with the fix if it fails."""
    command = command_line(["/bin/true"], slot=0, ipc_dir=None, limits=Limits())
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SandboxUnavailable(f"bubblewrap could not start a sandbox ({err}): {FIX}") from err
    if result.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap could not start a sandbox ({result.stderr.strip()[-300:]}): {FIX}"
        )


def sandbox_uid(slot: int) -> int:
    """The unprivileged user of worker slot ``slot``."""
    return UID_BASE + slot


def command_line(
    argv: list[str],
    slot: int,
    ipc_dir: Path | None,
    limits: Limits,
    cwd: str = "/scratch",
    group: Group | None = None,
) -> list[str]:
    """``argv`` wrapped in limits, an unprivileged user and a bubblewrap sandbox, in the
    control group ``group`` where one was made (:func:`grading.run.cgroup.confine`).

    ``ipc_dir`` (a host folder writable by the sandbox user) is bind-mounted at the same path,
    so that the kernel's Unix sockets have one name inside and outside.
    """
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/scratch/.home",
        "TMPDIR": "/tmp",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONSAFEPATH": "1",
        "TQDM_DISABLE": "1",
        "NBGRADER_EXECUTION": "autograde",
        "OMP_NUM_THREADS": str(limits.threads),
        "MKL_NUM_THREADS": str(limits.threads),
        "LANG": "C.UTF-8",
    }
    for name in ("ITM528_FULL_RUN",):
        if name in os.environ:
            env[name] = os.environ[name]
    root = os.geteuid() == 0
    args = [bwrap_path(), *NAMESPACES, "--die-with-parent", "--new-session"]
    if root:  # bubblewrap mounts with root's rights, then the command drops to the slot's user
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:  # an unprivileged user namespace that may not nest another one
        args += ["--unshare-user"] + (["--disable-userns"] if _supports_disable_userns() else [])
    args += ["--clearenv"] + [a for k, v in env.items() for a in ("--setenv", k, v)]
    args += system_mounts()
    size = str(limits.scratch_mb * 2**20)
    for folder in ("/scratch", "/tmp"):  # first: a course or environment under /tmp goes on top
        args += ["--perms", "1777", "--size", size, "--tmpfs", folder]
    args += python_mounts(python_roots())
    args += ["--proc", "/proc", "--dev", "/dev"] + gpu_mounts()
    args += ["--perms", "0777", "--dir", "/scratch/.home"]
    if ipc_dir is not None:
        args += ["--bind", str(ipc_dir), str(ipc_dir)]
    args += ["--chdir", cwd, "--", *_privileges(slot), *argv]
    return (group.join() if group is not None else []) + _rlimits(limits) + args


def _rlimits(limits: Limits) -> list[str]:
    # the process limit counts every process of the user: as root that is the slot's own user;
    # otherwise the grading user's processes outside the sandbox count too
    processes = limits.processes
    if os.geteuid() != 0:
        processes += len(_processes_of(os.getuid()))
    out = [
        "prlimit",
        f"--nproc={processes}",
        f"--fsize={limits.file_mb * 2**20}",
        "--core=0",
    ]
    if limits.memory_gb > 0 and not gpu_devices():
        out.append(f"--as={int(limits.memory_gb * 2**30)}")
    return [*out, "--"]


def _privileges(slot: int) -> list[str]:
    """As root: inside the sandbox, become the slot's own unprivileged user with no
    capabilities left. As another user: that user is already unprivileged (mapped into a user
    namespace), and the sandbox's read-only mounts keep the course directory out of its reach."""
    if os.geteuid() != 0:
        return []
    uid = sandbox_uid(slot)
    return [
        "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--",
    ]  # fmt: skip


def kill_leftovers(slot: int, wait: float = 10.0) -> None:
    """Kill every process of the slot's sandbox user and wait until they are gone, so that the
    next sandbox of this slot starts with its full process limit (none should remain once
    bubblewrap is gone; this is the second line of defence)."""
    if os.geteuid() != 0:
        return
    uid, deadline = sandbox_uid(slot), time.monotonic() + wait
    while _processes_of(uid) and time.monotonic() < deadline:
        subprocess.run(["pkill", "-KILL", "-U", str(uid)], capture_output=True)
        time.sleep(0.05)


def _processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except OSError:
                pass
    return found


@functools.cache
def _supports_disable_userns() -> bool:
    help_text = subprocess.run([bwrap_path(), "--help"], capture_output=True, text=True).stdout
    return "--disable-userns" in help_text
