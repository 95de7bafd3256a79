"""The queue stage: run jobs on local workers or on a Dask cluster, results as they come.

Both yield ``(job, outcome, error)`` in completion order; the coordinator stores each result as
it arrives. A job whose worker fails comes back with ``error`` set and no outcome: it is
reported, never silently lost. A failure of the grading environment itself
(:class:`~grading.run.worker.GradingEnvironmentError`) is raised instead: it is nobody's
grade. On Dask a job whose worker process dies is moved to another worker by the scheduler
(``distributed.scheduler.allowed-failures`` times, then reported), and its result is stored by
the coordinator once, so nothing is graded twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

from grading.run import worker

Result = tuple[worker.Job, "worker.Outcome | None", "str | None"]


def default_jobs() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def local(jobs: list[worker.Job], workers: int) -> Iterator[Result]:
    """Grade ``jobs`` with ``workers`` sandboxes at a time on this machine."""
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(worker.grade, job): job for job in jobs}
        yield from _results((futures[f], f.result) for f in as_completed(futures))
    finally:  # stopped early (the environment failed): jobs not started are not started
        pool.shutdown(wait=True, cancel_futures=True)


def dask(jobs: list[worker.Job], scheduler: str) -> Iterator[Result]:
    """Grade ``jobs`` on the Dask cluster whose scheduler listens at ``scheduler``."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as err:  # pragma: no cover - distributed is in requirements.txt
        raise SystemExit("grading on a cluster needs the 'distributed' package") from err
    try:
        client = Client(scheduler, timeout=30)
    except OSError as err:
        raise SystemExit(f"cannot reach the Dask scheduler at {scheduler}: {err}") from err
    with client:
        futures = {
            client.submit(worker.grade, job, key=f"grade-{job.assignment}-{i}", pure=False): job
            for i, job in enumerate(jobs)
        }
        yield from _results((futures[f], _released(f)) for f in dask_completed(futures))


def _released(future):
    """A function that returns the Dask future's result, then lets the cluster forget it."""

    def result():
        try:
            return future.result()
        finally:
            future.release()

    return result


def _results(done) -> Iterator[Result]:
    """``(job, outcome, error)`` for each ``(job, result function)`` as it completes: a worker
    that failed (a KilledWorker after repeated deaths, an error) is the job's error, reported
    while the batch goes on; a failure of the grading environment is raised."""
    for job, result in done:
        try:
            yield job, result(), None
        except worker.GradingEnvironmentError:
            raise
        except Exception as err:
            yield job, None, f"{type(err).__name__}: {err}"
