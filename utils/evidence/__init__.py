"""Results over several seeds: the comparisons a chapter draws its conclusions from.

One training run can be lucky. Every comparison the prose concludes from runs each contender once
per seed of :func:`seeds` with the same budget, and hands the per-seed results to :func:`collect`:

- the quick CPU run has time for seed 0 only: it runs that seed live, and :func:`collect` returns
  the results of every seed kept in this package (``utils/evidence/<chapter>.json``, committed
  with the book), so the chapter prints all of them next to its own run;
- ``make evidence`` executes the chapter with ``ITM528_SEEDS=3``: every seed runs live and
  :func:`collect` writes the file anew;
- a full run (a GPU, or ``ITM528_FULL_RUN=1``) runs every seed live and uses its own results.

The prose quotes a result through a ``<span data-evidence="name/contender">`` that
``python -m export.evidence sync`` fills in with :func:`summary` of the file's values, and a test
fails when the two differ, so a number is never typed twice.
"""

from __future__ import annotations

import json
import os
import statistics
from importlib import resources
from pathlib import Path

from utils.config import full_run

SEEDS_ENV = "ITM528_SEEDS"
"""How many seeds to run live, when set (``make evidence`` sets 3)."""
OUT_ENV = "ITM528_EVIDENCE_DIR"
"""Where :func:`collect` writes ``<chapter>.json`` when every seed ran live."""
RUN = "run `make evidence CHAPTER={chapter}` to write it"
N_SEEDS = 3
"""Seeds behind every conclusion: the live seeds of a full run, and of the evidence file."""


def seeds() -> list[int]:
    """The seeds to run live: 0 in the quick run, 0 to N_SEEDS - 1 in a full run or in
    ``make evidence`` (``ITM528_SEEDS`` decides when set)."""
    value = os.environ.get(SEEDS_ENV)
    if value is None:
        return list(range(N_SEEDS if full_run() else 1))
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{SEEDS_ENV} must be a positive whole number, got {value!r}")
    return list(range(int(value)))


def load(chapter: str) -> dict:
    """The committed evidence of a chapter: ``{name: {"format": ..., "values": {contender:
    [one value per seed]}}}``."""
    path = resources.files(__name__) / f"{chapter}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no evidence for {chapter!r}: {RUN.format(chapter=chapter)}")
    return json.loads(path.read_text(encoding="utf-8"))


def collect(chapter: str, name: str, values: dict[str, list[float]], fmt: str = "{:.3f}") -> dict:
    """The results of comparison `name` over every seed, ``{contender: [value per seed]}``.

    `values` holds this run's results, one per seed of :func:`seeds`. When every seed ran live they
    are the answer (and ``make evidence`` writes them to the chapter's file, with `fmt`, the format
    of one value in the prose); otherwise the committed results are, and this run's seeds must be
    among their contenders.
    """
    live = seeds()
    for contender, per_seed in values.items():
        if len(per_seed) != len(live):
            raise ValueError(f"{name}/{contender}: {len(per_seed)} values for {len(live)} seeds")
    if len(live) >= N_SEEDS:
        out = os.environ.get(OUT_ENV)
        if out:
            _write(Path(out) / f"{chapter}.json", name, values, fmt)
        return {c: [float(v) for v in per_seed] for c, per_seed in values.items()}
    kept = load(chapter).get(name)
    if kept is None or set(kept["values"]) != set(values):
        raise KeyError(f"the evidence of {chapter!r} lacks {name!r} with contenders"
                       f" {list(values)}: {RUN.format(chapter=chapter)}")  # fmt: skip
    return {contender: kept["values"][contender] for contender in values}  # in the chapter's order


def _write(path: Path, name: str, values: dict[str, list[float]], fmt: str) -> None:
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data[name] = {"format": fmt, "values": {c: [float(v) for v in vs] for c, vs in values.items()}}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def summary(per_seed: list[float], fmt: str = "{:.3f}") -> str:
    """``mean (lowest–highest)`` of one value per seed, each written with `fmt`."""
    low, high = min(per_seed), max(per_seed)
    return f"{fmt.format(statistics.fmean(per_seed))} ({fmt.format(low)}–{fmt.format(high)})"


def quote(chapter: str, key: str) -> str:
    """What the prose says for ``name/contender`` of the chapter's committed evidence."""
    name, _, contender = key.partition("/")
    entry = load(chapter)[name]
    return summary(entry["values"][contender], entry["format"])


def table(results: dict[str, list[float]], fmt: str = "{:.3f}", label: str = "") -> None:
    """Print one row per contender: the mean, the range and every seed's value."""
    n = len(next(iter(results.values())))
    width = max(len(label), *(len(c) for c in results))
    print(f"{label:<{width}}  mean (lowest–highest) over {n} seeds   per seed")
    for contender, per_seed in results.items():
        each = "  ".join(fmt.format(v) for v in per_seed)
        print(f"{contender:<{width}}  {summary(per_seed, fmt):<34}{each}")
