"""The hand-in cells of each assignment, written from nbgrader_config.py's ``DEADLINES``.

Each source notebook (``solutions/<id>/<id>.ipynb``, and so its release) holds:

- after the title and the read-only setup cells, a "Before you start" cell: work in a copy,
  what to hand in and where, the due time and the late policy read from ``DEADLINES``, the
  collaboration policy, and the size of the assignment (parts, points, the reference solution's
  measured run time);
- at the end, a short "Before you submit" cell and a read-only code cell that runs
  :func:`utils.handin.check` on the saved notebook.

None of them is graded: the two markdown cells carry no nbgrader metadata, and the check cell
is read-only with its own grade id and no points, like the setup cell. ``python -m grading
release`` rewrites them before generating the releases (``python -m grading.publish.handin_block
sync`` does only that); ``problems`` is what a test asserts empty.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
import textwrap
from pathlib import Path

from grading import cells, course

KST = dt.timezone(dt.timedelta(hours=9), "KST")
START_HEADING = "## Before you start"
SUBMIT_HEADING = "## Before you submit"
CHECK_ID = "check_before_submit"

RUN_SECONDS = {"a1_cnn": 25, "a2_rnn": 40, "a3_transformer": 50, "a4_generative": 35}
"""Seconds the solution notebook takes top to bottom on a 2-core CPU shared with other work (load
1.5-3.4), measured on 2026-12-06 (``TQDM_DISABLE=1 jupyter nbconvert --to notebook --execute``,
one notebook at a time: 25.6, 40.0, 51.7 and 37.5 s, rounded to 5 s). Measure again when a
part's training changes."""

COLLABORATION = (
    "**Collaboration.** Discuss ideas and approaches with classmates as much as you like, but "
    "write all of your code and your written answer yourself: do not share code, do not look at "
    "or copy anyone else's (a classmate's, an earlier year's, one found online), and name everyone "
    "you discussed the assignment with at the end of your written answer. AI assistants (ChatGPT, "
    "Copilot, ...) may explain a concept, a PyTorch function or an error message, as a textbook "
    "would; they must not write the graded code or the written answer for you, and you must be "
    "able to explain every line you hand in. Submissions are compared with each other."
)


def when(moment: dt.datetime) -> str:
    """``Friday, October 9, 2026, 23:59 KST``."""
    t = moment.astimezone(KST)
    return f"{t:%A}, {t:%B} {t.day}, {t.year}, {t:%H:%M} KST"


def _due(assignment: str) -> tuple[str, str]:
    """The due line and the late-policy line, from ``DEADLINES``."""
    entry = course.config_entry("DEADLINES", assignment)
    if entry is None:
        raise SystemExit(f"nbgrader_config.py: DEADLINES has no entry for {assignment}")
    due = dt.datetime.fromisoformat(entry["due"])
    if due.tzinfo is None:
        raise SystemExit(f"nbgrader_config.py: DEADLINES[{assignment!r}]['due'] has no zone")
    per_day, cutoff = float(entry.get("penalty_per_day", 0)), entry.get("cutoff_days")
    due_line = f"**Due:** {when(due)} (Korea Standard Time, UTC+9)."
    if per_day:
        late = (f"**Late policy:** {per_day:g} % of your score is taken off per started day late "
                "(one minute late counts as one day)")  # fmt: skip
    else:
        late = "**Late policy:** a late submission loses no points"
    if cutoff is not None:
        end = when(due + dt.timedelta(days=float(cutoff)))
        late += f"; a submission more than {float(cutoff):g} days late (after {end}) scores zero"
    if entry.get("graded", "last_on_time") == "last":
        late += ". You may submit again: your last submission is graded, even a late one."
    else:
        late += (". You may submit again until the deadline: your last submission before it is "
                 "graded, and a late one only if you handed in nothing on time.")  # fmt: skip
    return due_line, late


def _bullet(text: str) -> str:
    """A markdown list item wrapped at 100 characters."""
    return textwrap.fill(text, 100, initial_indent="- ", subsequent_indent="  ",
                         break_long_words=False, break_on_hyphens=False)  # fmt: skip


def start_source(assignment: str, nb: dict) -> str:
    """The text of the "Before you start" cell of ``assignment``'s notebook ``nb``."""
    due_line, late = _due(assignment)
    parts = cells.parts(nb)
    written = sum(p.manual for p in parts)
    total, seconds = sum(p.points for p in parts), RUN_SECONDS[assignment]
    name = f"`{assignment}.ipynb`"
    items = [
        "**Work in your own copy.** In Colab, first choose *File → Save a copy in Drive* and work "
        "in that copy: the notebook opened from the course's link is not saved, and what you write "
        "in it is lost when you close the tab.",
        f"**What to hand in, and where.** This notebook, {name}, run from top to bottom "
        "(*Runtime → Restart and run all*) and saved. Download it with *File → Download → Download "
        f".ipynb*, give the file its original name {name} (without the “Copy of” that Colab adds) "
        "and upload it on this assignment's page of the course LMS.",
        due_line,
        late,
        COLLABORATION,
        f"**Size.** {len(parts)} parts, {total:g} points: {len(parts) - written} autograded, and "
        f"{'a written answer' if written == 1 else f'{written} written answers'} graded by hand. "
        f"Run from top to bottom, the reference solution takes about {seconds} s on a 2-core CPU, "
        "most of it in training.",
    ]
    return "\n".join([START_HEADING, "", *map(_bullet, items)])


SUBMIT_SOURCE = f"{SUBMIT_HEADING}\n\n" + textwrap.fill(
    "Save the notebook, then run the cell below: it reads the notebook as you would hand it in, "
    "runs it from the top in a fresh kernel (as long as the whole notebook takes) and lists what "
    "the grader will do differently from what you see here, such as a read-only cell you changed "
    "that it puts back or code it does not accept. It changes nothing and sends nothing anywhere: "
    "fix what it reports, save, and hand the file in as described under *Before you start*.",
    100,
)


def check_source(assignment: str) -> str:
    return (
        "# Check before you submit: what the grader will do differently with this notebook.\n"
        "# Save first (Colab: File > Save; Jupyter: Ctrl+S), then run this cell.\n"
        "from utils.handin import check\n"
        "\n"
        f'check("{assignment}")'
    )


def _markdown(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _lines(text)}


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _check_cell(assignment: str) -> dict:
    meta = {"grade": False, "grade_id": CHECK_ID, "locked": True, "schema_version": 3,
            "solution": False, "task": False}  # fmt: skip
    return {"cell_type": "code", "execution_count": None, "id": "check-before-submit",
            "metadata": {"nbgrader": meta}, "outputs": [],
            "source": _lines(check_source(assignment))}  # fmt: skip


def _is_ours(cell: dict) -> bool:
    text = cells.source(cell)
    return cells.grade_id(cell) == CHECK_ID or (
        cell.get("cell_type") == "markdown"
        and text.startswith((START_HEADING + "\n", SUBMIT_HEADING + "\n"))
    )


def with_block(assignment: str, nb: dict) -> dict:
    """A copy of ``nb`` with the hand-in cells as they should be (older copies removed)."""
    out = copy.deepcopy(nb)
    rest = [c for c in out["cells"] if not _is_ours(c)]
    start = _markdown("before-you-start", start_source(assignment, out))
    submit = _markdown("before-you-submit", SUBMIT_SOURCE)
    top = 1  # after the title and the read-only code cells below it (setup, grader)
    while (
        top < len(rest)
        and rest[top].get("cell_type") == "code"
        and cells.nbgrader(rest[top]).get("locked")
    ):
        top += 1
    out["cells"] = [*rest[:top], start, *rest[top:], submit, _check_cell(assignment)]
    return out


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def problems(assignment: str) -> list[str]:
    """How the source notebook's hand-in cells differ from ``DEADLINES`` (empty: they agree)."""
    path = course.paths().source(assignment)
    nb = _read(path)
    if nb == with_block(assignment, nb):
        return []
    return [f"{path.relative_to(course.ROOT)}: the hand-in cells disagree with nbgrader_config.py "
            "(DEADLINES) or are missing: run `python -m grading release`"]  # fmt: skip


def sync(assignments: list[str]) -> list[Path]:
    """Rewrite the hand-in cells of each source notebook; the notebooks that changed."""
    changed = []
    for assignment in assignments:
        path = course.paths().source(assignment)
        nb = _read(path)
        new = with_block(assignment, nb)
        if new != nb:
            text = json.dumps(new, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
            path.write_text(text, encoding="utf-8")
            changed.append(path)
            print(f"hand-in cells of {path.relative_to(course.ROOT)} rewritten from DEADLINES")
    return changed


def main(argv: list[str]) -> None:
    known = [a for a in course.assignments() if course.paths().source(a).exists()]
    if argv[:1] == ["sync"]:
        sync(argv[1:] or known)
    elif argv[:1] == ["check"]:
        found = [p for a in (argv[1:] or known) for p in problems(a)]
        print("\n".join(found) or "the hand-in cells agree with DEADLINES")
        raise SystemExit(1 if found else 0)
    else:
        raise SystemExit(
            "usage: python -m grading.publish.handin_block sync|check [assignment ...]"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
