"""Intake of submissions and repair of their nbgrader metadata against the release.

Students download notebooks from Colab or an LMS; editors and copy-paste can damage the hidden
metadata nbgrader grades by. Before autograding, every submission is compared with the release:
what can be repaired unambiguously is repaired, everything found is reported by student, and the
untouched original is kept beside the repaired copy.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import course, history, identity
from grading.identity import student_id  # noqa: F401 (part of this module's interface)


def original_path(path: Path) -> Path:
    """Where the untouched submission is kept: ``submitted/<student>/<assignment>.original.ipynb``,
    outside the folder that nbgrader grades and copies into the feedback."""
    return path.parent.parent / f"{path.stem}.original.ipynb"


@dataclass
class Intake:
    """One student's submission after intake: where it is and what was found."""

    student: str
    notebook: Path
    notes: list[str] = field(default_factory=list)
    gradable: bool = True
    seconds: float | None = None


def collect(assignment: str, source: Path | None) -> tuple[list[str], list[str]]:
    """Take new submissions into the history; return the students with one, and the problems.

    ``source`` is either nbgrader's own layout (``<source>/<student>/<assignment>/*.ipynb``,
    with its ``timestamp.txt``) or a folder of ``<student>.ipynb`` files, as downloaded from
    Colab or an LMS. Ids and collisions are settled for the whole folder before anything is
    kept, and whatever cannot be taken (a ``.txt``, an unusable name) is reported, not fatal.
    Without ``source``, what is already in ``submitted/`` is graded.
    """
    problems: list[str] = []
    if source is not None:
        source = Path(source)
        if not source.is_dir():
            raise SystemExit(f"submissions folder {source} does not exist")
        items, nested = [], set()
        for path in sorted(source.iterdir()):
            inner = path / assignment / f"{assignment}.ipynb"
            if path.is_file() and path.suffix == ".ipynb":
                items.append((path.stem, path))
            elif path.is_dir() and inner.is_file():
                items.append((path.name, inner))
                nested.add(inner)
            elif not path.name.startswith("."):
                what = (
                    "a folder without " + f"{assignment}/{assignment}.ipynb"
                    if path.is_dir()
                    else "not a notebook"
                )
                problems.append(f"{path.name}: ignored ({what})")
        if not items:
            raise SystemExit(
                f"no submissions in {source}: expected <student>.ipynb files or "
                f"<student>/{assignment}/{assignment}.ipynb"
            )
        found = identity.identify(items)
        problems += found.problems
        for student, path in found.by_student.items():
            when = history.timestamp_of(path) if path in nested else None
            history.add(student, assignment, path, when)
    for path in sorted(course.SUBMITTED.glob(f"*/{assignment}/{assignment}.ipynb")):
        student = path.parent.parent.name  # placed by hand or by nbgrader: keep it too
        if not history.load(student, assignment)["versions"]:
            history.add(student, assignment, path, history.timestamp_of(path))
    students = sorted(
        p.parent.parent.name for p in course.SUBMITTED.glob(f"*/{assignment}.history/history.json")
    )
    return students, problems


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _gid(cell) -> str | None:
    meta = _nbg(cell)
    graded = meta.get("grade") or meta.get("solution") or meta.get("locked")
    return meta.get("grade_id") if graded else None


def _visible(source: str) -> str:
    """``source`` without its hidden-test regions: what the release shows of a test cell."""
    lines, hidden = [], False
    for line in source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "### END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines).rstrip()


def _first_line(source: str) -> str:
    return next(
        (ln.strip() for ln in source.splitlines() if ln.strip() and not ln.startswith("#")), ""
    )


def repair(path: Path, release: nbformat.NotebookNode) -> Intake:
    """Check ``path`` against the release notebook, repair it in place, and report.

    Repairs, each only where unambiguous: duplicated grade ids (a copied cell) keep the id on the
    cell that holds the student's work; cells whose metadata was lost get it back when they are
    found by their position or their ``def``/``class`` line; deleted read-only, test and answer
    cells are put back from the release (an answer cell put back scores zero). The original is
    kept (:func:`original_path`).
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

    ref_cells = [c for c in release.cells if _gid(c)]
    ref_by_id = {_gid(c): c for c in ref_cells}
    notes = intake.notes

    # 1. duplicated grade ids: keep the id on the copy that differs from the release (the work)
    seen: dict[str, list[int]] = {}
    for i, cell in enumerate(nb.cells):
        gid = _gid(cell)
        if gid is not None:
            seen.setdefault(gid, []).append(i)
    for gid, where in seen.items():
        if len(where) < 2:
            continue
        ref = ref_by_id.get(gid)
        keep, how = where[0], "unambiguous"  # a read-only or test cell: nbgrader restores it
        if ref is not None and _nbg(ref).get("solution"):
            changed = [i for i in where if nb.cells[i].source != ref.source]
            keep = changed[-1] if changed else where[0]
            if len({nb.cells[i].source for i in changed}) > 1:
                how = "ambiguous: several copies differ, the last edited one is graded"
        for i in where:
            if i != keep:
                nb.cells[i].metadata.pop("nbgrader", None)
        notes.append(
            f"cell '{gid}' appears {len(where)} times (a copied cell); graded the copy at "
            f"position {keep + 1} ({how})"
        )

    # 2. unknown grade ids: metadata from another notebook or invented; drop it
    for cell in nb.cells:
        gid = _gid(cell)
        if gid is not None and gid not in ref_by_id:
            cell.metadata.pop("nbgrader", None)
            notes.append(f"cell with unknown grade id '{gid}' ignored")

    # 3. lost metadata: find the cell by its anchor (the release cell before it) or signature
    present = {_gid(c) for c in nb.cells}
    for gid, ref in ref_by_id.items():
        if gid in present:
            continue
        i = _find_lost(nb, release, ref)
        if i is not None:
            nb.cells[i].metadata["nbgrader"] = copy.deepcopy(_nbg(ref))
            present.add(gid)
            notes.append(f"cell '{gid}' had lost its grading metadata; restored")

    # 4. deleted cells: put read-only, test and answer cells back after their predecessor
    for r, ref in enumerate(release.cells):
        gid = _gid(ref)
        if gid is None or gid in present:
            continue
        at = _insert_position(nb, release, r)
        nb.cells.insert(at, copy.deepcopy(ref))
        present.add(gid)
        kind = (
            "answer"
            if _nbg(ref).get("solution")
            else "test"
            if _nbg(ref).get("grade")
            else "read-only"
        )
        notes.append(f"{kind} cell '{gid}' was deleted; restored from the release")

    # 5. edited read-only or test cells are restored by nbgrader from its database: report them
    for cell in nb.cells:
        gid = _gid(cell)
        ref = ref_by_id.get(gid)
        if (
            ref is not None
            and _nbg(ref).get("locked")
            and _visible(cell.source) != _visible(ref.source)
        ):
            notes.append(f"read-only cell '{gid}' was edited; the grader uses the original")

    repaired = [n for n in notes if "was edited" not in n]
    notes += _answers_elsewhere(nb, release, ref_by_id)
    if repaired:
        original = original_path(path)
        if not original.exists():
            original.write_bytes(raw)
        nbformat.write(nb, path)
    return intake


def _answers_elsewhere(nb, release, ref_by_id) -> list[str]:
    """A note for each written answer left as the stub while the student wrote prose in a cell
    of their own: it scores nothing there, so the TA should look."""
    released = {c.source.strip() for c in release.cells}
    prose = [
        i for i, c in enumerate(nb.cells)
        if c.cell_type in ("markdown", "raw") and not _gid(c)
        and c.source.strip() not in released and len(c.source.split()) >= 12
    ]  # fmt: skip
    notes = []
    for gid, ref in ref_by_id.items():
        if ref.cell_type != "markdown" or not _nbg(ref).get("solution") or not prose:
            continue
        cell = next((c for c in nb.cells if _gid(c) == gid), None)
        if cell is not None and cell.source.strip() == ref.source.strip():
            notes.append(
                f"written answer '{gid}' is empty, but the student wrote text in an added cell "
                f"(position {prose[0] + 1}): grade it by hand"
            )
    return notes


def _find_lost(nb, release, ref) -> int | None:
    """Index of the submission cell that lost ``ref``'s metadata, or None if not unambiguous."""
    r = next(i for i, c in enumerate(release.cells) if c is ref)
    candidates = set()
    if r > 0:  # the cell right after the same predecessor, of the same type, without metadata
        before = release.cells[r - 1].source
        for i, cell in enumerate(nb.cells[:-1]):
            nxt = nb.cells[i + 1]
            if cell.source == before and nxt.cell_type == ref.cell_type and not _gid(nxt):
                candidates.add(i + 1)
    if not candidates and ref.cell_type == "code":  # the same `def` / `class` line
        signature = _first_line(ref.source)
        if signature.startswith(("def ", "class ")):
            candidates = {
                i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and not _gid(c) and _first_line(c.source) == signature
            }  # fmt: skip
    if ref.cell_type == "code" and _nbg(ref).get("locked"):  # a read-only cell: same source
        candidates |= {i for i, c in enumerate(nb.cells) if not _gid(c) and c.source == ref.source}
    return candidates.pop() if len(candidates) == 1 else None


def _insert_position(nb, release, r: int) -> int:
    """Where to put release cell ``r`` back: after the submission's copy of its predecessor."""
    for back in range(r - 1, -1, -1):
        prev = release.cells[back]
        gid = _gid(prev)
        for i, cell in enumerate(nb.cells):
            if (gid is not None and _gid(cell) == gid) or (
                gid is None and cell.source == prev.source
            ):
                return i + 1
    return 0
