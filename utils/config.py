"""Device, seeding and the one switch between the quick CPU budget and a full run."""

from __future__ import annotations

import os
import platform
import random

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


def setup(seed: int = 0) -> torch.device:
    """Seed everything, pick the device, print one line saying what was chosen; return it."""
    set_seed(seed)
    device = get_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    mode = "full run" if full_run() else "quick run (set ITM528_FULL_RUN=1 for the full one)"
    print(f"torch {torch.__version__} | device: {device} ({name or device.type}) | seed {seed}")
    print(f"budget: {mode}")
    return device
