"""The chapters' evidence: every seed of their comparisons run, and the prose bound to the results.

``python -m export.evidence run [CHAPTER ...]`` (``make evidence``) executes each chapter (all
those that collect evidence when none is named) with ``utils.evidence.N_SEEDS`` live seeds, so
that ``utils.evidence.collect`` writes ``utils/evidence/<chapter>.json``; then it syncs the prose.

``python -m export.evidence sync`` writes into every ``<span data-evidence="name/contender">`` of
a chapter's markdown what ``utils.evidence.quote`` says of that result, and nothing else; ``check``
lists the spans that differ (a test fails on any), so a number in the prose is the data's.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat

from export.conventions import ROOT, chapters

SPAN = re.compile(r'(<span data-evidence="(?P<key>[^"]+)">)(?P<text>[^<]*)(</span>)')
DATA = ROOT / "utils" / "evidence"
COLLECTS = re.compile(r"utils\.evidence\.collect\(")


def collecting() -> list[Path]:
    """The chapters whose code collects evidence."""
    return [p for p in chapters() if COLLECTS.search((ROOT / p).read_text(encoding="utf-8"))]


def _quote(chapter: str, key: str) -> str:
    from utils import evidence

    try:
        return evidence.quote(chapter, key)
    except (FileNotFoundError, KeyError) as error:
        raise LookupError(f"{chapter}: the prose quotes {key!r}; the evidence lacks it") from error


def check(path: Path, nb: nbformat.NotebookNode | None = None) -> list[str]:
    """Each span of the chapter (as on disk, or `nb`) whose text is not what the evidence says."""
    nb = nbformat.read(ROOT / path, as_version=4) if nb is None else nb
    wrong = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for match in SPAN.finditer(cell.source):
            expected = _quote(path.stem, match["key"])
            if match["text"] != expected:
                wrong.append(f"{path}: {match['key']} is {match['text']!r}, not {expected!r}")
    return wrong


def sync(path: Path) -> int:
    """Write the evidence into the chapter's spans; return how many changed."""
    nb = nbformat.read(ROOT / path, as_version=4)
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        new = SPAN.sub(lambda m: m[1] + _quote(path.stem, m["key"]) + m[4], cell.source)
        changed += new != cell.source
        cell.source = new
    if changed:
        nbformat.write(nb, ROOT / path)
    return changed


def run(path: Path) -> float:
    """Execute the chapter with every seed live, in its folder as the build does; seconds taken."""
    from nbclient import NotebookClient

    from utils import evidence

    live = {evidence.SEEDS_ENV: str(evidence.N_SEEDS), evidence.OUT_ENV: str(DATA)}
    os.environ.update(live, TQDM_DISABLE="1")
    nb = nbformat.read(ROOT / path, as_version=4)
    folder = {"metadata": {"path": str((ROOT / path).parent)}}
    client = NotebookClient(nb, timeout=1200, kernel_name="python3", resources=folder)
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def _named(args: list[str]) -> list[Path]:
    if not args:
        return collecting()
    known = {p.stem: p for p in collecting()}
    unknown = [a for a in args if Path(a).stem not in known]
    if unknown:
        raise SystemExit(f"no chapter collects evidence as {unknown}: choose from {sorted(known)}")
    return [known[Path(a).stem] for a in args]


def main(argv: list[str]) -> None:
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "run":
        for path in _named(args):
            print(f"{path}: {run(path):.0f} s with every seed", flush=True)
    if command in ("run", "sync"):
        for path in chapters():
            if changed := sync(path):
                print(f"{path}: {changed} cell(s) of prose now quote the evidence")
        return
    raise SystemExit("usage: python -m export.evidence run [CHAPTER ...] | sync")


if __name__ == "__main__":
    main(sys.argv[1:])
