"""Points stay consistent: what a notebook says a part is worth is what nbgrader grades it by.

Each assignment states the points of a part three times: in the points table of its introduction
(``| 6 | `build_cnn` and `train_cnn`: ... | 20 |``, then a ``**total**`` row), in the part's
heading (``## Part 6: Train a CNN ... (20 points)``), and in the grading metadata
(``metadata.nbgrader.points`` of the test cells and of the written answer's cell, between that
heading and the next level-2 heading). Where a part gives partial credit, its prose says
``Scoring: 20 points for ..., 10 points for ...`` and its test cell ends with
``20.0 if ... else 10.0``: the largest of those is the part's points too. The source and the
release notebooks are both checked.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import pytest

from grading import course

ASSIGNMENTS = [a for a in course.assignments() if (course.paths().source(a)).exists()]
NOTEBOOKS = [
    pytest.param(folder / a / f"{a}.ipynb", id=f"{folder.name}/{a}")
    for a in ASSIGNMENTS
    for folder in (course.ROOT / "solutions", course.ROOT / "assignments")
]

PART_HEADING = re.compile(r"^##\s+Part\s+(\d+)\b(.*)$", re.MULTILINE)
HEADING_POINTS = re.compile(r"\((\d+(?:\.\d+)?)\s+points?\)\s*$")
LEVEL_2 = re.compile(r"^##\s", re.MULTILINE)
PROSE_POINTS = re.compile(r"(\d+(?:\.\d+)?)\s+points?\s+for\b")


def _number(text: str) -> float:
    return float(text.strip().strip("*").strip())


def points_table(nb) -> tuple[dict[int, float], float | None]:
    """The introduction's points table: part -> points, and the total row's value."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        rows = [
            [c.strip() for c in line.strip().strip("|").split("|")]
            for line in cell.source.splitlines()
            if line.strip().startswith("|")
        ]
        if not rows or [c.casefold() for c in rows[0]][:1] != ["part"]:
            continue
        header = [c.casefold() for c in rows[0]]
        column = header.index("points")
        parts, total = {}, None
        for row in rows[2:]:  # after the header and its --- line
            if row[0].isdigit():
                parts[int(row[0])] = _number(row[column])
            elif "total" in " ".join(row).casefold():
                total = _number(row[column])
        return parts, total
    return {}, None


def _graded(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("grade"))


def _partial_credit(source: str) -> list[float]:
    """The numbers a test cell's last expression can score (``20.0 if ok else 10.0``)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return []
    if not body or not isinstance(body[-1], ast.Expr):
        return []
    numbers, pending = [], [body[-1].value]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.IfExp):
            pending += [node.body, node.orelse]
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            numbers.append(float(node.value))
        else:
            return []  # not a literal score
    return numbers


def disagreements(nb) -> list[str]:
    """Every way the table, the headings and the grading metadata disagree; empty if none."""
    problems: list[str] = []
    table, total = points_table(nb)
    if not table:
        problems.append("no points table (| part | ... | points |) in the introduction")
    headings: dict[int, float] = {}
    metadata: dict[int, float] = {}
    prose: dict[int, list[float]] = {}
    part: int | None = None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and LEVEL_2.search(cell.source):
            found = PART_HEADING.search(cell.source)
            part = int(found.group(1)) if found else None
            if found:
                stated = HEADING_POINTS.search(found.group(2))
                if stated is None:
                    problems.append(f"part {part}: its heading states no points: {found.group(0)}")
                else:
                    headings[part] = float(stated.group(1))
                metadata.setdefault(part, 0.0)
        if cell.cell_type == "markdown" and part is not None:
            prose.setdefault(part, []).extend(
                float(n) for n in PROSE_POINTS.findall(cell.source)
            )  # fmt: skip
        if not _graded(cell):
            continue
        meta = cell.metadata["nbgrader"]
        points = float(meta.get("points", 0))
        if part is None:
            problems.append(f"graded cell {meta.get('grade_id')} ({points:g} points) is in no part")
            continue
        metadata[part] += points
        scores = _partial_credit(cell.source) if cell.cell_type == "code" else []
        if scores and max(scores) != points:
            problems.append(
                f"part {part}: test cell {meta.get('grade_id')} has {points:g} points in its "
                f"metadata but scores at most {max(scores):g}"
            )
    for p in sorted(set(table) | set(headings) | set(metadata)):
        said = {"table": table.get(p), "heading": headings.get(p), "metadata": metadata.get(p)}
        if len({v for v in said.values()}) != 1:
            problems.append(
                f"part {p}: "
                + ", ".join(f"{k} {'-' if v is None else f'{v:g}'}" for k, v in said.items())
            )
        if prose.get(p) and said["metadata"] is not None and max(prose[p]) != said["metadata"]:
            problems.append(
                f"part {p}: its text gives up to {max(prose[p]):g} points, "
                f"its metadata {said['metadata']:g}"
            )
    graded_total = sum(metadata.values())
    if total is None:
        problems.append("the points table has no total row")
    elif not (total == sum(table.values()) == graded_total):
        problems.append(
            f"total: table row {total:g}, sum of the table {sum(table.values()):g}, "
            f"metadata {graded_total:g}"
        )
    return problems


def read(path: Path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_table_headings_and_metadata_agree(path):
    nb = read(path)
    assert disagreements(nb) == []
    table, total = points_table(nb)
    assert len(table) >= 3 and total == sum(table.values())


def _graded_cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _first_test(nb):
    return next(c for c in nb.cells if _graded(c) and c.cell_type == "code")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_changing_one_test_cells_points_in_a_copy_is_caught(assignment, tmp_path):
    source = course.paths().source(assignment)
    nb = read(source)
    test = _first_test(nb)
    test.metadata["nbgrader"]["points"] += 1
    copied = tmp_path / source.name
    nbformat.write(nb, copied)
    problems = disagreements(read(copied))
    part = int(re.search(r"part (\d+)", test.source).group(1))
    assert any(p.startswith(f"part {part}: table ") for p in problems), problems
    assert any(p.startswith("total:") for p in problems), problems
    assert disagreements(read(source)) == []  # the original is untouched


def test_other_disagreements_are_caught():
    original = read(course.paths().source("a1_cnn"))

    def changed(edit) -> list[str]:
        nb = copy.deepcopy(original)
        edit(nb)
        return disagreements(nb)

    def heading(nb):
        cell = next(c for c in nb.cells if c.source.startswith("## Part 3:"))
        cell.source = cell.source.replace("(10 points)", "(12 points)")

    def no_points_in_heading(nb):
        cell = next(c for c in nb.cells if c.source.startswith("## Part 3:"))
        cell.source = cell.source.replace(" (10 points)", "")

    def table_row(nb):
        nb.cells[0].source = nb.cells[0].source.replace("max pooling | 10 |", "max pooling | 5 |")

    def table_total(nb):
        nb.cells[0].source = nb.cells[0].source.replace("**100**", "**90**")

    def written_answer(nb):
        _graded_cell(nb, "written_answer").metadata["nbgrader"]["points"] = 5

    def partial_credit(nb):
        cell = _graded_cell(nb, "test_train_cnn")
        cell.source = cell.source.replace("20.0 if accuracy", "25.0 if accuracy")

    def prose(nb):
        cell = next(c for c in nb.cells if c.source.startswith("## Part 6:"))
        cell.source = cell.source.replace("Scoring: 20 points for", "Scoring: 30 points for")

    def stray_graded_cell(nb):
        cell = copy.deepcopy(_graded_cell(nb, "test_max_pool2d"))
        cell.metadata["nbgrader"]["grade_id"] = "stray"
        nb.cells.insert(1, cell)

    assert changed(heading) == ["part 3: table 10, heading 12, metadata 10"]
    assert changed(no_points_in_heading) == [
        "part 3: its heading states no points: ## Part 3: Max pooling",
        "part 3: table 10, heading -, metadata 10",
    ]
    assert changed(table_row) == [
        "part 3: table 5, heading 10, metadata 10",
        "total: table row 100, sum of the table 95, metadata 100",
    ]
    assert changed(table_total) == ["total: table row 90, sum of the table 100, metadata 100"]
    assert changed(written_answer) == [
        "part 7: table 10, heading 10, metadata 5",
        "total: table row 100, sum of the table 100, metadata 95",
    ]
    assert changed(partial_credit) == [
        "part 6: test cell test_train_cnn has 20 points in its metadata but scores at most 25"
    ]
    assert changed(prose) == ["part 6: its text gives up to 30 points, its metadata 20"]
    assert changed(stray_graded_cell) == ["graded cell stray (10 points) is in no part"]
