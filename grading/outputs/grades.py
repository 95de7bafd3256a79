"""One row per student, rebuilt from the gradebook on every run, and the LMS exports.

Rows are rebuilt on every run, so that a TA's manual grades in nbgrader's formgrader flow into
the CSV at the next ``make grade`` even when nothing is graded again: a graded written answer
shows its points, one not graded yet reads "awaiting grading", never 0. A late penalty is taken
off the current total (manual points included); the coordinator stores it in the gradebook,
where nbgrader's feedback shows it (the penalties :func:`rows` returns).
"""

from __future__ import annotations

from pathlib import Path

from grading import course
from grading.cells import Part
from grading.intake import deadlines, history, roster, terminal
from grading.intake.history import Version
from grading.intake.repair import Intake
from grading.outputs import lms, table


def rows(
    assignment: str, parts: list[Part], scores: dict[str, dict], intakes: dict[str, Intake],
    versions: dict[str, Version], rule: deadlines.Deadline | None, roster_path: Path | None = None,
) -> tuple[list[dict], dict[str, float]]:  # fmt: skip
    """One dict per student (and per student on the roster who did not submit), and the late
    penalty of each student in the gradebook; ``scores`` is the gradebook's
    (:func:`grading.batch.gradebook.scores`)."""
    max_score = sum(p.points for p in parts)
    matching = None
    if roster_path is not None:
        try:
            matching = roster.load(roster_path).match_all(sorted(intakes))
        except roster.RosterError as err:
            raise SystemExit(str(err)) from None
        for line in matching.notes():
            print(terminal.safe(f"roster: {line}"))
    out, penalties = [], {}
    for student, intake in sorted(intakes.items()):
        graded = scores.get(student) if intake.gradable else None
        out.append(_row(assignment, intake, versions[student], graded, parts, rule))
        if graded is not None:
            penalties[student] = out[-1]["penalty"]
        out[-1]["max_score"] = max_score
        if matching is not None:
            _identify(out[-1], student, matching)
    for missing in [] if matching is None else matching.missing:
        out.append({"student": missing.student_id, "name": missing.name, "email": missing.email,
                    "lms_id": missing.lms_id, "score": 0.0, "final_score": 0.0,
                    "max_score": max_score, "late": "did not submit",
                    "notes": "did not submit"})  # fmt: skip
    return out, penalties


def _row(assignment, intake: Intake, version: Version, graded, parts, rule) -> dict:
    submitted = version.submitted_at
    row = {"student": intake.student, "submitted_at": submitted.isoformat(timespec="seconds"),
           "versions": len(history.versions(intake.student, assignment)),
           "late": deadlines.describe(rule, submitted), "notes": "; ".join(intake.notes),
           "seconds": "" if intake.seconds is None else f"{intake.seconds:.1f}"}  # fmt: skip
    if graded is None:  # unreadable, or nothing recorded: zero, with the reason
        row.update(score=0.0, penalty=0.0, final_score=0.0, needs_manual_grade=False)
        return row
    penalty = deadlines.penalty(rule, submitted, graded["score"])
    row.update(score=graded["score"], penalty=penalty,
               final_score=round(graded["score"] - penalty, 2),
               needs_manual_grade=graded["needs_manual_grade"])  # fmt: skip
    for part in parts:
        value = graded["cells"].get(part.grade_id, "")
        row[part.grade_id] = table.AWAITING if value is None else value
    return row


def _identify(row: dict, student: str, matching: roster.Matching) -> None:
    person = matching.matched.get(student)
    if person is not None:
        row.update(name=person.name, email=person.email, lms_id=person.lms_id)
    else:
        why = "matches several students" if student in matching.ambiguous else "not on the roster"
        row["notes"] = "; ".join(filter(None, [row["notes"], f"roster: {why}"]))


def write(assignment: str, parts: list[Part], rows: list[dict]) -> Path:
    """grades/<assignment>.csv (see :mod:`grading.outputs.table`)."""
    out = table.write(course.paths().grades(assignment), parts, rows)
    print(f"wrote {out.relative_to(course.ROOT)} ({len(rows)} students)")
    return out


def export_lms(assignment: str, rows: list[dict], roster_path: Path | None) -> list[Path]:
    """grades/<assignment>.canvas.csv and .moodle.csv from the final scores (see
    :mod:`grading.outputs.lms`)."""
    submitted = {r["student"]: float(r["final_score"]) for r in rows if r.get("versions")}
    max_score = max((float(r["max_score"]) for r in rows), default=0.0)
    people = roster.load(roster_path) if roster_path is not None else None
    paths = lms.export(assignment, lms.final_grades(submitted, max_score, people),
                       course.paths().grades_dir)  # fmt: skip
    print("wrote " + ", ".join(str(p.relative_to(course.ROOT)) for p in paths))
    return paths
