"""The kernel's socket folder: where the grader and the sandboxed kernel meet.

The folder holds the connection file and ZeroMQ's Unix sockets, and it is bind-mounted into the
sandbox, writable by the kernel's user. As root, the grader mounts a tmpfs of its own there,
tiny in bytes and in files (``SIZE``, ``FILES``): nothing a submission writes into it can reach
the host's disk, and unmounting it takes everything in it at once, whatever the submission made
there (deep trees, read-only folders, files of the sandbox user). Without root (or where the
mount fails) it is a plain folder of the temporary directory, emptied by ``rm -rf`` with a time
limit (no recursion limit, read-only folders opened first). A folder that cannot be removed is
reported on the grader's console, never as the student's failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SIZE = 2**20
"""Bytes of the private tmpfs: the connection file (about 300 bytes) and the kernel's log."""
FILES = 64
"""Files and folders of the private tmpfs: the connection file, five sockets, the log."""
CLEANUP_SECONDS = 120.0


@dataclass(frozen=True)
class Folder:
    """A kernel's socket folder."""

    path: Path
    private: bool
    """On a tmpfs of its own (removed by unmounting it), not the host's temporary directory."""

    @property
    def log(self) -> Path | None:
        """Where the kernel's console output goes (None: the folder is the host's disk)."""
        return self.path / "kernel.log" if self.private else None


def _mount(path: Path, owner: int | None) -> bool:
    """Mount a private tmpfs at ``path``, owned by ``owner``; whether it worked."""
    if os.geteuid() != 0:
        return False
    options = f"size={SIZE},nr_inodes={FILES},mode=0700,nosuid,nodev,noexec"
    if owner is not None:
        options += f",uid={owner},gid={owner}"
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "itm528-kernel", str(path)],
                              capture_output=True, timeout=30)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def remove(folder: Folder) -> None:
    """Remove ``folder`` and everything in it; never raises (a failure is a console note)."""
    try:
        if folder.private:
            subprocess.run(["umount", "--lazy", str(folder.path)], capture_output=True,
                           timeout=CLEANUP_SECONDS, check=True)  # fmt: skip
        if os.geteuid() != 0:  # root needs no permission to empty a folder
            subprocess.run(["chmod", "-R", "u+rwx", str(folder.path)], capture_output=True,
                           timeout=CLEANUP_SECONDS)  # fmt: skip
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(folder.path)],
                       capture_output=True, timeout=CLEANUP_SECONDS, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as err:
        print(f"note: the kernel folder {folder.path} was not removed ({err})", file=sys.stderr)


@contextlib.contextmanager
def folder(owner: int | None) -> Iterator[Folder]:
    """A new socket folder for one kernel, owned by ``owner`` (the sandbox user; None: the
    grader's own), removed with everything in it afterwards."""
    path = Path(tempfile.mkdtemp(prefix="itm528-kernel-"))
    made = Folder(path, _mount(path, owner))
    if owner is not None and not made.private:
        os.chown(path, owner, owner)
    try:
        yield made
    finally:
        remove(made)
