"""The coordinator of a grading batch: intake, queue, gradebook, feedback and the CSV.

Every submission is repaired (intake), prepared from the gradebook, and sent to a worker that
runs it in a sandbox of its own and decides its verdict (local workers, or a Dask cluster);
results are stored in the gradebook here, by this one process, as they arrive. One broken or
hostile submission never stops the batch: whatever happens to it is in its row of the CSV.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import course, gradebook, queue, sandbox, submissions, worker


@dataclass
class Options:
    """How a batch is graded (the command line's options)."""

    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    jobs: int = field(default_factory=queue.default_jobs)
    scheduler: str | None = None
    """A Dask scheduler's address (``tcp://host:8786``): grade on its workers."""
    confined: bool = True
    """False only with ``--no-sandbox``: student code then runs unconfined (unsafe)."""


def grade(assignment: str, source: Path | None = None, options: Options | None = None) -> Path:
    """Intake, sandboxed autograding, feedback and CSV for every submission of ``assignment``."""
    options = options or Options()
    course.check_assignment(assignment)
    if options.confined:
        try:
            sandbox.check()
        except sandbox.SandboxUnavailable as err:
            raise SystemExit(str(err)) from None
    release = nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    gradebook.refresh(assignment)
    paths = submissions.collect(assignment, source)
    if not paths:
        raise SystemExit(f"no submissions of {assignment} in submitted/")
    intakes = [submissions.repair(path, release) for path in paths]
    jobs = [
        worker.Job(
            assignment,
            i.student,
            gradebook.prepare(assignment, i.student, i.notebook),
            options.limits,
            options.confined,
        )  # fmt: skip
        for i in intakes
        if i.gradable
    ]
    by_student = {i.student: i for i in intakes}
    for intake in intakes:
        if not intake.gradable:
            print(f"{intake.student}: not graded" + "".join(f"\n  - {n}" for n in intake.notes))
    if options.scheduler:
        results = queue.dask(jobs, options.scheduler)
    else:
        results = queue.local(jobs, max(1, min(options.jobs, len(jobs))))
    _store_all(assignment, results, by_student, len(jobs))
    feedback = course.nbgrader("generate_feedback", assignment, "--force")
    if feedback.returncode != 0:
        print(f"feedback: nbgrader reported errors:\n{feedback.stderr[-3000:]}")
    return write_csv(assignment, intakes, release)


def _store_all(assignment, results, by_student, total: int) -> None:
    """Store each result as it comes (the gradebook's one writer), with a progress line."""
    started, done = time.perf_counter(), 0
    for job, outcome, error in results:
        intake = by_student[job.student]
        done += 1
        if outcome is None:
            intake.gradable = False
            intake.notes.append(f"not graded: its worker failed ({error}); run make grade again")
        else:
            gradebook.store(assignment, job.student, outcome.notebook)
            intake.seconds = outcome.seconds
            intake.notes += outcome.notes
        elapsed = time.perf_counter() - started
        left = elapsed / done * (total - done)
        print(
            f"[{done}/{total}] {job.student}: graded in "
            f"{'-' if outcome is None else f'{outcome.seconds:.1f} s'}; about {left:.0f} s left"
            + "".join(f"\n  - {n}" for n in intake.notes),
            flush=True,
        )


def write_csv(assignment: str, intakes: list[submissions.Intake], release) -> Path:
    """grades/<assignment>.csv: one row per student, one column per graded cell."""
    graded = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    cells = [c.metadata["nbgrader"]["grade_id"] for c in graded]
    max_score = sum(float(c.metadata["nbgrader"]["points"]) for c in graded)
    table = gradebook.scores(assignment)
    course.GRADES.mkdir(exist_ok=True)
    out = course.GRADES / f"{assignment}.csv"
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        header = ["student", "score", "max_score", *cells, "needs_manual_grade", "seconds", "notes"]
        writer.writerow(header)
        for intake in sorted(intakes, key=lambda i: i.student):
            row = table.get(intake.student) if intake.gradable else None
            if row is None:  # unreadable, or nothing recorded: zero, with the reason
                row = {"score": 0.0, "cells": {}, "needs_manual_grade": False}
            values = ["" if row["cells"].get(c) is None else row["cells"][c] for c in cells]
            seconds = "" if intake.seconds is None else f"{intake.seconds:.1f}"
            writer.writerow([
                intake.student, row["score"], max_score, *values, row["needs_manual_grade"],
                seconds, "; ".join(intake.notes),
            ])  # fmt: skip
    print(f"wrote {out.relative_to(course.ROOT)} ({len(intakes)} submissions)")
    return out
