"""Execution times of the notebooks, read from the book build's jupyter-cache.

The book build executes each chapter once; this module reads what it recorded, so that the tests
and ``make timings`` never execute a chapter a second time.

Usage: ``python -m tests.timings TIMINGS.md`` writes the table of the last build.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

import nbformat

from tests.conventions import ROOT, chapters

CACHE = ROOT / "_build" / ".jupyter_cache"
BUDGET_S = 60.0
"""Every chapter executes top to bottom in at most this many seconds on a 2-core CPU."""


def _cache_record(cache, path: Path):
    """The cache's execution of chapter ``path`` as it is now, or None. Matched by the content
    of its code (as the build matches it), not by its path: a cache copied along with the
    repository to another folder still serves it."""
    try:
        return cache.match_cache_notebook(nbformat.read(ROOT / path, as_version=4))
    except KeyError:  # no execution of this source
        return None


def execution_times() -> dict[Path, float | None]:
    """Seconds each chapter took in the last build; None where the cache holds no execution of
    the chapter's current source (not built yet, or edited since)."""
    from jupyter_cache import get_cache

    if not CACHE.exists():
        raise FileNotFoundError(f"no build cache at {CACHE}: run `make book` first")
    cache = get_cache(CACHE)
    times: dict[Path, float | None] = {}
    for path in chapters():
        record = _cache_record(cache, path)
        times[path] = None if record is None else float(record.data["execution_seconds"])
    return times


def executed_notebook(path: Path):
    """The executed notebook of chapter ``path`` (with outputs) from the build cache, or None."""
    from jupyter_cache import get_cache

    cache = get_cache(CACHE)
    record = _cache_record(cache, path)
    return None if record is None else cache.get_cache_bundle(record.pk).nb


def table(times: dict[Path, float | None]) -> str:
    """The timings as a markdown document."""
    rows = [
        f"| `{path.as_posix()}` | {'not executed' if s is None else f'{s:.1f}'} | {BUDGET_S:.0f} |"
        for path, s in times.items()
    ]
    done = sorted(s for s in times.values() if s is not None)
    median = f"{done[len(done) // 2]:.1f} s" if done else "n/a"
    return "\n".join(
        [
            "# Notebook execution times",
            "",
            "Written by `make timings` from the book build's cache: the seconds each notebook took",
            "to execute top to bottom (kernel start included) on the CPU, offline, in the quick",
            "budget.",
            "",
            f"Measured {dt.date.today().isoformat()} on {platform.machine()} with "
            f"{os.cpu_count()} cores, Python {platform.python_version()}.",
            "",
            "| notebook | seconds | budget (s) |",
            "| --- | ---: | ---: |",
            *rows,
            "",
            f"Median: {median}.",
            "",
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    Path(sys.argv[1]).write_text(table(execution_times()))
    print(f"wrote {sys.argv[1]}")
