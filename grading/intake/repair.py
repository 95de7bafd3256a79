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
from grading.intake.matching import find_lost, insert_position


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

    The submission is untrusted: an old notebook format is converted, text that cannot be
    written (a lone surrogate) replaced, and grading metadata is the release's, whatever the
    file says: a cell with a released grade id gets the release's metadata, metadata without a
    grade id is dropped, and a cell whose source is a released read-only or test cell is that
    cell. Then, each only where unambiguous: duplicated grade ids (a copied cell) keep the id on
    the cell that holds the student's work; unknown grade ids are dropped; cells whose metadata
    was lost get it back when they are found by their position or their ``def``/``class`` line;
    deleted read-only, test and answer cells are put back from the release (an answer cell put
    back scores zero). Edited read-only cells and written answers typed elsewhere are reported.
    """
    intake = Intake(path.parent.parent.name, path)
    raw = path.read_bytes()
    try:
        as_saved = nbformat.reader.reads(raw.decode("utf-8"))
        saved_version = as_saved.get("nbformat")
        nb = nbformat.convert(as_saved, 4)  # converts in place
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
        intake.gradable = False
        intake.notes.append(f"not a readable notebook ({type(err).__name__}); graded 0")
        return intake
    except Exception as err:  # nbformat raises several kinds on malformed structure
        intake.gradable = False
        intake.notes.append(f"not a valid notebook ({err.__class__.__name__}: {err}); graded 0")
        return intake
    work = _Repair(nb, release, intake.notes)
    if saved_version != 4:
        work.fixed(f"saved as nbformat {saved_version}; converted to nbformat 4")
    if without_surrogates(nb):
        work.fixed("text that cannot be saved (a lone surrogate) was replaced by U+FFFD")
    steps = (_foreign_metadata, _duplicates, _unknown_ids, _released_copies, _lost_metadata,
             _deleted, _edited, _answers_elsewhere)  # fmt: skip
    for step in steps:
        step(work)
    if work.changed:
        original = course.original_of(path)
        if not original.exists():
            original.write_bytes(raw)
        nbformat.write(nb, path)
    return intake


def without_surrogates(node) -> bool:
    """Replace, in place, every lone surrogate in the strings of a notebook (or any JSON-like
    structure) by U+FFFD, which can be written as UTF-8; True if there was any."""
    found = False
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in list(items):
        if isinstance(value, str):
            clean = value.encode("utf-8", "replace").decode("utf-8")
            if clean != value:
                node[key], found = clean, True
        elif isinstance(value, dict | list):
            found = without_surrogates(value) or found
    return found


def _foreign_metadata(work: _Repair) -> None:
    """Grading metadata is the release's: a cell with a released grade id gets the release's
    metadata (points, kind, checksum), and metadata nbgrader cannot use (no grade id, not a
    table) is dropped."""
    for cell in work.nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        ref = work.ref_by_id.get(gid) if isinstance(gid, str) else None
        if ref is not None:
            if meta != cells.nbgrader(ref):
                cell.metadata["nbgrader"] = copy.deepcopy(cells.nbgrader(ref))
                work.fixed(
                    f"cell '{gid}' carried other grading metadata than the release's; restored"
                )
        elif not isinstance(gid, str) or not gid:
            cell.metadata.pop("nbgrader")
            work.fixed(
                f"cell {work.nb.cells.index(cell) + 1}: grading metadata without a grade id ignored"
            )


def _released_copies(work: _Repair) -> None:
    """A cell without grading metadata whose source is a released read-only or test cell is that
    cell: it gets the cell's metadata back, or is removed where the cell is there already (a
    copy of the grader's code would otherwise count as the student's)."""
    released = {
        c.source.strip(): gid
        for gid, c in work.ref_by_id.items()
        if not cells.is_answer(c) and c.source.strip()
    }
    present = {cells.grade_id(c) for c in work.nb.cells}
    for cell in list(work.nb.cells):
        gid = released.get(cell.source.strip())
        if gid is None or cells.grade_id(cell) is not None:
            continue
        if gid in present:
            work.nb.cells.remove(cell)
            work.fixed(f"a copy of the {cells.kind(work.ref_by_id[gid])} cell '{gid}' was removed")
        else:
            cell.metadata["nbgrader"] = copy.deepcopy(cells.nbgrader(work.ref_by_id[gid]))
            present.add(gid)
            work.fixed(f"cell '{gid}' had lost its grading metadata; restored")


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
        i = find_lost(work.nb, work.release, ref)
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
        work.nb.cells.insert(insert_position(work.nb, work.release, r), copy.deepcopy(ref))
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
