"""The house's rules, read from the imports: each stage of the grading engine imports only the
stages it may, the student-facing packages import no instructor code, nothing imports the tests,
and no module grows past the size at which it usually holds two stages.

Instructor code (``grading/``) is absent from the public copy, where these rules skip it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grading", "utils", "export", "questions")
MAX_LINES = 300

ALLOWED = {
    "grading.run": {"grading.run", "grading.check", "grading.cells", "utils"},
    "grading.check": {"grading.check", "grading.cells", "utils"},
    "grading.intake": {"grading.intake", "grading.cells", "grading.course"},
    "grading.outputs": {"grading.outputs", "grading.cells", "grading.course", "grading.intake"},
    "grading.publish": {
        "grading.publish",
        "grading.cells",
        "grading.course",
        "export",
        "questions",
        "utils",
    },
    "grading.batch": {"grading"},
    "grading.cells": {"utils"},
    "grading.course": set(),
    "grading.__main__": {"grading"},
    "grading": set(),
    "utils": {"utils"},
    "export": {"export", "questions", "utils"},
    "questions": {"questions"},
}
"""What each part may import of the project's own packages (a part covers its subpackages, except
``grading`` itself: its ``__init__``). ``run`` is what a Dask worker on another machine needs
and ``check``, the checker it starts (and the course's ``utils``, which the sandbox mounts):
neither reads the course directory, the gradebook, the intake or the outputs."""

OWN = ("grading", "utils", "export", "questions", "tests")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str) -> set[str]:
    """The project's own modules that ``source`` (the text of ``module``) imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                package = module.split(".")[: -node.level or None]
                base = ".".join([*package, base] if base else package)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in OWN}


def rule_for(module: str) -> set[str] | None:
    """The allowed imports of ``module``: the rule of its longest matching part."""
    owners = [
        part
        for part in ALLOWED
        if module == part or (part != "grading" and module.startswith(part + "."))
    ]
    return ALLOWED[max(owners, key=len)] if owners else None


def violations(module: str, source: str) -> list[str]:
    """Each import of ``module`` that its rule does not allow."""
    allowed = rule_for(module)
    if allowed is None:
        return [f"{module}: no rule says what it may import (add its part to ALLOWED)"]
    bad = []
    for name in sorted(imports(source, module)):
        if name.split(".")[0] == "tests":
            bad.append(f"{module} imports the tests ({name})")
        elif not any(name == a or name.startswith(a + ".") for a in allowed):
            bad.append(f"{module} imports {name}")
    return bad


def sources() -> dict[str, tuple[Path, str]]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = (path, path.read_text())
    return found


def test_each_stage_imports_only_what_it_may():
    problems = [v for module, (_, text) in sources().items() for v in violations(module, text)]
    assert problems == []


def test_the_rules_catch_what_they_forbid():
    assert violations("grading.run.worker", "from grading import course") == [
        "grading.run.worker imports grading.course"
    ]
    assert violations("grading.run", "from . import course") == [
        "grading.run imports grading.course"
    ]
    assert violations("grading.run.worker", "from grading.batch import gradebook")
    assert violations("grading.run.worker", "from ..intake import history")  # relative
    assert violations("grading.outputs.table", "import grading.run.sandbox")
    assert violations("grading.publish.public", "from tests import conventions")
    assert violations("utils.data", "from grading import cells")
    assert violations("grading.run.worker", "from grading.run import sandbox") == []
    assert violations("grading.batch.pipeline", "from grading.run import worker") == []


def test_no_module_is_over_the_size_of_a_stage():
    big = {m: n for m, (_, text) in sources().items() if (n := len(text.splitlines())) > MAX_LINES}
    assert big == {}, f"modules over {MAX_LINES} lines (split them by stage): {big}"


@pytest.mark.skipif(not (ROOT / "grading").exists(), reason="no grading/ in the public copy")
def test_the_stages_are_the_house_the_readme_maps():
    stages = sorted(p.name for p in (ROOT / "grading").iterdir() if (p / "__init__.py").exists())
    assert stages == ["batch", "check", "intake", "outputs", "publish", "run"]
    doc = (ROOT / "grading" / "__init__.py").read_text()
    assert all(f"{stage}/" in doc for stage in stages), "grading/__init__.py maps every stage"
