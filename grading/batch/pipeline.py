"""The coordinator of a grading run: intake, queue, gradebook, feedback and the CSV.

A run takes new submissions into each student's history, picks the version to grade (the last
before the deadline), and grades only what is new or changed since the last run, or everything
after the source notebook changed or when asked (``REGRADE=1``). Each submission to grade is
repaired (intake), prepared from the gradebook, and sent to a worker that runs it in a sandbox
of its own and decides its verdict (local workers, or a Dask cluster); results are stored in
the gradebook here, by this one process, as they arrive. One broken or hostile submission never
stops the run: whatever happens to it is in its row of the CSV. One run at a time per course.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import cells, course
from grading.batch import gradebook, lock, queue
from grading.check import hidden
from grading.intake import collect, deadlines, history, repair, terminal
from grading.outputs import feedback, grades, report
from grading.run import sandbox, worker


@dataclass
class Options:
    """How a run grades (the command line's options)."""

    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    jobs: int = field(default_factory=queue.default_jobs)
    scheduler: str | None = None
    """A Dask scheduler's address (``tcp://host:8786``): grade on its workers."""
    confined: bool = True
    """False only with ``--no-sandbox``: student code then runs unconfined (unsafe)."""
    regrade: bool = False
    """Grade every submission again, changed or not."""
    roster: Path | None = None
    """A roster CSV (student_id, name, email, lms_id): names, LMS ids, who did not submit."""
    trust_timestamps: bool = False
    """Submission times from nbgrader's ``timestamp.txt`` (its exchange), not the intake time."""


def grade(assignment: str, source: Path | None = None, options: Options | None = None) -> Path:
    """One grading run of ``assignment``; returns the grades CSV."""
    options = options or Options()
    course.check_assignment(assignment)
    if options.confined:
        try:
            sandbox.check()
        except sandbox.SandboxUnavailable as err:
            raise SystemExit(str(err)) from None
    with lock.exclusive():
        return _run(assignment, source, options)


def _run(assignment: str, source: Path | None, options: Options) -> Path:
    release = nbformat.read(course.paths().release(assignment), as_version=4)
    rule = deadlines.deadline(assignment)
    if gradebook.refresh(assignment):
        _say(f"{assignment}: the source notebook changed; every submission is graded again")
    gradebook.set_due(assignment, rule.due if rule else None)
    source_hash = gradebook.source_hash(assignment)
    students, problems = collect.collect(assignment, source, options.trust_timestamps)
    for problem in problems:
        _say(f"intake: {problem}")
    if not students:
        raise SystemExit(f"no submissions of {assignment} in submitted/")
    intakes, jobs, versions = {}, [], {}
    for student in students:
        version = history.chosen(student, assignment, rule)
        versions[student] = version
        if not (
            options.regrade or history.needs_grading(student, assignment, version, source_hash)
        ):
            intakes[student] = _from_history(student, assignment)
            continue
        intake, nb = _prepare(assignment, student, version, release)
        intakes[student] = intake
        if nb is not None:
            checks = hidden.split(nb)  # the hidden tests stay here and in the checker
            salt = _salt(assignment, student, nb)
            jobs.append(worker.Job(assignment, student, nb, checks, salt, options.limits,
                                   options.confined))  # fmt: skip
        else:
            _say(f"{student}: not graded" + "".join(f"\n  - {n}" for n in intake.notes))
            history.graded(student, assignment, version, source_hash, intake.notes, None, False)
    _say(f"{len(jobs)} to grade, {len(students) - len(jobs)} unchanged since the last run")
    if jobs:
        if options.scheduler:
            results = queue.dask(jobs, options.scheduler)
        else:
            results = queue.local(jobs, max(1, min(options.jobs, len(jobs))))
        try:
            _store_all(assignment, results, intakes, versions, rule, source_hash, len(jobs))
        except worker.GradingEnvironmentError as err:
            raise SystemExit(
                terminal.safe(
                    f"the grading environment failed, not a submission: {err}\n"
                    "Nothing more was graded or recorded in this run; fix the cause and run "
                    "make grade again (what was graded before this stays graded)."
                )
            ) from None
    return _outputs(assignment, cells.parts(release), intakes, versions, rule, options.roster)


def _prepare(assignment, student, version, release) -> tuple[repair.Intake, dict | None]:
    """The student's intake and the notebook to run, or None where it cannot be graded. The
    submission is untrusted: whatever it makes a step raise is that student's note, never the
    batch's end."""
    path = history.install(student, assignment, version)
    intake = repair.Intake(student, path)
    try:
        intake = repair.repair(path, release)
        intake.student = student
        if intake.gradable:
            return intake, gradebook.prepare(assignment, student, path, version.submitted_at)
    except Exception as err:  # noqa: BLE001 - any failure here is this submission's
        intake.gradable = False
        intake.notes.append(f"not graded: the submission could not be prepared ({_why(err)})")
    return intake, None


def _salt(assignment: str, student: str, nb: dict) -> int:
    """The checker's salt for this submission: the same for the same notebook (a regrade gives
    the same score), unknown to anyone without the course's secret (``.checker-secret``,
    made on first use)."""
    secret = course.ROOT / ".checker-secret"
    if not secret.exists():
        secret.write_bytes(os.urandom(32))
        secret.chmod(0o600)
    digest = hashlib.sha256(secret.read_bytes())
    digest.update(f"{assignment}\0{student}\0".encode())
    digest.update(json.dumps([cells.source(c) for c in nb["cells"]]).encode())
    return int(digest.hexdigest()[:15], 16)


def _say(text: str) -> None:
    """Print a line of the run's report; what came from a submission (names, ids, notes,
    messages) cannot drive the terminal."""
    print(terminal.safe(text), flush=True)


def _why(err: Exception) -> str:
    return f"{type(err).__name__}: {str(err)[:300]}"


def _outputs(assignment, parts, intakes, versions, rule, roster_path) -> Path:
    """The CSV, the feedback pages, the LMS exports and the class report, in this order: the
    late penalties go into the gradebook before nbgrader renders the feedback that shows them."""
    scores = gradebook.scores(assignment)
    rows, penalties = grades.rows(assignment, parts, scores, intakes, versions, rule, roster_path)
    for student, points in penalties.items():
        gradebook.set_penalty(assignment, student, points)
    _feedback(assignment)
    out = grades.write(assignment, parts, rows)
    grades.export_lms(assignment, rows, roster_path)
    started = time.perf_counter()
    page = report.write(assignment)
    _say(f"wrote {page.relative_to(course.ROOT)}, the class report "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    return out


def _from_history(student: str, assignment: str) -> repair.Intake:
    """The intake of a version graded in an earlier run, with that run's notes."""
    graded = history.load(student, assignment)["graded"]
    path = course.paths().submitted(student, assignment)
    intake = repair.Intake(student, path, list(graded["notes"]))
    intake.gradable, intake.seconds = graded.get("gradable", True), graded.get("seconds")
    return intake


def _store_all(assignment, results, intakes, versions, rule, source_hash, total: int) -> None:
    """Store each result as it comes (the gradebook's one writer), with a progress line."""
    started, done = time.perf_counter(), 0
    for job, outcome, error in results:
        intake, version = intakes[job.student], versions[job.student]
        done += 1
        if outcome is None:  # kept ungraded in the history: the next run tries again
            intake.gradable = False
            intake.notes.append(f"not graded: its worker failed ({error}); run make grade again")
        else:
            intake.seconds = outcome.seconds
            intake.notes += outcome.notes
            try:
                banner = deadlines.banner(rule, version.submitted_at)
                intake.notes += gradebook.store(assignment, job.student, outcome.notebook, banner)
            except Exception as err:  # noqa: BLE001 - what the notebook holds is the student's
                intake.gradable = False
                intake.notes.append(f"not graded: its results could not be stored ({_why(err)})")
            history.graded(job.student, assignment, version, source_hash, intake.notes,
                           outcome.seconds, intake.gradable)  # fmt: skip
        left = (time.perf_counter() - started) / done * (total - done)
        took = "-" if outcome is None else f"{outcome.seconds:.1f} s"
        if outcome is not None and outcome.host != os.uname().nodename:
            took += f" on {outcome.host}"
        _say(f"[{done}/{total}] {job.student}: graded in {took}; about {left:.0f} s left"
              + "".join(f"\n  - {n}" for n in intake.notes))  # fmt: skip


def _feedback(assignment: str) -> None:
    """nbgrader's feedback pages for every graded student, then "awaiting grading" marked."""
    result = course.nbgrader("generate_feedback", assignment, "--force")
    if result.returncode != 0:
        _say(f"feedback: nbgrader reported errors:\n{result.stderr[-3000:]}")
    for page in course.paths().feedback_pages(assignment):
        feedback.mark_awaiting(page)
