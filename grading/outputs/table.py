"""The outputs stage: one row per student from the gradebook, the CSV, the LMS exports.

Rows are rebuilt from the gradebook on every run, so that a TA's manual grades in nbgrader's
formgrader flow into the CSV at the next ``make grade`` even when nothing is graded again: a
graded written answer shows its points, one not graded yet reads "awaiting grading", never 0.
Late penalties are taken off the current total (manual points included) and stored in the
gradebook, where nbgrader's feedback shows them.
"""

from __future__ import annotations

import csv
from pathlib import Path

from grading import course, deadlines, gradebook, history, lms, roster, submissions

AWAITING = "awaiting grading"
IDENTITY = ("student", "name", "email", "lms_id")
TIMING = ("submitted_at", "versions", "late", "score", "penalty", "final_score", "max_score")


def graded_cells(release) -> list[tuple[str, float]]:
    """(grade id, points) of the release's graded cells, in order."""
    return [
        (c.metadata["nbgrader"]["grade_id"], float(c.metadata["nbgrader"]["points"]))
        for c in release.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]


def rows(assignment, release, intakes: dict, versions: dict, rule, roster_path=None) -> list[dict]:
    """One dict per student (and per student on the roster who did not submit)."""
    cells = graded_cells(release)
    max_score = sum(p for _, p in cells)
    table = gradebook.scores(assignment)
    matching = None
    if roster_path is not None:
        try:
            matching = roster.load(roster_path).match_all(sorted(intakes))
        except roster.RosterError as err:
            raise SystemExit(str(err)) from None
        for line in matching.notes():
            print(f"roster: {line}")
    out = []
    for student, intake in sorted(intakes.items()):
        out.append(_row(assignment, student, intake, versions[student], table, cells, rule))
        out[-1]["max_score"] = max_score
        if matching is not None:
            _identify(out[-1], student, matching)
    for missing in [] if matching is None else matching.missing:
        out.append({"student": missing.student_id, "name": missing.name, "email": missing.email,
                    "lms_id": missing.lms_id, "score": 0.0, "final_score": 0.0,
                    "max_score": max_score, "late": "did not submit",
                    "notes": "did not submit"})  # fmt: skip
    return out


def _row(assignment, student, intake: submissions.Intake, version, table, cells, rule) -> dict:
    submitted = deadlines.parse_time(version["submitted_at"])
    graded = table.get(student) if intake.gradable else None
    row = {"student": student, "submitted_at": submitted.isoformat(timespec="seconds"),
           "versions": len(history.load(student, assignment)["versions"]),
           "late": deadlines.describe(rule, submitted), "notes": "; ".join(intake.notes),
           "seconds": "" if intake.seconds is None else f"{intake.seconds:.1f}"}  # fmt: skip
    if graded is None:  # unreadable, or nothing recorded: zero, with the reason
        row.update(score=0.0, penalty=0.0, final_score=0.0, needs_manual_grade=False)
        return row
    penalty = deadlines.penalty(rule, submitted, graded["score"])
    gradebook.set_penalty(assignment, student, penalty)
    row.update(score=graded["score"], penalty=penalty,
               final_score=round(graded["score"] - penalty, 2),
               needs_manual_grade=graded["needs_manual_grade"])  # fmt: skip
    for gid, _ in cells:
        value = graded["cells"].get(gid, "")
        row[gid] = AWAITING if value is None else value
    return row


def _identify(row: dict, student: str, matching: roster.Matching) -> None:
    person = matching.matched.get(student)
    if person is not None:
        row.update(name=person.name, email=person.email, lms_id=person.lms_id)
    else:
        why = "matches several students" if student in matching.ambiguous else "not on the roster"
        row["notes"] = "; ".join(filter(None, [row["notes"], f"roster: {why}"]))


def write(assignment: str, release, table: list[dict]) -> Path:
    """grades/<assignment>.csv: one row per student, one column per graded cell."""
    cells = [gid for gid, _ in graded_cells(release)]
    header = [*IDENTITY, *TIMING, *cells, "needs_manual_grade", "seconds", "notes"]
    course.GRADES.mkdir(exist_ok=True)
    out = course.GRADES / f"{assignment}.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header, restval="")
        writer.writeheader()
        writer.writerows(table)
    print(f"wrote {out.relative_to(course.ROOT)} ({len(table)} students)")
    return out


def export_lms(assignment: str, table: list[dict], roster_path: Path | None) -> list[Path]:
    """grades/<assignment>.canvas.csv and .moodle.csv from the final scores (see grading.lms)."""
    submitted = {r["student"]: float(r["final_score"]) for r in table if r.get("versions")}
    max_score = max((float(r["max_score"]) for r in table), default=0.0)
    people = roster.load(roster_path) if roster_path is not None else None
    paths = lms.export(assignment, lms.final_grades(submitted, max_score, people), course.GRADES)
    print("wrote " + ", ".join(str(p.relative_to(course.ROOT)) for p in paths))
    return paths
