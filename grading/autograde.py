"""Autograde a batch of submissions, one isolated nbgrader run per student, then feedback and CSV.

One broken or hostile submission never stops the batch: each student is graded in a subprocess
of its own with a wall-clock limit and a memory limit, and whatever happens there is reported in
that student's row of the grades CSV.
"""

from __future__ import annotations

import csv
import os
import resource
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from grading import course, submissions

SUBMISSION_TIMEOUT_S = 1200
"""Wall-clock limit for autograding one submission (all its cells together)."""


def refresh_gradebook(assignment: str) -> None:
    """Store the source notebook's cells (hidden tests included) in the gradebook.

    nbgrader restores test cells from the gradebook, which is not kept in the repository, so it
    is filled again from ``solutions/`` before grading; the release goes to a scratch folder.
    """
    with tempfile.TemporaryDirectory() as scratch:
        result = course.nbgrader(
            "generate_assignment", assignment, "--force",
            f"--CourseDirectory.release_directory={scratch}",
        )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(
            f"{assignment}: nbgrader generate_assignment failed:\n{result.stderr[-3000:]}"
        )


def _limits(memory_gb: float):
    def apply() -> None:
        os.setsid()  # its own process group: a timeout ends the kernel too
        if memory_gb > 0:
            limit = int(memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def autograde_one(
    assignment: str,
    intake: submissions.Intake,
    cell_timeout: int | None,
    timeout: float,
    memory_gb: float,
) -> None:
    """Run nbgrader autograde for one student; add what went wrong to ``intake.notes``."""
    args = ["autograde", assignment, "--student", intake.student, "--force"]
    if cell_timeout is not None:
        args.append(f"--Execute.timeout={cell_timeout}")
    started = time.perf_counter()
    process = subprocess.Popen(
        course.nbgrader_command(*args), cwd=course.ROOT, env=course.nbgrader_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_limits(memory_gb),
    )  # fmt: skip
    try:
        log, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        intake.notes.append(f"autograding stopped after {timeout:.0f} s; ungraded cells score 0")
        return
    seconds = time.perf_counter() - started
    intake.seconds = seconds
    if "CellTimeoutError" in log or "Timeout waiting for execute reply" in log:
        intake.notes.append("a cell ran past the per-cell time limit and was interrupted")
    if "DeadKernelError" in log or "Kernel died" in log:
        intake.notes.append(
            "the notebook stopped the Python kernel (e.g. exit()); later cells score 0"
        )
    if process.returncode != 0:
        intake.notes.append("nbgrader reported an error for this submission (see its log)")
        (course.AUTOGRADED / intake.student / assignment).mkdir(parents=True, exist_ok=True)
        (course.AUTOGRADED / intake.student / assignment / "autograde.log").write_text(log)


def scores(assignment: str) -> dict[str, dict]:
    """Per student: total score, maximum, per-cell scores and whether manual grading is due."""
    from nbgrader.api import Gradebook, MissingEntry

    rows: dict[str, dict] = {}
    with Gradebook(f"sqlite:///{course.ROOT / 'gradebook.db'}", course_id="itm528") as gb:
        max_score = gb.find_assignment(assignment).max_score
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = {
                g.name: None if g.needs_manual_grade else g.score
                for nb in sub.notebooks
                for g in nb.grades
            }
            rows[student.id] = {
                "score": sub.score, "max_score": max_score, "cells": cells,
                "needs_manual_grade": sub.needs_manual_grade,
            }  # fmt: skip
    return rows


def grade(
    assignment: str,
    source: Path | None = None,
    cell_timeout: int | None = None,
    timeout: float = SUBMISSION_TIMEOUT_S,
    memory_gb: float = 8.0,
) -> Path:
    """Intake, repair, autograde, feedback and CSV for every submission of ``assignment``."""
    course.check_assignment(assignment)
    release = nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    refresh_gradebook(assignment)
    paths = submissions.collect(assignment, source)
    if not paths:
        raise SystemExit(f"no submissions of {assignment} in submitted/")
    if memory_gb > 0 and Path("/dev/nvidia0").exists():
        memory_gb = 0  # an address-space limit breaks CUDA, which reserves huge virtual ranges
    intakes = []
    for path in paths:
        intake = submissions.repair(path, release)
        intakes.append(intake)
        if intake.gradable:
            autograde_one(assignment, intake, cell_timeout, timeout, memory_gb)
        print(f"{intake.student}: graded" + "".join(f"\n  - {n}" for n in intake.notes), flush=True)
    feedback = course.nbgrader("generate_feedback", assignment, "--force")
    if feedback.returncode != 0:
        print(f"feedback: nbgrader reported errors:\n{feedback.stderr[-3000:]}")
    return write_csv(assignment, intakes, release)


def write_csv(assignment: str, intakes: list[submissions.Intake], release) -> Path:
    """grades/<assignment>.csv: one row per student, one column per graded cell."""
    cells = [
        c.metadata["nbgrader"]["grade_id"]
        for c in release.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]
    table = scores(assignment)
    max_score = sum(
        float(c.metadata["nbgrader"]["points"])
        for c in release.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    )
    course.GRADES.mkdir(exist_ok=True)
    out = course.GRADES / f"{assignment}.csv"
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        header = ["student", "score", "max_score", *cells, "needs_manual_grade", "seconds", "notes"]
        writer.writerow(header)
        for intake in intakes:
            row = table.get(intake.student) if intake.gradable else None
            if row is None:  # unreadable, or nbgrader recorded nothing: zero, with the reason
                row = {"score": 0.0, "cells": {}, "needs_manual_grade": False}
            values = ["" if row["cells"].get(c) is None else row["cells"][c] for c in cells]
            seconds = "" if intake.seconds is None else f"{intake.seconds:.1f}"
            writer.writerow([
                intake.student, row["score"], max_score, *values, row["needs_manual_grade"],
                seconds, "; ".join(intake.notes),
            ])  # fmt: skip
    print(f"wrote {out.relative_to(course.ROOT)} ({len(intakes)} submissions)")
    return out
