"""Where a release cell stands in a submission whose metadata was damaged: found by its
neighbour in the release or by its ``def``/``class`` line, or where to put it back."""

from __future__ import annotations

from grading import cells


def find_lost(nb, release, ref) -> int | None:
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
        signature = cells.signature(ref.source)
        if signature:
            candidates = {
                i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and not cells.grade_id(c)
                and cells.signature(c.source) == signature
            }  # fmt: skip
    if ref.cell_type == "code" and cells.nbgrader(ref).get("locked"):  # read-only: same source
        candidates |= {
            i for i, c in enumerate(nb.cells) if not cells.grade_id(c) and c.source == ref.source
        }
    return candidates.pop() if len(candidates) == 1 else None


def insert_position(nb, release, r: int) -> int:
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
