"""The grading benchmark: where one submission's time goes, and how batches scale.

Usage: ``python -m tests.instructor.bench_grading GRADING_TIMINGS.md`` (``make bench-grading``).
Grades, in scratch copies of the course, the blank release and the reference of every
assignment one at a time (JOBS=1), then 12 references of assignment 1 with one and with two
workers, then the same on a Dask cluster of two worker processes on 127.0.0.1, and writes the
table. Per submission it splits the time into the sandbox and kernel start, the setup cell
(imports), the rest of the notebook (the visible tests; training in the reference) and the
checker (the hidden tests, run against the kernel).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grading import course
from tests.instructor.sandboxing import grade_cli, read_csv, scratch_course, write_inbox
from tests.instructor.test_nbgrader_pipeline import release_nb, source_nb


def _stamp(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def phases(notebook: Path, seconds: float) -> tuple[float, float, float, float]:
    """(sandbox and kernel start, setup cell, rest of the notebook, the checker) of one executed
    notebook, in seconds: together they make `seconds`."""
    nb = nbformat.read(notebook, as_version=4)
    timed = [c.metadata["execution"] for c in nb.cells if "execution" in c.get("metadata", {})]
    first = _stamp(timed[0]["iopub.execute_input"])
    setup_end = _stamp(timed[0]["shell.execute_reply"])
    last = _stamp(timed[-1]["shell.execute_reply"])
    check = float(nb.metadata.get("grading", {}).get("check_seconds", 0.0))
    # the checker decides each part between the test cell and the next cell, so its time lies
    # inside the notebook's span of cells
    return seconds - (last - first), setup_end - first, last - setup_end - check, check


def batch(root: Path, assignment: str, subs: dict, *args: str) -> tuple[float, dict]:
    write_inbox(root, subs)
    started = time.perf_counter()
    result = grade_cli(root, assignment, "--submissions", str(root / "inbox"), *args)
    if result.returncode != 0:
        raise SystemExit(result.stdout[-2000:] + result.stderr[-2000:])
    return time.perf_counter() - started, read_csv(root / "grades" / f"{assignment}.csv")


def per_submission(scratch: Path) -> list[str]:
    rows = []
    for assignment in course.assignments():
        root = scratch_course(scratch / assignment)
        _, table = batch(
            root,
            assignment,
            {"blank": release_nb(assignment), "reference": source_nb(assignment)},
            "--jobs",
            "1",
        )
        for student in ("blank", "reference"):
            seconds = float(table[student]["seconds"])
            nb = root / "autograded" / student / assignment / f"{assignment}.ipynb"
            start, setup, rest, check = phases(nb, seconds)
            rows.append(
                f"| {assignment} | {student} | {table[student]['score']} | {seconds:.1f} "
                f"| {start:.1f} | {setup:.1f} | {rest:.1f} | {check:.1f} |"
            )
    return rows


def _cluster(port: int, scratch: Path) -> list[subprocess.Popen]:
    bin_dir, env = Path(sys.executable).parent, {**os.environ, "PYTHONPATH": str(course.ROOT)}
    argv = [
        [
            str(bin_dir / "dask"),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
        ]
    ]
    argv += [
        [
            str(bin_dir / "dask"),
            "worker",
            f"tcp://127.0.0.1:{port}",
            "--nthreads",
            "1",
            "--no-nanny",
            "--local-directory",
            str(scratch / f"w{i}"),
        ]
        for i in range(2)
    ]
    processes = []
    for a in argv:
        processes.append(
            subprocess.Popen(
                a,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        time.sleep(3)
    from distributed import Client

    with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
    return processes


def scaling(scratch: Path, n: int = 12) -> list[str]:
    subs = {f"student{i:02d}": source_nb("a1_cnn") for i in range(n)}
    times = {}
    for jobs in ("1", "2"):
        times[jobs], _ = batch(
            scratch_course(scratch / f"jobs{jobs}"), "a1_cnn", subs, "--jobs", jobs
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cluster = _cluster(port, scratch)
    try:
        times["dask"], _ = batch(
            scratch_course(scratch / "dask"),
            "a1_cnn",
            subs,
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
        )
    finally:
        for p in cluster:
            os.killpg(p.pid, signal.SIGKILL)
    return [
        f"| {n} references of a1_cnn, JOBS=1 | {times['1']:.1f} | 1.00 |",
        f"| {n} references of a1_cnn, JOBS=2 | {times['2']:.1f} | {times['2'] / times['1']:.2f} |",
        f"| {n} references of a1_cnn, Dask (2 workers on 127.0.0.1) | {times['dask']:.1f} | "
        f"{times['dask'] / times['1']:.2f} |",
    ]


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        single = per_submission(Path(scratch))
        scale = scaling(Path(scratch))
    text = [
        "# Grading times",
        "",
        f"Measured by `make bench-grading` on {dt.date.today()} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}), every submission in its "
        "own bubblewrap sandbox. Seconds per submission are the sandboxed run: sandbox and "
        "kernel start, the setup cell (imports of torch and the course's utils), the rest of the "
        "notebook (the visible tests; training in the reference) and the checker (its own "
        "process, running the hidden tests against the kernel).",
        "",
        "| assignment | submission | score | s | start | setup | rest | check |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *single,
        "",
        "| batch | s | vs JOBS=1 |",
        "| --- | ---: | ---: |",
        *scale,
        "",
    ]
    out.write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else course.ROOT / "GRADING_TIMINGS.md")
