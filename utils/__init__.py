"""Shared helpers for the ITM528 course book.

Importing the package has no side effects: nothing is seeded, downloaded or plotted until a
function is called. The chapters and assignments use the names re-exported here; each is
imported on first use, so that a tool that needs one small module (the grader reads
``utils.graded``) does not import PyTorch and matplotlib with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_SUBMODULES = ("checks", "config", "data", "download", "evidence", "plotting", "selfcheck",
               "sequences", "training")  # fmt: skip
_NAMES = {
    "compare": "checks",
    "gradcheck": "checks",
    "full_run": "config",
    "get_device": "config",
    "set_seed": "config",
    "setup": "config",
    "History": "training",
    "evaluate": "training",
    "fit": "training",
}
"""Each re-exported function or class, and the module that defines it."""

if TYPE_CHECKING:  # what static tools and editors see
    from utils import (
        checks,
        config,
        data,
        download,
        evidence,
        plotting,
        selfcheck,
        sequences,
        training,
    )
    from utils.checks import compare, gradcheck
    from utils.config import full_run, get_device, set_seed, setup
    from utils.training import History, evaluate, fit

__all__ = [
    "History",
    "checks",
    "config",
    "data",
    "download",
    "evidence",
    "plotting",
    "selfcheck",
    "sequences",
    "training",
    "compare",
    "evaluate",
    "fit",
    "full_run",
    "get_device",
    "gradcheck",
    "set_seed",
    "setup",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``utils.<name>``: a submodule, or a name it defines, imported now (once)."""
    if name in _SUBMODULES:
        value = importlib.import_module(f"utils.{name}")
    elif name in _NAMES:
        value = getattr(importlib.import_module(f"utils.{_NAMES[name]}"), name)
    else:
        raise AttributeError(f"module 'utils' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
