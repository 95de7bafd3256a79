"""What a sandbox sees of the machine: the system, the Python environment and the GPU, read-only.

The environment is mounted at its real place (every symbolic link resolved) and every link on
the way to it is made again inside, so that a virtual environment reached through a link
(``~/venv -> /data/venvs/itm528``, common for home directories on shared servers) starts in the
sandbox by the same path as outside: the interpreter's own path, ``sys.prefix`` and the paths
that editable installs wrote into ``.pth`` files all keep working.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt")
"""The top-level folders of the system, mounted read-only at their own paths."""

MAX_LINKS = 40
"""Links followed while resolving one path (the kernel's own limit, ELOOP)."""


def gpu_devices() -> list[str]:
    """The NVIDIA device nodes of this machine (empty on a machine without a GPU)."""
    return sorted(str(p) for p in Path("/dev").glob("nvidia*"))


def python_paths() -> list[Path]:
    """The paths of the running Python as it names them (links not resolved): its interpreter,
    installation, environment, packages and the course's ``utils`` package (editable installs
    live outside site-packages)."""
    import utils  # the course package

    return [
        Path(sys.executable),
        Path(sys.base_prefix),
        Path(sys.prefix),
        Path(sysconfig.get_paths()["purelib"]),
        Path(utils.__file__).parent,
    ]


def python_roots() -> list[Path]:
    """Folders the sandboxed Python needs read-only, links resolved: its installation, the
    environment, and the folders of packages installed in editable mode (the course's ``utils``)."""
    roots = {p.resolve() for p in python_paths()[1:]}
    return sorted(_outermost(roots))


def _outermost(paths: set[Path]) -> set[Path]:
    return {p for p in paths if not any(q != p and q in p.parents for q in paths)}


def links_on(path: Path) -> list[tuple[Path, str]]:
    """Each symbolic link met while resolving ``path``, in order: (the link, its target as
    written). Links inside a link's target are followed too, as the kernel does."""
    found: list[tuple[Path, str]] = []
    pending = list(Path(os.path.abspath(path)).parts[1:])
    current = Path("/")
    while pending:
        part = pending.pop(0)
        if part == "..":
            current = current.parent
            continue
        candidate = current / part
        if not candidate.is_symlink() or len(found) >= MAX_LINKS:
            current = candidate
            continue
        target = os.readlink(candidate)
        found.append((candidate, target))
        if os.path.isabs(target):
            current = Path("/")
        pending = [p for p in Path(target).parts if p != "/"] + pending
    return found


def _visible(path: Path, roots: list[Path]) -> bool:
    """Whether ``path`` is already inside the sandbox: under a mounted root or the system."""
    tops = [Path("/") / top for top in SYSTEM]
    return any(path == r or r in path.parents for r in [*roots, *tops])


def system_mounts() -> list[str]:
    """The system's top-level folders, read-only (links, such as ``/bin -> usr/bin``, as links)."""
    args: list[str] = []
    for top in SYSTEM:
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def python_mounts(roots: list[Path]) -> list[str]:
    """Read-only binds of ``roots`` at their own paths, with the folders above them made
    traversable (bubblewrap would create them readable by root only), then the links through
    which this Python names them."""
    args: list[str] = []
    made: set[Path] = set()
    for root in roots:
        args += _folders_above(root, made)
        args += ["--ro-bind", str(root), str(root)]
    done: set[Path] = set()
    for path in python_paths():
        for link, target in links_on(path):
            if link not in done and not _visible(link, roots):
                done.add(link)
                args += _folders_above(link, made)
                args += ["--symlink", target, str(link)]
    return args


def _folders_above(path: Path, made: set[Path]) -> list[str]:
    args: list[str] = []
    for parent in reversed(path.parents[:-1]):
        if parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def gpu_mounts() -> list[str]:
    """The NVIDIA device nodes and what the CUDA driver reads about them."""
    args: list[str] = []
    for node in gpu_devices():
        args += ["--dev-bind", node, node]
    if gpu_devices():
        for path in ("/sys/bus/pci", "/sys/devices", "/sys/module/nvidia", "/proc/driver/nvidia"):
            if Path(path).exists():
                args += ["--ro-bind", path, path]
    return args
