"""Command line of the grading pipeline (the Makefile's assignments, grade and public targets)."""

from __future__ import annotations

import argparse
from pathlib import Path

from grading import autograde, public, release


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate assignments/<id>/ from solutions/<id>/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all with a source)")
    p.add_argument("--dest", type=Path, help="write the releases here instead of assignments/")

    p = sub.add_parser("grade", help="autograde submissions; write grades/<id>.csv and feedback/")
    p.add_argument("assignment")
    p.add_argument("--submissions", type=Path, help="folder of <student>.ipynb or nbgrader layout")
    p.add_argument(
        "--cell-timeout", type=int, help="seconds per cell (default: nbgrader_config.py)"
    )
    p.add_argument("--timeout", type=float, default=autograde.SUBMISSION_TIMEOUT_S,
                   help="seconds per submission, all cells together")  # fmt: skip
    p.add_argument("--memory-gb", type=float, default=8.0, help="memory per submission (0: none)")

    p = sub.add_parser("public", help="write a student-facing copy without solutions or grading")
    p.add_argument("dest", type=Path)

    args = parser.parse_args(argv)
    if args.command == "release":
        release.generate(args.assignments or release.with_source(), args.dest)
    elif args.command == "grade":
        autograde.grade(
            args.assignment, args.submissions, args.cell_timeout, args.timeout, args.memory_gb
        )
    else:
        public.write(args.dest)


if __name__ == "__main__":
    main()
