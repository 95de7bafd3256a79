"""What a student's code may not do: the static rules of the grader's verdict, in public.

The student's source is parsed (never run) and searched for what no answer to these assignments
needs and every known way of tampering with in-kernel checks uses. The lists are deliberately an
allowlist where that is possible (imports), since a blacklist only stops what someone thought of.
The grader applies them outside the student's kernel (:mod:`utils.graded`); the check before
submitting (:mod:`utils.handin`) applies the same rules to the notebook a student hands in.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable

DYNAMIC = {"exec", "eval", "compile", "__import__", "globals", "vars", "locals", "setattr",
           "delattr", "breakpoint", "get_ipython", "GRADER", "Grader", "__builtins__",
           "TorchFunctionMode", "TorchDispatchMode", "__torch_function__",
           "__torch_dispatch__"}  # fmt: skip
"""Names an answer never needs: dynamic code, namespaces as dictionaries, the grader itself,
and PyTorch's hooks that intercept every call (the grader's comparisons included)."""

IMPORTS = {"torch", "numpy", "math", "cmath", "utils", "matplotlib", "sklearn", "scipy", "tqdm",
           "einops", "collections", "itertools", "functools", "random", "time", "typing",
           "dataclasses", "string", "re", "copy", "statistics", "heapq", "bisect", "warnings",
           "sys", "os", "contextlib", "enum", "abc", "numbers", "fractions", "decimal", "json",
           "textwrap", "pprint", "timeit", "datetime", "io", "pathlib", "glob", "csv", "gzip",
           "operator", "unicodedata", "__future__"}  # fmt: skip
"""The only modules an answer may import (their submodules too). Anything else, a module the
notebook wrote itself included, could run code the grader has not read."""

FORBIDDEN = {"utils.grading", "utils.contracts", "utils.agent", "utils.wire", "torch.package",
             "torch.hub", "torch.utils.cpp_extension", "torch.library", "torch.overrides",
             "torch._C", "torch.utils._python_dispatch", "torch.ops.load_library", "sys.modules",
             "sys.settrace", "sys.setprofile", "sys._getframe", "sys.excepthook",
             "sys.displayhook", "sys.meta_path", "sys.path_hooks", "sys.path",
             "sys.path_importer_cache", "sys.addaudithook", "sys.monitoring",
             "sys.breakpointhook", "sys.unraisablehook", "sys.setrecursionlimit"}  # fmt: skip
"""Parts of allowed modules that load code, intercept calls or reach the interpreter."""

ATTRIBUTES = {"__dict__", "__setattr__", "__delattr__", "__globals__", "__code__", "__closure__",
              "__builtins__", "__subclasses__", "__bases__", "__mro__", "__getattribute__",
              "__loader__", "__spec__", "__self__", "__func__", "__defaults__",
              "__kwdefaults__", "__import__", "__reduce__", "__reduce_ex__",
              "__torch_function__", "__torch_dispatch__", "f_globals", "f_locals", "f_back",
              "f_lineno", "f_trace", "f_code", "gi_frame", "tb_frame", "co_code", "GRADER",
              "grading", "Grader"}  # fmt: skip
"""Attributes that reach other objects' insides (functions, classes, frames) or the grader."""

UNSAFE_KEYWORDS = {("weights_only", False), ("allow_pickle", True)}
"""Loading with these runs whatever code a pickle names."""

WRITABLE = ("torch.backends.", "matplotlib.rcParams", "matplotlib.pyplot.rcParams")
"""Settings of imported modules an answer may change (the tests fix what they depend on)."""


CELL_SEPARATOR = "\n# %% cell\n"
"""Joins a notebook's cells into one ``context`` for :func:`scan`."""


def scan(
    source: str, context: str = "", *, imported: dict[str, str] | None = None
) -> list[tuple[int, str]]:
    """(line, what) of each tampering construct in ``source``; IPython magics and shell lines
    (``%``, ``!``) count as one, since they reach the kernel outside Python. ``context`` is the
    rest of the notebook's code, whose imports name what ``source`` refers to; ``imported``, the
    same names already read (:func:`names_imported`), spares reading the context once per cell.
    Code too deeply nested for the parser counts as a construct: what cannot be read is not
    trusted."""
    found: list[tuple[int, str]] = []
    python = []
    for number, line in enumerate(source.split("\n"), 1):
        magic = line.lstrip().startswith(("%", "!"))
        if magic and not line.lstrip().startswith("%matplotlib"):
            found.append((number, "an IPython magic or shell command"))
        python.append("" if magic else line)
    known = names_imported(context) if imported is None else imported
    try:
        tree = _parse("\n".join(python), source)
        aliases = {**known, **_aliases(tree)}
        for node in ast.walk(tree):
            found += [(getattr(node, "lineno", 0), what) for what in _check(node, aliases)]
    except SyntaxError:
        return found  # neither Python nor IPython can run it: the kernel reports the error
    except (RecursionError, MemoryError, ValueError):
        found.append((1, UNREADABLE))
    return sorted(set(found))


UNREADABLE = "code nested too deeply for the grader to read"


def parse(cell: str) -> ast.Module:
    """A cell's code as IPython runs it (an indented cell dedented, magics as calls)."""
    return _parse(cell, cell)


def _parse(code: str, cell: str) -> ast.Module:
    """``code`` parsed as Python; where it does not parse, as IPython would run the ``cell``
    (IPython dedents a cell whose first line is indented, which Python refuses)."""
    try:
        return ast.parse(code)
    except SyntaxError:
        try:
            from IPython.core.inputtransformer2 import TransformerManager
        except ImportError:
            return ast.parse(textwrap.dedent(code))
        return ast.parse(TransformerManager().transform_cell(cell))


def names_imported(code: str) -> dict[str, str]:
    """The imports of ``code`` (cells joined; magics and cells that do not parse are skipped)."""
    return imports_of(code.split(CELL_SEPARATOR))


def imports_of(sources: Iterable[str]) -> dict[str, str]:
    """The imports of the cells ``sources``, read once for a whole notebook (magics and cells
    that do not parse are skipped)."""
    names: dict[str, str] = {}
    for cell in sources:
        lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in cell.split("\n")]
        try:
            names.update(_aliases(ast.parse("\n".join(lines))))
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            continue
    return names


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> the module (or module member) it was imported as."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                names[a.asname or top] = a.name if a.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """``torch.nn.functional.conv2d`` for an attribute chain rooted in an imported name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _imports(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        modules = full = [a.name for a in node.names]
    else:
        modules = [node.module or ""]
        full = [f"{node.module}.{a.name}" for a in node.names]
    bad = [m for m in modules if m.split(".")[0] not in IMPORTS or _forbidden(m)]
    bad += [m for m in full if _forbidden(m)]
    return [f"imports {bad[0]}"] if bad else []


def _check(node: ast.AST, aliases: dict[str, str]) -> list[str]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return _imports(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _reach(node, aliases)
    if isinstance(node, ast.Name) and node.id in DYNAMIC:
        return [f"uses {node.id}"]
    if isinstance(node, ast.Attribute):
        if node.attr in ATTRIBUTES:
            return [f"uses .{node.attr}"]
        name = _dotted(node, aliases)
        return [f"uses {name}"] if name is not None and _forbidden(name) else []
    if isinstance(node, ast.keyword):
        value = getattr(node.value, "value", None)
        return [f"loads with {node.arg}={value}"] if (node.arg, value) in UNSAFE_KEYWORDS else []
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        return [f"changes {ast.unparse(t)}" for t in targets if _writes_outside(t, aliases)]
    if isinstance(node, ast.Global | ast.Nonlocal) and "GRADER" in node.names:
        return ["rebinds GRADER"]
    return []


REACH = {"getattr", "hasattr"}
"""Calls that reach an attribute by a name given as a value."""


def _reach(call: ast.Call, aliases: dict[str, str]) -> list[str]:
    """``getattr(obj, name)``: a name that is not written out (``"tb_" + "frame"``) could be
    any attribute, so it is a finding (what cannot be read is not trusted); a written-out name
    is held to the rules of an attribute written with a dot."""
    if call.func.id not in REACH or len(call.args) < 2:
        return []
    name = call.args[1]
    if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
        return [f"uses {call.func.id} with a computed attribute name"]
    if name.value in ATTRIBUTES:
        return [f"uses .{name.value}"]
    base = _dotted(call.args[0], aliases)
    dotted = f"{base}.{name.value}" if base is not None else None
    return [f"uses {dotted}"] if dotted is not None and _forbidden(dotted) else []


def _writes_outside(target: ast.expr, aliases: dict[str, str]) -> bool:
    """An attribute written on something the student's code does not own: an imported module
    or a class in it (``torch.allclose = ...``, ``nn.Module.__call__ = ...``), or an object
    reached through a call or a subscript (``sys.modules["torch"].x = ...``)."""
    if isinstance(target, ast.Tuple | ast.List):
        return any(_writes_outside(t, aliases) for t in target.elts)
    if isinstance(target, ast.Starred):
        return _writes_outside(target.value, aliases)
    if not isinstance(target, ast.Attribute):
        return False
    name = _dotted(target, aliases)
    if name is not None:
        return not name.startswith(WRITABLE)
    base = target.value
    while isinstance(base, ast.Attribute):
        base = base.value
    return isinstance(base, ast.Call | ast.Subscript)
