"""How long the class report takes for a class of N (default 200) submissions of a1_cnn.

    .venv/bin/python -m tests.instructor.bench_report [N] [--keep DIR]

Writes a graded course by hand (no grader run) into a scratch folder: each student's answer
cells drawn part by part from the reference, two independent solutions, the release's stub and
a wrong answer, with failure messages whose numbers vary, notes and times; then times
``report.write``. Drawing parts from so few solutions makes many pairs alike, more than a real
class has, so the similarity step here is a harsh case. The report must take at most 10 s for
200 submissions on a 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from grading.outputs import report
from tests.instructor import report_solutions as sol
from tests.instructor.report_course import A1, Student, write_course

PARTS = ["conv2d_naive", "conv2d_im2col", "max_pool2d", "conv2d_backward", "residual_block",
         "train_cnn"]  # fmt: skip
NOTES = [
    "cell 'test_conv2d_naive' had lost its grading metadata; restored",
    "late by 1 day 2 h",
    "tests that did not run score 0: test_train_cnn",
    "output limit hit in train_cnn",
]


def _failure(rng: random.Random, part: str) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.4:
        return "NotImplementedError", ""
    if kind < 0.8:
        diff = rng.uniform(0.01, 3)
        return ("AssertionError", f"{part}(x(2, 3, 8, 6), w(5, 3, 3, 3), bias=True, stride=2, "
                f"padding=1): values differ (max abs difference {diff:.3g}); at index "
                f"({rng.randrange(2)}, {rng.randrange(5)}, 1, 2) got {rng.gauss(0, 1):.6g}, "
                f"expected {rng.gauss(0, 1):.6g}")  # fmt: skip
    got = f"(2, 5, {rng.randrange(5)}, 3)"
    return "AssertionError", f"{part}: expected shape (2, 5, 4, 3), got {got}"


def make_class(n: int, seed: int = 0) -> list[Student]:
    """``n`` students, each part of each one drawn at random."""
    rng = random.Random(seed)
    sources = [sol.reference(), sol.INDEPENDENT_B, sol.INDEPENDENT_C]
    students = []
    for i in range(n):
        name = f"학생 {i:03d}" if i % 3 == 0 else f"student {i:03d}"
        s = Student(name, seconds=rng.uniform(8, 90))
        for part in PARTS:
            test = f"test_{part}"
            draw = rng.random()
            if draw < 0.7:
                s.cells[part] = rng.choice(sources)[part]
            elif draw < 0.85:
                s.failures[test] = _failure(rng, part)
            else:
                s.cells[part] = rng.choice(sources)[part].replace(" + 1", " + 2")
                s.failures[test] = _failure(rng, part)
        if rng.random() < 0.5:
            s.awaiting.add("written_answer")
        else:
            s.partial["written_answer"] = float(rng.randrange(11))
        if rng.random() < 0.2:
            s.notes = rng.choice(NOTES)
        if rng.random() < 0.02:
            s.notebook, s.seconds = False, None
            s.notes = "not a readable notebook (JSONDecodeError); graded 0"
        students.append(s)
    return students


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, nargs="?", default=200)
    parser.add_argument("--keep", type=Path, help="write the course here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        write_course(root, make_class(args.n))
        start = time.perf_counter()
        out = report.write(A1, root)
        seconds = time.perf_counter() - start
        print(f"{args.n} submissions: report in {seconds:.2f} s ({out.stat().st_size // 1024} KiB)")
    finally:
        if args.keep is None:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
