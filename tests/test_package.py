"""Tests of the package as a whole: a quiet import, documented and typed public functions."""

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import utils

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "checks", "config", "contracts", "data", "download", "evidence", "grading", "plotting",
    "selfcheck", "sequences", "training",
)  # fmt: skip

# Imports utils in a fresh interpreter; reports the processor time it took (the time of this
# process alone, however busy the machine is) and whether a global RNG moved.
PROBE = """
import json, random, sys, time
start = time.process_time()
import numpy, torch
before = (torch.random.get_rng_state(), numpy.random.get_state()[1].copy(), random.getstate())
import utils
seconds = time.process_time() - start
after = (torch.random.get_rng_state(), numpy.random.get_state()[1], random.getstate())
moved = [
    not torch.equal(before[0], after[0]),
    not (before[1] == after[1]).all(),
    before[2] != after[2],
]
sys.stderr.write(json.dumps({"seconds": seconds, "moved": moved}))
"""


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITM528_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_import_prints_nothing_and_creates_no_files(tmp_path):
    result = _python("import utils", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_import_is_quick_and_leaves_the_random_generators_alone(tmp_path):
    result = _python(PROBE, tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stderr)
    assert report["moved"] == [False, False, False], "torch, numpy, random"
    assert report["seconds"] < 5.0


def _public_functions():
    for name in MODULES:
        module = importlib.import_module(f"utils.{name}")
        for attr, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                if not attr.startswith("_"):
                    yield pytest.param(obj, id=f"{name}.{attr}")


@pytest.mark.parametrize("function", list(_public_functions()))
def test_public_functions_have_docstrings_and_annotated_parameters(function):
    assert inspect.getdoc(function), "no docstring"
    missing = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.annotation is inspect.Parameter.empty
    ]
    assert missing == [], f"parameters without a type annotation: {missing}"


def test_the_exported_names_exist():
    for name in utils.__all__:
        assert inspect.getdoc(getattr(utils, name)), name
