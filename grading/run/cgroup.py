"""A control group for each sandbox: memory and processes bounded for the sandbox as a whole.

A per-process limit (address space, ``RLIMIT_AS``) lets a submission hold that much in every
process it starts; a control group counts them together. The group is made before the sandbox
starts; the sandbox's first process joins it (a two-line shell wrapper, then ``exec``), so
everything the submission starts is in it and cannot leave (the group's files are root's, and
the sandbox sees no ``/sys``). When the memory limit is reached the kernel's OOM killer stops a
process of the group, never one outside it.

cgroup v2 (one unified hierarchy, ``memory.max`` and ``pids.max``) is used where its memory and
pids controllers are enabled; cgroup v1 (``memory.limit_in_bytes`` and ``pids.max`` in their own
hierarchies, under the grader's own groups) where those are mounted instead. Both need root.
Where neither is available, the per-process limits stay the only ones, and a note says so once.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
NAME = "itm528"
"""The folder, in each hierarchy, that holds one group per sandbox slot."""
OWN_TASKS = 4
"""Tasks of bubblewrap itself, added to the sandbox's process limit."""
JOIN = (
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); '
    'done; exec "$@"'
)
"""The wrapper: write its own pid into each ``cgroup.procs`` given, then become the command."""


class Unavailable(RuntimeError):
    """This machine offers no control group the grader may make here."""


@dataclass(frozen=True)
class Group:
    """The control group of one sandbox: one folder (v2), or a memory and a pids folder (v1)."""

    folders: tuple[Path, ...]
    version: int

    def join(self) -> list[str]:
        """The command prefix that puts the rest of the command line into this group."""
        procs = [str(folder / "cgroup.procs") for folder in self.folders]
        return ["/bin/sh", "-c", JOIN, "join", str(len(procs)), *procs]

    def oom_kills(self) -> int:
        """How many processes of the group the OOM killer stopped."""
        events = self.folders[0] / ("memory.events" if self.version == 2 else "memory.oom_control")
        with contextlib.suppress(OSError, ValueError):
            for line in events.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def pids(self) -> set[int]:
        """The processes in the group now."""
        found: set[int] = set()
        for folder in self.folders:
            with contextlib.suppress(OSError, ValueError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    def kill(self, wait: float = 10.0) -> None:
        """Kill every process in the group and wait until none is left."""
        deadline = time.monotonic() + wait
        with contextlib.suppress(OSError):
            (self.folders[0] / "cgroup.kill").write_text("1")  # v2, Linux 5.14 and later
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def remove(self, wait: float = 10.0) -> None:
        """Kill what is left and remove the group's folders (a folder whose last process is
        still exiting is busy for a moment). Never raises: a group left behind is reported and
        replaced when the slot is next used."""
        self.kill(wait)
        for folder in self.folders:
            deadline = time.monotonic() + wait
            while folder.exists():
                try:
                    folder.rmdir()
                except OSError as err:
                    if time.monotonic() > deadline:
                        print(f"note: could not remove {folder}: {err}", file=sys.stderr)
                        break
                    time.sleep(0.05)


def _enable(subtree_control: Path) -> None:
    """Make the memory and pids controllers available to the children of a v2 group."""
    if not {"memory", "pids"} <= set(subtree_control.read_text().split()):
        subtree_control.write_text("+memory +pids")


def _own_v1() -> dict[str, str]:
    """This process's group in each cgroup v1 hierarchy (controller -> path)."""
    own: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        own |= {c: path for c in controllers.split(",") if c}
    return own


@functools.cache
def bases() -> tuple[int, tuple[Path, ...]]:
    """The cgroup version and the folders under which each sandbox's group is made, or
    :class:`Unavailable` with the reason."""
    if os.geteuid() != 0:
        raise Unavailable("control groups for the sandboxes need the grader to run as root")
    try:
        controllers = ROOT / "cgroup.controllers"
        if controllers.exists():
            if not {"memory", "pids"} <= set(controllers.read_text().split()):
                raise Unavailable("cgroup v2 without its memory and pids controllers")
            _enable(ROOT / "cgroup.subtree_control")
            (ROOT / NAME).mkdir(exist_ok=True)
            _enable(ROOT / NAME / "cgroup.subtree_control")
            return 2, (ROOT / NAME,)
        if not (ROOT / "memory" / "memory.limit_in_bytes").exists() or not (ROOT / "pids").is_dir():
            raise Unavailable("neither cgroup v2 nor cgroup v1 memory and pids hierarchies")
        own = _own_v1()
        folders = tuple(ROOT / c / own.get(c, "/").lstrip("/") / NAME for c in ("memory", "pids"))
        for folder in folders:
            folder.mkdir(exist_ok=True)
        return 1, folders
    except OSError as err:
        raise Unavailable(f"the cgroup file system refused ({err})") from err


def create(slot: int, memory_bytes: int, processes: int) -> Group:
    """A fresh group for sandbox slot ``slot`` (a group the slot left behind is emptied and
    replaced), with its limits written; :class:`Unavailable` where it cannot be made."""
    version, parents = bases()
    group = Group(tuple(parent / f"slot-{slot}" for parent in parents), version)
    if any(folder.exists() for folder in group.folders):
        group.remove()
    try:
        for folder in group.folders:
            folder.mkdir()
        memory, pids = group.folders[0], group.folders[-1]
        (pids / "pids.max").write_text(str(processes + OWN_TASKS))
        if memory_bytes > 0 and version == 2:
            (memory / "memory.max").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):  # no swapping past the limit either
                (memory / "memory.swap.max").write_text("0")
        elif memory_bytes > 0:
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):  # only where swap is accounted
                (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
    except OSError as err:
        group.remove()
        raise Unavailable(f"the sandbox's control group could not be made ({err})") from err
    return group


@contextlib.contextmanager
def confine(slot: int, memory_bytes: int, processes: int) -> Iterator[Group | None]:
    """The group of one sandbox while it runs (None where none can be made, with a note once);
    afterwards every process in it is killed and the group removed."""
    try:
        group: Group | None = create(slot, memory_bytes, processes)
    except Unavailable as err:
        _note_once(str(err))
        group = None
    try:
        yield group
    finally:
        if group is not None:
            group.remove()


@functools.cache
def _note_once(reason: str) -> None:
    print(
        f"note: {reason}; each sandbox process is limited on its own (address space), not the "
        "sandbox as a whole",
        file=sys.stderr,
    )
