"""What the grader will do differently with a notebook than what its student saw: the checks.

Each check reads the notebook a student is about to hand in and returns :class:`Item` s, each
saying where, what the grader will do, and which tests that costs. The rules are the grader's own
(:mod:`utils.graded`, :mod:`utils.policy`); the release's graded cells come from
``releases.json`` (written when the assignments are released: grade id, cell type, points and
a hash of each released cell), since a notebook alone cannot show a cell it no longer has.
:func:`run_fresh` runs the notebook from top to bottom in a fresh kernel, as the grader does.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from utils import graded, how

RELEASES = Path(__file__).resolve().parent / "releases.json"
CHECK_ID = "check_before_submit"
"""The grade id of the read-only cell that runs this check (the fresh run leaves it out)."""


@dataclass
class Item:
    """One thing the grader will do differently, in plain words."""

    kind: str
    """``policy``, ``rule``, ``review``, ``deleted``, ``lost``, ``duplicated``, ``retyped``,
    ``edited``, ``unknown``, ``unanswered``, ``unsaved``, ``empty``, ``order``, ``not-run``,
    ``slow`` or ``failed``."""
    where: str
    what: str
    costs: list[str] = field(default_factory=list)
    """Grade ids of the tests that score 0 because of it."""


def digest(text: str) -> str:
    """The hash by which a released cell is recognised (its source, surrounding space dropped)."""
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


def manifest_entry(cell: Mapping) -> dict:
    """One released graded cell as ``releases.json`` records it."""
    meta = graded.nbgrader(cell)
    return {
        "grade_id": graded.grade_id(cell),
        "cell_type": cell.get("cell_type"),
        "kind": graded.kind(cell),
        "points": float(meta.get("points", 0) or 0),
        "digest": digest(graded.source(cell)),
        "signature": graded.signature(graded.source(cell)),
    }


def release(assignment: str) -> list[dict]:
    """The graded cells of ``assignment``'s release, in order."""
    releases = json.loads(RELEASES.read_text())
    if assignment not in releases:
        known = ", ".join(sorted(releases))
        raise ValueError(f"unknown assignment {assignment!r}: the course has {known}")
    return releases[assignment]


def tests_of(cells: Sequence[dict], answer: str) -> list[str]:
    """The tests that grade the answer ``answer``: the test cells after it, up to the next
    answer cell."""
    found, inside = [], False
    for entry in cells:
        if entry["kind"] == "answer":
            inside = entry["grade_id"] == answer
        elif inside and entry["kind"] == "test":
            found.append(entry["grade_id"])
    return found


def _where(i: int, line: int = 0) -> str:
    return f"cell {i + 1}" + (f", line {line}" if line else "")


def structure(nb: Mapping, cells: Sequence[dict]) -> list[Item]:
    """The graded cells against the release: deleted, duplicated, retyped, edited, unknown,
    and answers still as released."""
    items: list[Item] = []
    by_id = {entry["grade_id"]: entry for entry in cells}
    where: dict[str, list[int]] = {}
    for i, cell in enumerate(nb["cells"]):
        if (gid := graded.grade_id(cell)) is not None:
            where.setdefault(gid, []).append(i)
    for gid, places in where.items():
        if gid not in by_id:
            what = f"the grade id '{gid}' is not this assignment's: the grader ignores it"
            items.append(Item("unknown", _where(places[0]), what))
        elif len(places) > 1:
            items.append(Item("duplicated", _where(places[1]), f"cell '{gid}' appears "
                              f"{len(places)} times (a copied cell): the grader grades one copy, "
                              "the last edited one for an answer; delete the others"))  # fmt: skip
    for entry in cells:
        gid = entry["grade_id"]
        if gid not in where and (i := _lost(nb, entry)) is not None:
            items.append(Item("lost", _where(i), f"cell '{gid}' lost its grading metadata (an "
                              "editor dropped it): the grader recognises it by its "
                              + ("def line" if entry["kind"] == "answer" else "source")
                              + " and grades it as that cell"))  # fmt: skip
            continue
        if gid not in where:
            answer = entry["kind"] == "answer"
            items.append(Item("deleted", "", f"{entry['kind']} cell '{gid}' was deleted: the "
                              "grader puts back the release's cell" + (", empty, so its tests "
                              "score 0" if answer else ""),
                              tests_of(cells, gid) if answer else []))  # fmt: skip
            continue
        i = where[gid][-1]
        cell = nb["cells"][i]
        if cell.get("cell_type") != entry["cell_type"]:
            items.append(Item("retyped", _where(i), f"cell '{gid}' was changed to a "
                              f"{cell.get('cell_type')} cell: the grader turns it back into a "
                              f"{entry['cell_type']} cell and runs it as such"))  # fmt: skip
        same = digest(graded.source(cell)) == entry["digest"]
        if entry["kind"] != "answer" and not same:
            what = f"{entry['kind']} cell '{gid}' was edited: the grader uses the original"
            items.append(Item("edited", _where(i), what + ", so your changes there do not count"))
        elif entry["kind"] == "answer" and same:
            costs = tests_of(cells, gid) if entry["cell_type"] == "code" else []
            items.append(Item("unanswered", _where(i), f"answer '{gid}' is still as released"
                              + (": its tests score 0" if costs else ": it earns no points"),
                              costs))  # fmt: skip
    return items


def _lost(nb: Mapping, entry: dict) -> int | None:
    """The one cell without grading metadata that is ``entry``'s cell, if there is exactly one."""
    found = [
        i for i, c in enumerate(nb["cells"])
        if graded.grade_id(c) is None and c.get("cell_type") == entry["cell_type"] and (
            digest(graded.source(c)) == entry["digest"] if entry["kind"] != "answer"
            else entry["signature"] and graded.signature(graded.source(c)) == entry["signature"])
    ]  # fmt: skip
    return found[0] if len(found) == 1 else None


def policy(nb: Mapping) -> list[Item]:
    """The grader's static policy (:func:`utils.graded.findings`) and what each finding costs,
    then the rules of how each part computes (:mod:`utils.how`)."""
    found = graded.findings(nb)
    costs = graded.zeroed(nb, found)
    items = [
        Item("policy", _where(f.cell, f.line), f"{f.what}, which the grader's rules forbid "
             "(utils/policy.py): every test after this cell scores 0", costs if k == 0 else [])
        for k, f in enumerate(sorted(found, key=lambda f: (f.cell, f.line)))
    ]  # fmt: skip
    for b in how.broken(nb):
        items.append(Item("rule" if b.costs else "review", _where(b.cell, b.line),
                          how.message(b), [b.test] if b.costs else []))  # fmt: skip
    return items


def order(nb: Mapping) -> list[Item]:
    """Code cells never run, or run out of order: the grader runs them all, top to bottom, in a
    fresh kernel, so a result that depends on another order or on a cell that was deleted after
    it ran will differ."""
    code = [(i, c) for i, c in enumerate(nb["cells"])
            if c.get("cell_type") == "code" and graded.grade_id(c) != CHECK_ID
            and graded.source(c).strip()]  # fmt: skip
    counts = [(i, c.get("execution_count")) for i, c in code]
    never = [i for i, n in counts if n is None]
    ran = [(i, n) for i, n in counts if n is not None]
    items = []
    if never and ran:
        shown = ", ".join(str(i + 1) for i in never[:8]) + (" ..." if len(never) > 8 else "")
        items.append(Item("not-run", f"cells {shown}", f"{len(never)} code cell(s) never ran "
                          "in your session; the grader runs them"))  # fmt: skip
    back = [i for (_, a), (i, b) in zip(ran, ran[1:]) if b < a]
    if back:
        items.append(Item("order", _where(back[0]), "cells ran out of order (this one ran "
                          "before a cell above it); the grader runs top to bottom, so check "
                          "the fresh run below"))  # fmt: skip
    return items


def _finished(cell) -> float:
    """When the fresh run finished ``cell`` (seconds since the epoch; infinity if it did not)."""
    stamp = cell.get("metadata", {}).get("execution", {}).get("shell.execute_reply")
    if not stamp:
        return float("inf")
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def run_fresh(nb: Mapping, folder: Path, cell_seconds: float = graded.CELL_SECONDS,
              notebook_seconds: float = graded.NOTEBOOK_SECONDS):  # fmt: skip
    """Run a copy of ``nb`` (without this check's own cell) from top to bottom in a fresh kernel,
    as the grader does; returns (items for the visible tests that failed, {test: passed}, seconds).
    """
    import nbclient
    import nbformat

    work = nbformat.reads(json.dumps(nb), as_version=4)
    work.cells = [c for c in work.cells if graded.grade_id(c) != CHECK_ID]
    for cell in work.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    start, started = time.perf_counter(), time.time()
    client = nbclient.NotebookClient(
        work, timeout=cell_seconds, interrupt_on_timeout=True, kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )  # fmt: skip
    stopped = None
    try:
        client.execute()
    except Exception as err:  # a cell over the time limit, or the kernel died
        stopped = f"{type(err).__name__}: {str(err).strip().splitlines()[-1][:200]}"
    seconds = time.perf_counter() - start
    items, results = [], {}
    if seconds > notebook_seconds:
        late = [graded.grade_id(c) for c in work.cells
                if graded.is_test(c) and _finished(c) - started > notebook_seconds]  # fmt: skip
        items.append(Item("slow", "", f"the whole notebook ran for {seconds:.0f} s; the grader "
                          f"stops it after {notebook_seconds:.0f} s, and every test that has not "
                          "run by then scores 0: make the training shorter", late))  # fmt: skip
    for cell in work.cells:
        if not graded.is_test(cell):
            continue
        gid = graded.grade_id(cell)
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        ran = cell.get("execution_count") is not None
        results[gid] = ran and error is None
        if not ran:
            items.append(Item("failed", f"test '{gid}'", "did not run: the notebook stopped "
                              f"before it ({stopped or 'an error above'})", [gid]))  # fmt: skip
        elif error is not None:
            message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()[:300]
            items.append(Item("failed", f"test '{gid}'", f"fails in a fresh run: {message}",
                              [gid]))  # fmt: skip
    return items, results, seconds
