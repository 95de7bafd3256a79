"""``python -m questions check`` validates the bank and runs its code; ``python -m questions
export [FOLDER]`` writes the LMS files (``make exam-bank``: into ``_build/exam``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from questions.bank import ROOT, BankError, load_bank
from questions.run import CodeError, check_answer, run_check

USAGE = "usage: python -m questions check | export [FOLDER]"


def check() -> int:
    """Validate every file, recompute every numerical answer, run every worked problem's check."""
    bank = load_bank()
    failures = []
    for chapter in (*bank.chapters, *bank.instructor):
        for q in (q for q in chapter.questions if q.type == "numerical"):
            try:
                check_answer(q)
            except CodeError as error:
                failures.append(str(error))
        for problem in chapter.worked_problems:
            try:
                run_check(problem, chapter.chapter)
            except CodeError as error:
                failures.append(str(error))
    print("\n".join(failures))
    questions = sum(len(c.questions) for c in (*bank.chapters, *bank.instructor))
    print(
        f"{len(bank.chapters)} chapter files, {len(bank.instructor)} instructor files, "
        f"{questions} questions: {len(failures)} failed computations or checks"
    )
    return 1 if failures else 0


def export(out: Path) -> int:
    """Write every export into ``out`` and list the files with their sizes."""
    from questions.export import write_all

    for path in write_all(load_bank(), out):
        print(f"{path}: {path.stat().st_size:,} bytes")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "export") or len(argv) > 2 - (argv[0] == "check"):
        print(USAGE, file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        code = (
            check()
            if argv[0] == "check"
            else export(Path(argv[1] if len(argv) > 1 else ROOT / "_build/exam"))
        )
    except (BankError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"done in {time.perf_counter() - start:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
