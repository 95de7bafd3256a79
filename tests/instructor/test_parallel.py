"""The same batch graded with one worker, with two, and on a Dask cluster of two worker
processes on 127.0.0.1, one of which is killed mid-batch: the same CSV every time, each student
graded exactly once."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.instructor.sandboxing import (
    grade_cli,
    read_csv,
    scratch_course,
    write_inbox,
)
from tests.instructor.test_nbgrader_pipeline import A1, answered, release_nb, untrained

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

RESULT_COLUMNS = ("score", "max_score", "test_conv2d_naive", "test_conv2d_im2col",
                  "test_max_pool2d", "test_conv2d_backward", "test_residual_block",
                  "test_train_cnn", "written_answer", "needs_manual_grade")  # fmt: skip


def class_of_four() -> dict[str, object]:
    return {
        "kim": untrained(),
        "lee": release_nb(),
        "park": answered(A1, ["conv2d_naive", "max_pool2d", "conv2d_backward"]),
        "choi": answered(A1, ["conv2d_im2col", "residual_block"]),
    }


def results(rows: dict[str, dict[str, str]]) -> dict[str, tuple[str, ...]]:
    return {s: tuple(r[c] for c in RESULT_COLUMNS) for s, r in rows.items()}


def graded(root: Path, *args: str) -> tuple[dict, str]:
    result = grade_cli(
        root, A1, "--submissions", str(root / "inbox"), "--cell-timeout", "120", *args
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return read_csv(root / "grades" / f"{A1}.csv"), result.stdout


@pytest.fixture(scope="module")
def local(sandboxed, tmp_path_factory):
    out = {}
    for jobs in ("1", "2"):
        root = scratch_course(tmp_path_factory.mktemp(f"jobs{jobs}"))
        write_inbox(root, class_of_four())
        started = time.perf_counter()
        out[jobs] = graded(root, "--jobs", jobs)
        print(f"JOBS={jobs}: {time.perf_counter() - started:.1f} s")
    return out


def test_one_and_two_workers_give_the_same_csv(local):
    one, two = results(local["1"][0]), results(local["2"][0])
    assert one == two
    assert one["kim"][0] == "70.0" and one["lee"][0] == "0.0"
    assert one["park"][0] == "40.0" and one["choi"][0] == "30.0"


def test_progress_counts_each_student_once_with_time_left(local):
    for _, log in local.values():
        lines = [ln for ln in log.splitlines() if ln.startswith("[")]
        assert [ln.split("]")[0] for ln in lines] == ["[1/4", "[2/4", "[3/4", "[4/4"]
        assert sorted(ln.split("] ")[1].split(":")[0] for ln in lines) == [
            "choi",
            "kim",
            "lee",
            "park",
        ]
        assert all("left" in ln for ln in lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_cluster_commands() -> tuple[str, str]:
    """The scheduler's and a worker's command lines, as the README's instructors' section
    writes them."""
    lines = re.findall(r"(?m)^ *(PYTHONPATH=\S+ \.venv/bin/dask (?:scheduler|worker) .*)$", README)
    scheduler = [ln for ln in lines if " scheduler " in ln]
    worker = [ln for ln in lines if " worker " in ln]
    assert len(scheduler) == 1 and len(worker) == 1, lines
    return scheduler[0], worker[0]


def _start(command: str, env: dict) -> subprocess.Popen:
    """``command`` run by the shell in the repository's folder, as an instructor would."""
    return subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip


@pytest.fixture(scope="module")
def cluster(sandboxed, tmp_path_factory):
    """A Dask scheduler and two worker processes on 127.0.0.1, started with the README's own
    commands (only the address and port are this machine's; each worker gets one thread)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler_line, worker_line = readme_cluster_commands()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "2"
    scheduler = _start(
        scheduler_line.replace("0.0.0.0", "127.0.0.1").replace("8786", str(port))
        + " --dashboard-address :0",
        env,
    )
    workers = [
        _start(
            worker_line.replace("SCHEDULER_HOST:8786", f"127.0.0.1:{port}").replace(
                "--nthreads 2", "--nthreads 1"
            )
            + f" --no-nanny --name w{i} --local-directory {tmp_path_factory.mktemp(f'w{i}')}",
            env,
        )
        for i in range(2)
    ]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
    yield address, workers
    for process in [*workers, scheduler]:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_dask_cluster_gives_the_same_csv_when_a_worker_dies_mid_batch(local, cluster, tmp_path):
    address, workers = cluster
    root = scratch_course(tmp_path)
    write_inbox(root, class_of_four())
    env = {**os.environ, "PYTHONPATH": str(root)}
    batch = subprocess.Popen(
        [sys.executable, "-m", "grading", "grade", A1, "--submissions", str(root / "inbox"),
         "--cell-timeout", "120", "--scheduler", address],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    from distributed import Client

    with Client(address, timeout=60) as client:  # kill the first worker that is grading
        deadline, victim = time.monotonic() + 120, None
        while victim is None and time.monotonic() < deadline:
            busy = client.processing()
            victim = next((w for w, tasks in busy.items() if tasks), None)
            time.sleep(0.2)
        assert victim is not None, "no worker started grading"
        name = client.scheduler_info()["workers"][victim]["name"]
        time.sleep(2)  # mid-submission
        os.killpg(workers[int(name[1:])].pid, signal.SIGKILL)
    log, _ = batch.communicate(timeout=900)
    assert batch.returncode == 0, log[-3000:]
    rows = read_csv(root / "grades" / f"{A1}.csv")
    assert results(rows) == results(local["1"][0])
    graded_lines = [ln for ln in log.splitlines() if ln.startswith("[")]
    assert len(graded_lines) == 4, log[-3000:]  # each student stored exactly once
