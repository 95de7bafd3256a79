"""Chapter times on a machine that is shared: each chapter executed quietly, then beside a busy
process, with the kernel's CPU time.

A chapter may take at most ``tests.timings.BUDGET_S`` seconds on a quiet 2-core CPU. On a shared
machine it should slow down by about its share of the machine, never collapse: with one busy
process beside it (one of the two cores taken), a chapter stays within ``SHARE_FACTOR`` times its
quiet time. ``utils.setup`` gives the chapters one CPU thread for this reason.

Usage: ``python -m tests.timings_load TIMINGS.md [book/NN_topic.ipynb ...]`` (``make timings``)
executes the chapters (all of them when none is named) twice each and writes the table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from export.conventions import ROOT, chapters
from tests.timings import BUDGET_S

SHARE_FACTOR = 2.0
"""Beside one busy process a chapter gets at least half of the 2 cores: at most twice as slow."""
CELL_TIMEOUT_S = 900


@dataclass(frozen=True)
class Run:
    """One execution of a chapter: wall-clock seconds and the kernel's CPU seconds."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    """CPU seconds (user and system) of every child process that has ended and been reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute(path: Path) -> Run:
    """Execute chapter ``path`` top to bottom in a fresh kernel, in its folder, as the build does.
    The kernel is a child of this process, reaped at shutdown, so its CPU time is the growth of
    the children's CPU time."""
    nb = nbformat.read(ROOT / path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str((ROOT / path).parent)}},
    )
    cpu, start = _children_cpu(), time.perf_counter()
    client.execute()
    return Run(time.perf_counter() - start, _children_cpu() - cpu)


@contextlib.contextmanager
def busy_process() -> Iterator[None]:
    """One process that keeps a core busy (a Python loop) for as long as the block runs."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it start spinning
        yield
    finally:
        spinner.kill()
        spinner.wait()


def measure(paths: list[Path]) -> dict[Path, tuple[Run, Run]]:
    """(quiet run, run beside a busy process) of each chapter; the quiet runs come first."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # as in the book build
    quiet = {path: _report(path, "quiet", execute(path)) for path in paths}
    with busy_process():
        loaded = {path: _report(path, "beside a busy process", execute(path)) for path in paths}
    return {path: (quiet[path], loaded[path]) for path in paths}


def _report(path: Path, how: str, run: Run) -> Run:
    print(f"{path.as_posix()} {how}: {run.wall:.1f} s (kernel CPU {run.cpu:.1f} s)", flush=True)
    return run


def _row(path: Path, quiet: Run, loaded: Run) -> str:
    ratio = loaded.wall / quiet.wall
    return (
        f"| `{path.as_posix()}` | {quiet.wall:.1f} | {loaded.wall:.1f} | {ratio:.2f} | "
        f"{quiet.cpu:.1f} | {BUDGET_S:.0f} |"
    )


def table(results: dict[Path, tuple[Run, Run]]) -> str:
    """The timings as a markdown document, with what they show."""
    over_budget = [p.as_posix() for p, (quiet, _) in results.items() if quiet.wall > BUDGET_S]
    collapsed = [
        p.as_posix() for p, (quiet, loaded) in results.items()
        if loaded.wall > SHARE_FACTOR * quiet.wall
    ]  # fmt: skip
    return "\n".join(
        [
            "# Notebook execution times",
            "",
            "Written by `make timings`, which executes every chapter top to bottom (kernel start",
            "included) on the CPU, offline, in the quick budget: first on the quiet machine, then",
            "beside one busy process that keeps a core occupied. The budget holds for the quiet",
            f"run; beside the busy process a chapter may take up to {SHARE_FACTOR:.0f} times as"
            " long (its share of the machine). Kernel CPU is the quiet run's CPU time.",
            "",
            f"Measured {dt.date.today().isoformat()} on {platform.machine()} with "
            f"{os.cpu_count()} cores, Python {platform.python_version()}.",
            "",
            "| notebook | quiet (s) | beside a busy process (s) | ratio | kernel CPU (s) "
            "| budget (s) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *(_row(path, quiet, loaded) for path, (quiet, loaded) in results.items()),
            "",
            f"Over the budget when quiet: {', '.join(over_budget) or 'none'}.",
            f"More than {SHARE_FACTOR:.0f} times slower beside a busy process: "
            f"{', '.join(collapsed) or 'none'}.",
            "",
        ]
    )


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    paths = [Path(a) for a in argv[1:]] or chapters()
    Path(argv[0]).write_text(table(measure(paths)))
    print(f"wrote {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
