"""The verdict stage: what each test cell earned, decided outside the student's kernel.

nbgrader scores a test cell by its outputs: full points unless it shows an error. A kernel that
runs student code can fake that (a patched grader, a replaced check, a hook that hides errors),
so the verdict does not trust the kernel alone:

1. **Code that reaches into the grader is found before it matters.** The student's own code
   (answer cells and any cell the student added; never the read-only or test cells, which were
   restored from the gradebook) is parsed here, outside the kernel, and searched for what no
   answer to these assignments needs and every known way of tampering uses: the grader's names,
   IPython's execution hooks, attribute writes into imported modules and classes, dynamic code
   (``exec``, ``eval``, ``__import__``), introspection of frames, objects and the interpreter.
   Every test cell after the first such cell scores 0, with the reason in the CSV notes.
2. **A test cell that did not run scores 0**, whatever the reason (the kernel died, the
   submission's time ran out), instead of nbgrader's full points for a cell without an error.
3. The grader's own in-kernel check (``GRADER.verify()``) still stops casual patching at run time.

The decisions are written into the notebook as error outputs, so that nbgrader's own scoring
(and the feedback a student reads) agree with them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import nbformat

DYNAMIC = {"exec", "eval", "compile", "__import__", "globals", "vars", "locals", "setattr",
           "delattr", "breakpoint", "get_ipython", "GRADER", "Grader", "__builtins__"}  # fmt: skip
"""Names an answer never needs: dynamic code, namespaces as dictionaries, the grader itself."""

MODULES = {"builtins", "importlib", "ctypes", "gc", "inspect", "IPython", "ipykernel", "sys",
           "utils.grading", "traceback", "types", "signal", "subprocess", "pty", "marshal",
           "pickle", "dill", "code", "codeop", "threading", "_thread", "atexit"}  # fmt: skip
"""Modules an answer never needs to import: they reach the interpreter, the kernel or the
grader (``sys`` included: its ``modules``, ``settrace`` and hooks are how checks are bypassed)."""

DUNDERS = {"__dict__", "__setattr__", "__delattr__", "__globals__", "__code__", "__closure__",
           "__builtins__", "__subclasses__", "__bases__", "__mro__", "__getattribute__",
           "__loader__", "__spec__", "__self__", "__func__", "__defaults__", "__kwdefaults__",
           "__import__", "__reduce__", "__reduce_ex__", "f_globals", "f_locals", "f_back",
           "gi_frame", "tb_frame", "co_code"}  # fmt: skip
"""Attributes that reach other objects' insides (functions, classes, frames)."""


@dataclass(frozen=True)
class Finding:
    """One construct in the student's code that can tamper with grading."""

    cell: int
    """Position of the cell in the executed notebook."""
    line: int
    what: str


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_student_code(cell) -> bool:
    """A code cell whose source the student wrote: an answer cell or one the student added."""
    meta = _nbg(cell)
    return (
        cell.cell_type == "code"
        and not meta.get("locked")
        and not (meta.get("grade") and not meta.get("solution"))
    )


def scan(source: str) -> list[tuple[int, str]]:
    """(line, what) of each tampering construct in ``source``; IPython magics and shell lines
    (``%``, ``!``) count as one, since they reach the kernel outside Python."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith(("%", "!")) and not line.lstrip().startswith("%matplotlib"):
            found.append((number, "an IPython magic or shell command"))
    python = "\n".join(
        "" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.split("\n")
    )
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return found  # the kernel reports it; a cell that does not parse does not run
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{n}" for n in names]
            bad = [n for n in names if n in MODULES or n.split(".")[0] in MODULES]
            if bad:
                found.append((node.lineno, f"imports {bad[0]}"))
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in DYNAMIC:
            found.append((node.lineno, f"uses {node.id}"))
        elif isinstance(node, ast.Attribute) and node.attr in DUNDERS:
            found.append((node.lineno, f"uses .{node.attr}"))
        elif isinstance(node, ast.Attribute) and node.attr in {"GRADER", "grading", "Grader"}:
            found.append((node.lineno, f"uses .{node.attr}"))
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                if _writes_outside(target, imported):
                    found.append((node.lineno, f"changes {ast.unparse(target)}"))
        elif isinstance(node, ast.Global) and "GRADER" in node.names:
            found.append((node.lineno, "rebinds GRADER"))
    return sorted(set(found))


def _writes_outside(target: ast.expr, imported: set[str]) -> bool:
    """An attribute written on something the student's code does not own: an imported module
    or a class in it (``torch.allclose = ...``, ``nn.Module.__call__ = ...``), or an object
    reached through a call or a subscript (``sys.modules["torch"].x = ...``)."""
    if isinstance(target, ast.Tuple | ast.List):
        return any(_writes_outside(t, imported) for t in target.elts)
    if not isinstance(target, ast.Attribute):
        return False
    base = target.value
    while isinstance(base, ast.Attribute):
        base = base.value
    if isinstance(base, ast.Name):
        return base.id in imported
    return isinstance(base, ast.Call | ast.Subscript)


def findings(nb) -> list[Finding]:
    """Every tampering construct in the student's code cells of ``nb``."""
    return [
        Finding(i, line, what)
        for i, cell in enumerate(nb.cells)
        if is_student_code(cell)
        for line, what in scan(cell.source)
    ]


def _zero(cell, ename: str, message: str) -> None:
    cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=message,
                                               traceback=[f"{ename}: {message}"]))  # fmt: skip


def decide(nb) -> list[str]:
    """Write the verdict into the executed notebook ``nb``; return the notes for the CSV."""
    notes: list[str] = []
    found = findings(nb)
    first = min((f.cell for f in found), default=None)
    if found:
        shown = "; ".join(f"cell {f.cell + 1}, line {f.line}: {f.what}" for f in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        notes.append(f"tampering: {shown}{more}; every test after it scores 0")
    skipped = []
    for i, cell in enumerate(nb.cells):
        meta = _nbg(cell)
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        if first is not None and i > first:
            _zero(cell, "TamperingError", "the notebook's code reaches into the grader "
                  "(see the notes of your grade); this test scores 0")  # fmt: skip
        elif cell.get("execution_count") is None:
            skipped.append(meta.get("grade_id", f"cell {i + 1}"))
            _zero(cell, "NotExecuted", "this test did not run (the notebook stopped before it)")
        elif any(o.get("ename") == "TamperingError" for o in cell.get("outputs", [])):
            notes.append(f"tampering detected at run time in {meta.get('grade_id')}")
    if skipped:
        notes.append(f"tests that did not run score 0: {', '.join(skipped)}")
    return notes
