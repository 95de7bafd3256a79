"""Shared helpers for the ITM528 course book.

Importing the package has no side effects: nothing is seeded, downloaded or plotted until a
function is called. The chapters and assignments use the names re-exported here.
"""

from utils import checks, config, data, download, plotting, selfcheck, sequences, training
from utils.checks import compare, gradcheck
from utils.config import full_run, get_device, set_seed, setup
from utils.training import History, evaluate, fit

__all__ = [
    "History",
    "checks",
    "config",
    "data",
    "download",
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
