"""Device, seeding and the one switch between the quick CPU budget and a full run."""

from __future__ import annotations

import os
import platform
import random
import time

import numpy as np
import torch

FULL_RUN_ENV = "ITM528_FULL_RUN"
"""Environment variable that forces the choice: ``1`` for a full run, ``0`` for the quick one."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def get_device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (all devices)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def full_run() -> bool:
    """Whether to use full datasets and long training rather than the quick CPU budget.

    ``ITM528_FULL_RUN=1`` or ``=0`` decides when set; otherwise a full run happens exactly when a
    CUDA GPU is present (as on Colab with a GPU runtime).
    """
    value = os.environ.get(FULL_RUN_ENV)
    if value is None:
        return torch.cuda.is_available()
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{FULL_RUN_ENV} must be 1 or 0 (or true/false), got {value!r}")


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) clock ticks of all CPUs since boot, from Linux's /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields[:8])  # idle + iowait; user … steal


def free_cores(seconds: float = 0.2) -> float | None:
    """How many cores no other program used over the next ``seconds``; None where unknown."""
    before = _cpu_ticks()
    time.sleep(seconds)
    after = _cpu_ticks()
    if before is None or after is None or after[1] <= before[1]:
        return None
    return os.cpu_count() * (after[0] - before[0]) / (after[1] - before[1])


def set_cpu_threads(device: torch.device) -> int:
    """Give PyTorch's CPU operations as many threads as there are free cores (at least one) on
    the CPU; return the number of threads used.

    When another program holds a core, a second thread is ruinous: at the end of every operation
    each OpenMP thread spins until the others are done, and the one sharing a core with the other
    program runs only every scheduler time slice, so each of the chapters' thousands of small
    operations waits that long. On a shared machine two threads made the chapters' kind of work
    about 25 times slower than one thread; one thread slows down by about its share of the
    machine. On a quiet machine two threads keep the larger chapters within their budget. So the
    free cores are counted once, here (a core counts when at least three quarters of it was
    idle); ``OMP_NUM_THREADS`` decides when set. Making OpenMP wait passively
    (``OMP_WAIT_POLICY=PASSIVE``) would help too, but OpenMP reads it once, when ``import torch``
    starts it, before any call here. Results may differ in the last digits
    between one and two threads. On a GPU (or MPS) the CPU threads stay as PyTorch chose them.
    """
    if device.type != "cpu":
        return torch.get_num_threads()
    requested = os.environ.get("OMP_NUM_THREADS", "").strip()
    if requested.isdigit() and int(requested) > 0:
        threads = int(requested)
    else:
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        free = free_cores()
        cores = usable or os.cpu_count() or 1
        threads = cores if free is None else max(1, min(cores, int(free + 0.25)))
    torch.set_num_threads(threads)
    return threads


def setup(seed: int = 0) -> torch.device:
    """Seed everything, pick the device, give the CPU as many threads as it has free cores (see
    :func:`set_cpu_threads`), print one line saying what was chosen and the budget; return the
    device."""
    set_seed(seed)
    device = get_device()
    threads = set_cpu_threads(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    mode = "full run" if full_run() else "quick run (set ITM528_FULL_RUN=1 for the full one)"
    print(
        f"torch {torch.__version__} | device: {device} ({name or device.type}) | "
        f"{threads} CPU thread{'s' if threads != 1 else ''} | seed {seed}"
    )
    print(f"budget: {mode}")
    return device
