"""Final grades of one assignment as files an LMS imports: Canvas and Moodle.

Both files are UTF-8 without a byte-order mark, comma-separated, with ``\\r\\n`` line ends and
fields quoted only where needed (a comma or quote in a name). Numbers are written with a ``.``
and at most two decimals (``85``, ``72.5``). Each student is one row, in roster order.

**Canvas** (``grades/<id>.canvas.csv``), the layout of Canvas's own gradebook export::

    Student,ID,SIS User ID,SIS Login ID,Section,A1 CNN (12345)
        Points Possible,,,,,100
    김민준,48213,2024001,minjun.kim@univ.ac.kr,,85
    Lee Seo-yeon,48214,2024002,seoyeon.lee@univ.ac.kr,,0

``Student`` is the roster's name, ``ID`` the Canvas user id (the roster's ``lms_id``), ``SIS User
ID`` the student id and ``SIS Login ID`` the e-mail; Canvas finds each student by ``ID``, else by
the SIS ids, else by name. ``Section`` is left empty (Canvas does not change sections on import).
The second row starts with four spaces, as in Canvas's export, and gives the points possible.
The last column is the assignment: with its Canvas assignment id, set per assignment in
``nbgrader_config.py`` as ``CANVAS_ASSIGNMENT_IDS = {"a1_cnn": 12345}``, it is named like
Canvas names it in an export, ``<title> (<id>)``, where the title is the assignment id with the
course number and acronyms in capitals (``a1_cnn`` -> ``A1 CNN``, ``a3_transformer`` ->
``A3 Transformer``) and Canvas matches the column by the id alone. Without a Canvas id the
column is just the assignment id (``a1_cnn``): Canvas then matches an assignment of exactly that
name or offers to create one. Import: Grades -> Import -> choose the file -> Upload Data; Canvas
shows the changes before it saves them. A student on the roster who did not submit gets 0.

**Moodle** (``grades/<id>.moodle.csv``), for Grades -> Import -> CSV file::

    ID number,Email address,Full name,a1_cnn
    2024001,minjun.kim@univ.ac.kr,김민준,85
    2024002,seoyeon.lee@univ.ac.kr,Lee Seo-yeon,0

In the import form choose encoding UTF-8 and separator comma; under "Identify user by" map from
``ID number`` to ``ID number`` (the user field that holds the student number; every row has
one), or from ``Email address`` to ``Email address`` where every student on the roster has an
e-mail (Moodle does not skip a row with an empty identity); map the grade column to the
assignment's grade item and leave ``Full name`` ignored. The grade item's maximum should equal
the points possible (100). A student on the roster who did not submit gets **0, not an empty
cell**: Moodle reads an empty cell as "no grade", and its course total leaves empty grades out
by default ("Exclude empty grades"), so an empty cell would raise that student's total instead
of counting the assignment as missed; 0 is also what Canvas and ``grades/<id>.csv`` give.
Moodle stops the whole import at a row whose user it cannot find, so rows for students not on
the roster are not written (they are in the roster's report; see ``final_grades``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grading import course
from grading.intake.roster import Roster

CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
"""Canvas's identity columns, in its export's order; the assignment's column follows."""
CANVAS_POINTS_ROW = "    Points Possible"
MOODLE_HEADER = ("ID number", "Email address", "Full name")
"""Moodle's identity columns; the grade column follows."""


@dataclass(frozen=True)
class FinalGrade:
    """One student's final grade for one assignment, with the identities an LMS matches on."""

    student_id: str
    name: str
    email: str
    lms_id: str
    score: float | None
    """The final score (after any late penalty); None when the student did not submit."""
    max_score: float


def number(value: float) -> str:
    """A score as an LMS reads it: ``.`` as decimal point, at most two decimals, no ``.0``."""
    text = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def canvas_assignment_id(assignment: str) -> str | None:
    """The Canvas assignment id set in nbgrader_config.py (``CANVAS_ASSIGNMENT_IDS``), if any."""
    value = course.config_entry("CANVAS_ASSIGNMENT_IDS", assignment)
    return None if value in (None, "") else str(value)


def canvas_title(assignment: str) -> str:
    """``a1_cnn`` -> ``A1 CNN``: words of up to three characters in capitals, others capitalised."""
    return " ".join(w.upper() if len(w) <= 3 else w.capitalize() for w in assignment.split("_"))


def canvas_column(assignment: str, canvas_id: str | int | None = None) -> str:
    """The name of the assignment's column in a Canvas gradebook CSV (see the module docstring)."""
    if canvas_id in (None, ""):
        return assignment
    return f"{canvas_title(assignment)} ({canvas_id})"


def _points_possible(rows: list[FinalGrade]) -> float:
    maxima = {r.max_score for r in rows}
    if len(maxima) > 1:
        raise ValueError(f"the rows disagree on the points possible: {sorted(maxima)}")
    return maxima.pop() if maxima else 0.0


def _check_unique(rows: list[FinalGrade]) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.student_id in seen:
            raise ValueError(f"student {row.student_id} has two final grades")
        seen.add(row.student_id)


def _score(row: FinalGrade) -> str:
    return number(0.0 if row.score is None else row.score)


def write_canvas(
    assignment: str,
    rows: Iterable[FinalGrade],
    out_dir: Path | None = None,
    canvas_id: str | int | None = None,
) -> Path:
    """``grades/<assignment>.canvas.csv``; ``canvas_id`` defaults to nbgrader_config.py's."""
    rows = list(rows)
    _check_unique(rows)
    if canvas_id is None:
        canvas_id = canvas_assignment_id(assignment)
    column = canvas_column(assignment, canvas_id)
    points = ["" for _ in CANVAS_HEADER[1:]]
    body = [[r.name, r.lms_id, r.student_id, r.email, "", _score(r)] for r in rows]
    table = [[*CANVAS_HEADER, column], [CANVAS_POINTS_ROW, *points, number(_points_possible(rows))]]
    return _write(
        (
            Path(out_dir) / f"{assignment}.canvas.csv"
            if out_dir
            else course.paths().grades(assignment, ".canvas.csv")
        ),
        table + body,
    )


def write_moodle(assignment: str, rows: Iterable[FinalGrade], out_dir: Path | None = None) -> Path:
    """``grades/<assignment>.moodle.csv``: identity columns and one grade column."""
    rows = list(rows)
    _check_unique(rows)
    body = [[r.student_id, r.email, r.name, _score(r)] for r in rows]
    return _write(
        (
            Path(out_dir) / f"{assignment}.moodle.csv"
            if out_dir
            else course.paths().grades(assignment, ".moodle.csv")
        ),
        [[*MOODLE_HEADER, assignment], *body],
    )


def export(assignment: str, rows: Iterable[FinalGrade], out_dir: Path | None = None) -> list[Path]:
    """Both files, Canvas's and Moodle's, for the same final grades."""
    rows = list(rows)
    return [write_canvas(assignment, rows, out_dir), write_moodle(assignment, rows, out_dir)]


def _write(path: Path, table: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(table)
    return path


def final_grades(
    scores: Mapping[str, float], max_score: float, roster: Roster | None = None
) -> list[FinalGrade]:
    """The rows to export from each submission's final score (submission id -> score).

    With a roster: one row per student on it, in its order; a student whom no submission
    matched gets None (exported as 0). When several submissions match one student, the highest
    score counts. Submissions that are ambiguous or not on the roster get no row: an LMS could not
    place them; ``roster.match_all(scores).notes()`` names them. Without a roster: one row per
    submission, its id as the student id, with no e-mail or LMS id (name the files by student
    number for an LMS to find them).
    """
    if roster is None:
        return [FinalGrade(s, s, "", "", float(v), max_score) for s, v in sorted(scores.items())]
    best: dict[str, float] = {}
    for submission, student in roster.match_all(scores).matched.items():
        score = float(scores[submission])
        best[student.student_id] = max(score, best.get(student.student_id, score))
    return [
        FinalGrade(s.student_id, s.name, s.email, s.lms_id, best.get(s.student_id), max_score)
        for s in roster.students
    ]
