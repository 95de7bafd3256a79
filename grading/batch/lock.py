"""One grading run at a time on a course: a second one waits for the first, and says so."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator

from grading import course


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """Hold the course's grading lock (``.grading.lock``, git-ignored) while the block runs.

    A run that finds the lock held prints who holds it and waits: the two never write the
    gradebook, the history or the CSV at once, and the second then grades only what the first
    left ungraded. The lock is the operating system's, so a run that crashed holds nothing.
    """
    path = course.ROOT / ".grading.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            print(f"another grading run holds this course ({holder}); waiting for it to finish",
                  flush=True)  # fmt: skip
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {dt.datetime.now().isoformat(timespec='seconds')}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
