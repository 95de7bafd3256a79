"""The grader's own failures are not the students': an environment reached through a symbolic
link starts in the sandbox, and a kernel or setup that fails before any student code ran is
reported as the environment's failure, never graded as a zero."""

from __future__ import annotations

import json
import os
import subprocess

import nbformat
import pytest

from grading import course
from grading.run import environment, execute, worker
from tests.instructor.test_sandbox import notebook

RUN_THROUGH_THE_LINK = """
import json, sys
import nbformat
from grading.run import execute, sandbox
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("import sys, torch, utils\\nprint(sys.prefix)")]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
result = execute.run(nb, 15, sandbox.Limits(cell_seconds=120, submission_seconds=240))
print(json.dumps({"outputs": result.notebook.cells[0].outputs, "error": result.environment_error}))
"""


def test_an_environment_reached_through_a_link_starts_in_the_sandbox(sandboxed, tmp_path):
    """``/…/venv-link -> /work/main/.venv``: the grader runs as ``venv-link/bin/python``."""
    link = tmp_path / "venv-link"
    link.symlink_to(os.path.realpath(course.ROOT / ".venv"))
    tmp_path.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(course.ROOT)}
    done = subprocess.run([str(link / "bin" / "python"), "-c", RUN_THROUGH_THE_LINK],
                          cwd=course.ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] is None
    assert [o.get("text", "").strip() for o in result["outputs"]] == [str(link)]


def graded(*cells: tuple[str, dict]) -> worker.Job:
    """A job of code cells with their nbgrader metadata."""
    nb = notebook(*(source for source, _ in cells))
    for cell, (_, meta) in zip(nb.cells, cells):
        cell.metadata["nbgrader"] = meta
    return worker.Job("a1_cnn", "kim", nbformat.from_dict(nb))


SETUP = {"locked": True, "grade": False, "solution": False, "grade_id": "setup"}
ANSWER = {"locked": False, "grade": False, "solution": True, "grade_id": "answer"}
TEST = {"locked": True, "grade": True, "solution": False, "grade_id": "test", "points": 1}


def test_a_setup_cell_that_fails_is_the_environments_failure(sandboxed):
    job = graded(("import math\nimport no_such_module_of_the_course", SETUP),
                 ("x = 1", ANSWER), ("assert x == 1", TEST))  # fmt: skip
    with pytest.raises(worker.GradingEnvironmentError) as caught:
        worker.grade(job)
    message = str(caught.value)
    assert "kim" in message and "setup cell 1 (setup)" in message
    assert "No module named 'no_such_module_of_the_course'" in message


def test_a_kernel_that_does_not_start_is_the_environments_failure(sandboxed, monkeypatch):
    missing = "/nonexistent/itm528/bin/python"
    monkeypatch.setattr(execute, "KERNEL_ARGV", [missing, *execute.KERNEL_ARGV[1:]])
    job = graded(("import math", SETUP), ("x = 1", ANSWER), ("assert x == 1", TEST))
    with pytest.raises(worker.GradingEnvironmentError, match="did not start") as caught:
        worker.grade(job)
    if os.geteuid() == 0:  # its console output is kept on the private socket folder
        assert missing in str(caught.value)


def test_a_student_cell_that_stops_the_kernel_is_the_students(sandboxed):
    job = graded(("import math", SETUP), ("import os\nos._exit(1)", ANSWER),
                 ("assert True", TEST))  # fmt: skip
    outcome = worker.grade(job)
    assert any("stopped the Python kernel" in n for n in outcome.notes)
    assert outcome.notebook["cells"][2]["outputs"][-1]["ename"] == "NotExecuted"


def test_only_what_ran_before_the_student_code_is_the_environments():
    nb = notebook("import torch", "x = 1", "assert x")
    for cell, meta in zip(nb.cells, (SETUP, ANSWER, TEST)):
        cell.metadata["nbgrader"] = meta
    assert environment.failure(nb, True, 2, None) is None
    assert "before any student code" in environment.failure(nb, True, 0, "DeadKernelError")
    assert environment.failure(nb, True, 1, "DeadKernelError") is None
    nb.cells[2].outputs = [nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])]
    assert environment.failure(nb, True, 2, None) is None  # a failing test is the student's
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="E", evalue="x", traceback=[])]
    assert environment.failure(nb, True, 2, None) == (
        "setup cell 1 (setup) failed before any student code ran: E: x"
    )
    assert environment.failure(nb, False, -1, "RuntimeError: died").startswith(
        "the kernel did not start in the sandbox (RuntimeError: died)"
    )
