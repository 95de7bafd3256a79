"""The checker: run each part's hidden tests against the notebook's names, and score it.

It runs in a process of its own (``python -m grading.check.runner``, started by the worker with
the notebook and asked for each part right after that part's test cell ran: :mod:`.process`)
that holds no student code: the kernel's names are :class:`~.remote.Remote` proxies, and
only plain data and tensors come back (:mod:`utils.wire`). Each part is checked on its own, in a
fresh namespace: ``GRADER`` (:class:`~.grader.CheckGrader`), ``torch``, ``nn``, ``F``, ``math``,
``copy``, ``device`` (the CPU: expected values are computed here), ``kernel(name)`` (a Remote for
any name of the kernel, e.g. ``kernel("utils.data.load_digits")``), and a Remote for every other
name the code reads without defining.

A part passes when its code runs to its end (full points, or ``GRADER.points(n)``), and fails
with the first ``AssertionError``'s message, which the checks write; any other error of the
check's own code fails the part with the error's class name only. Nothing the kernel sent is
quoted: a reply is data, read and judged here.
"""

from __future__ import annotations

import builtins
import copy
import json
import math
import os
import symtable
import sys
import time
import traceback
from dataclasses import asdict

import torch
import torch.nn.functional as F
from torch import nn

from grading.check import grader as grader_module
from grading.check.grader import CheckGrader
from grading.check.process import Verdict
from grading.check.remote import KernelTarget, Remote, Target


def free_names(code: str) -> set[str]:
    """The names ``code`` reads as globals and never binds at its top level: the notebook's
    names (a name bound only inside a function, as an argument, stays that function's)."""
    top = symtable.symtable(code, "<hidden test>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    read: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        tables += table.get_children()
        read |= {s.get_name() for s in table.get_symbols()
                 if s.is_referenced() and (table is top or s.is_global())}  # fmt: skip
    return read - bound - set(dir(builtins))


def namespace(target: Target, grader: CheckGrader, code: str) -> dict:
    """The globals of one part's check."""
    ns = {
        "GRADER": grader, "torch": torch, "nn": nn, "F": F, "math": math, "copy": copy,
        "device": torch.device("cpu"), "kernel": lambda name: Remote(target, name),
        "__name__": "__check__",
    }  # fmt: skip
    for name in free_names(code) - set(ns):
        ns[name] = Remote(target, name)
    return ns


def check(code: str, target: Target, salt: int) -> Verdict:
    """Run one part's check against ``target``."""
    started = time.perf_counter()
    grader = CheckGrader(salt)
    if not code.strip():
        return Verdict(False, "this part has no hidden tests to decide it (a grader's error)")
    grader_module._current["grader"] = grader
    try:
        exec(compile(code, "<hidden test>", "exec"), namespace(target, grader, code))  # noqa: S102
    except AssertionError as err:
        if os.environ.get("ITM528_CHECK_TRACEBACK"):
            traceback.print_exc(file=sys.stderr)
        return Verdict(False, str(err)[:2000], None, time.perf_counter() - started)
    except Exception as err:  # noqa: BLE001 - a result the check could not read
        if os.environ.get("ITM528_CHECK_TRACEBACK"):  # for whoever writes the checks
            traceback.print_exc(file=sys.stderr)
        return Verdict(False, f"the check could not read your result ({type(err).__name__})",
                       None, time.perf_counter() - started)  # fmt: skip
    finally:
        grader_module._current["grader"] = None
    return Verdict(True, "passed", grader.awarded, time.perf_counter() - started)


def main() -> None:
    """The checker process: on stdin, a line with the kernel's ``connection``, the ``salt`` and
    the ``seconds`` of a request, then one line per part with its ``code``; on stdout, one line
    per part with its verdict (:mod:`.process`)."""
    import jupyter_client  # noqa: F401 - imported while the notebook still runs, as is

    import utils.data  # noqa: F401 - the data the training parts score on

    job = json.loads(sys.stdin.readline())
    target = KernelTarget(job["connection"], float(job["seconds"]))
    try:
        for line in sys.stdin:
            verdict = check(json.loads(line)["code"], target, int(job["salt"]))
            sys.stdout.write(json.dumps(asdict(verdict)) + "\n")
            sys.stdout.flush()
    finally:
        target.close()


__all__ = ["Verdict", "check", "free_names", "main"]

if __name__ == "__main__":
    main()
