"""Command line of the grading pipeline (the Makefile's assignments, grade and public targets)."""

from __future__ import annotations

import argparse
from pathlib import Path

from grading.batch import pipeline, queue
from grading.publish import handin_block, release
from grading.run import sandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate assignments/<id>/ from solutions/<id>/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all with a source)")
    p.add_argument("--dest", type=Path, help="write the releases here instead of assignments/")

    p = sub.add_parser("grade", help="autograde submissions; write grades/<id>.csv and feedback/")
    p.add_argument("assignment")
    p.add_argument("--submissions", type=Path, help="folder of <student>.ipynb or nbgrader layout")
    defaults = sandbox.Limits()
    for flag, default, what in (
        ("--cell-timeout", defaults.cell_seconds, "seconds per cell: the cell is interrupted"),
        ("--timeout", defaults.submission_seconds, "seconds per submission, all cells together"),
        (
            "--memory-gb",
            defaults.memory_gb,
            "memory of a sandbox (0: none; per process with a GPU)",
        ),
    ):
        p.add_argument(flag, type=float, default=default, help=f"{what} (default: %(default)s)")
    p.add_argument(
        "--jobs",
        type=int,
        default=queue.default_jobs(),
        help="submissions graded at once (default: one per core)",
    )
    p.add_argument("--scheduler", help="grade on a Dask cluster: its scheduler's address")
    p.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again, not only new and changed ones",
    )
    p.add_argument(
        "--roster",
        type=Path,
        help="roster CSV (student_id,name,email,lms_id): names, LMS ids, who did not submit",
    )
    p.add_argument(
        "--trust-timestamps",
        action="store_true",
        help="take submission times from nbgrader's timestamp.txt (its exchange wrote them), "
        "not from when the file was first taken in",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="UNSAFE: run student code without bubblewrap, as yourself",
    )

    p = sub.add_parser("public", help="write a student-facing copy without solutions or grading")
    p.add_argument("dest", type=Path)
    p.add_argument("--push", metavar="REMOTE", help="then commit the copy and push it there")

    args = parser.parse_args(argv)
    if args.command == "release":
        chosen = args.assignments or release.with_source()
        if args.dest is None:  # the course's own release: hand-in cells from DEADLINES first
            handin_block.sync(chosen)
        release.generate(chosen, args.dest)
    elif args.command == "grade":
        limits = sandbox.Limits(
            cell_seconds=args.cell_timeout, submission_seconds=args.timeout,
            memory_gb=args.memory_gb,
        )  # fmt: skip
        options = pipeline.Options(
            limits, max(1, args.jobs), args.scheduler, not args.no_sandbox, args.regrade,
            args.roster, args.trust_timestamps,
        )  # fmt: skip
        pipeline.grade(args.assignment, args.submissions, options)
    else:
        from grading.publish import public

        public.write(args.dest, args.push)


if __name__ == "__main__":
    main()
