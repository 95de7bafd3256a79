"""Execution times of the notebooks, read from the book build's jupyter-cache.

The book build executes each chapter once; this module reads what it recorded, so that the tests
never execute a chapter a second time. ``make timings`` (tests/timings_load.py) executes them
again on purpose, quietly and beside a busy process, to measure them against the budget.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from export.conventions import ROOT, chapters

CACHE = ROOT / "_build" / ".jupyter_cache"
BUDGET_S = 60.0
"""Every chapter executes top to bottom in at most this many seconds on a quiet 2-core CPU
(``make timings`` measures it: tests/timings_load.py)."""
BUILD_LIMIT_S = 3 * BUDGET_S
"""What the tests allow a chapter in the book build, which may share the machine with other work.
One thread per chapter (``utils.setup``) keeps the slowdown near the chapter's share of the
cores, about two to three times on a machine loaded three to five times over; a chapter that
collapses tenfold (threads spinning against each other) or that grew past its budget fails."""


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
