"""Repair of a submission's nbgrader metadata against the release.

Students download notebooks from Colab or an LMS; editors and copy-paste can damage the hidden
metadata nbgrader grades by. Before autograding, every submission is compared with the release:
what can be repaired unambiguously is repaired, everything found is reported, and the untouched
original is kept beside the repaired copy (:func:`grading.course.original_of`).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import cells, course


@dataclass
class Intake:
    """One student's submission after intake: where it is and what was found."""

    student: str
    notebook: Path
    notes: list[str] = field(default_factory=list)
    gradable: bool = True
    seconds: float | None = None


@dataclass
class _Repair:
    """A submission being compared with its release."""

    nb: nbformat.NotebookNode
    release: nbformat.NotebookNode
    notes: list[str] = field(default_factory=list)
    changed: bool = False
    """True once the notebook differs from what the student handed in: it is saved then."""

    def __post_init__(self) -> None:
        self.ref_by_id = {cells.grade_id(c): c for c in self.release.cells if cells.grade_id(c)}

    def fixed(self, note: str) -> None:
        self.notes.append(note)
        self.changed = True


def repair(path: Path, release: nbformat.NotebookNode) -> Intake:
    """Check ``path`` against the release notebook, repair it in place, and report.

    Repairs, each only where unambiguous: duplicated grade ids (a copied cell) keep the id on the
    cell that holds the student's work; unknown grade ids are dropped; cells whose metadata was
    lost get it back when they are found by their position or their ``def``/``class`` line;
    deleted read-only, test and answer cells are put back from the release (an answer cell put
    back scores zero). Edited read-only cells and written answers typed elsewhere are reported.
    """
    intake = Intake(path.parent.parent.name, path)
    raw = path.read_bytes()
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
        intake.gradable = False
        intake.notes.append(f"not a readable notebook ({type(err).__name__}); graded 0")
        return intake
    except Exception as err:  # nbformat raises several kinds on malformed structure
        intake.gradable = False
        intake.notes.append(f"not a valid notebook ({err.__class__.__name__}: {err}); graded 0")
        return intake
    work = _Repair(nb, release, intake.notes)
    for step in (_duplicates, _unknown_ids, _lost_metadata, _deleted, _edited, _answers_elsewhere):
        step(work)
    if work.changed:
        original = course.original_of(path)
        if not original.exists():
            original.write_bytes(raw)
        nbformat.write(nb, path)
    return intake


def _duplicates(work: _Repair) -> None:
    """Duplicated grade ids: keep the id on the copy that differs from the release (the work)."""
    seen: dict[str, list[int]] = {}
    for i, cell in enumerate(work.nb.cells):
        if (gid := cells.grade_id(cell)) is not None:
            seen.setdefault(gid, []).append(i)
    for gid, where in seen.items():
        if len(where) < 2:
            continue
        ref = work.ref_by_id.get(gid)
        keep, how = where[0], "unambiguous"  # a read-only or test cell: nbgrader restores it
        if ref is not None and cells.is_answer(ref):
            edited = [i for i in where if work.nb.cells[i].source != ref.source]
            keep = edited[-1] if edited else where[0]
            if len({work.nb.cells[i].source for i in edited}) > 1:
                how = "ambiguous: several copies differ, the last edited one is graded"
        for i in where:
            if i != keep:
                work.nb.cells[i].metadata.pop("nbgrader", None)
        work.fixed(
            f"cell '{gid}' appears {len(where)} times (a copied cell); graded the copy at "
            f"position {keep + 1} ({how})"
        )


def _unknown_ids(work: _Repair) -> None:
    """Grade ids the release does not have: metadata from another notebook, or invented."""
    for cell in work.nb.cells:
        gid = cells.grade_id(cell)
        if gid is not None and gid not in work.ref_by_id:
            cell.metadata.pop("nbgrader", None)
            work.fixed(f"cell with unknown grade id '{gid}' ignored")


def _lost_metadata(work: _Repair) -> None:
    """Cells that lost their metadata, found by their anchor (the release cell before) or
    signature."""
    present = {cells.grade_id(c) for c in work.nb.cells}
    for gid, ref in work.ref_by_id.items():
        if gid in present:
            continue
        i = _find_lost(work.nb, work.release, ref)
        if i is not None:
            work.nb.cells[i].metadata["nbgrader"] = copy.deepcopy(cells.nbgrader(ref))
            present.add(gid)
            work.fixed(f"cell '{gid}' had lost its grading metadata; restored")


def _deleted(work: _Repair) -> None:
    """Deleted read-only, test and answer cells, put back after their predecessor."""
    present = {cells.grade_id(c) for c in work.nb.cells}
    for r, ref in enumerate(work.release.cells):
        gid = cells.grade_id(ref)
        if gid is None or gid in present:
            continue
        work.nb.cells.insert(_insert_position(work.nb, work.release, r), copy.deepcopy(ref))
        present.add(gid)
        work.fixed(f"{cells.kind(ref)} cell '{gid}' was deleted; restored from the release")


def _edited(work: _Repair) -> None:
    """Edited read-only or test cells: nbgrader restores them from its database; report them."""
    for cell in work.nb.cells:
        ref = work.ref_by_id.get(cells.grade_id(cell))
        if (
            ref is not None
            and cells.nbgrader(ref).get("locked")
            and cells.without_hidden(cell.source).rstrip()
            != cells.without_hidden(ref.source).rstrip()
        ):
            work.notes.append(
                f"read-only cell '{cells.grade_id(cell)}' was edited; the grader uses the original"
            )


def _answers_elsewhere(work: _Repair) -> None:
    """A note for each written answer left as the stub while the student wrote prose in a cell
    of their own: it scores nothing there, so the TA should look."""
    released = {c.source.strip() for c in work.release.cells}
    prose = [
        i for i, c in enumerate(work.nb.cells)
        if c.cell_type in ("markdown", "raw") and not cells.grade_id(c)
        and c.source.strip() not in released and len(c.source.split()) >= 12
    ]  # fmt: skip
    if not prose:
        return
    for gid, ref in work.ref_by_id.items():
        if ref.cell_type != "markdown" or not cells.is_answer(ref):
            continue
        cell = next((c for c in work.nb.cells if cells.grade_id(c) == gid), None)
        if cell is not None and cell.source.strip() == ref.source.strip():
            work.notes.append(
                f"written answer '{gid}' is empty, but the student wrote text in an added cell "
                f"(position {prose[0] + 1}): grade it by hand"
            )


def _first_line(source: str) -> str:
    return next(
        (ln.strip() for ln in source.splitlines() if ln.strip() and not ln.startswith("#")), ""
    )


def _find_lost(nb, release, ref) -> int | None:
    """Index of the submission cell that lost ``ref``'s metadata, or None if not unambiguous."""
    r = next(i for i, c in enumerate(release.cells) if c is ref)
    candidates = set()
    if r > 0:  # the cell right after the same predecessor, of the same type, without metadata
        before = release.cells[r - 1].source
        for i, cell in enumerate(nb.cells[:-1]):
            nxt = nb.cells[i + 1]
            if cell.source == before and nxt.cell_type == ref.cell_type and not cells.grade_id(nxt):
                candidates.add(i + 1)
    if not candidates and ref.cell_type == "code":  # the same `def` / `class` line
        signature = _first_line(ref.source)
        if signature.startswith(("def ", "class ")):
            candidates = {
                i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and not cells.grade_id(c)
                and _first_line(c.source) == signature
            }  # fmt: skip
    if ref.cell_type == "code" and cells.nbgrader(ref).get("locked"):  # read-only: same source
        candidates |= {
            i for i, c in enumerate(nb.cells) if not cells.grade_id(c) and c.source == ref.source
        }
    return candidates.pop() if len(candidates) == 1 else None


def _insert_position(nb, release, r: int) -> int:
    """Where to put release cell ``r`` back: after the submission's copy of its predecessor."""
    for back in range(r - 1, -1, -1):
        prev = release.cells[back]
        gid = cells.grade_id(prev)
        for i, cell in enumerate(nb.cells):
            if (gid is not None and cells.grade_id(cell) == gid) or (
                gid is None and cell.source == prev.source
            ):
                return i + 1
    return 0
