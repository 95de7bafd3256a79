"""The rules of *how* a part computes, checked on the source: the grader's, in public.

Some parts ask for an answer computed a certain way: a convolution from loops, not
``F.conv2d``; gradients from formulas, not autograd; a Gaussian's KL from its closed form, not
``torch.distributions``. What happens inside a student's kernel cannot prove such a rule (the
kernel belongs to the student's code, which can hide calls from any trace kept there), so the
grader reads the source, where nothing can hide: every attribute, imported name and written-out
``getattr`` name of a part's own cells that a rule forbids costs that part its points (its
answer cells, and any cell the student added that defines again a name they define). A helper in
another cell the student added may be what a part calls: a forbidden name there is reported for
a TA to review and costs nothing by itself. (Names reached by computed strings, dynamic code
or code that does not parse as written are findings of :mod:`utils.policy`, which cost every
later part.) The in-kernel call trace of the hidden tests stays as a second line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

from utils import graded, policy

NO_AUTOGRAD = r"^(backward|autograd|vjp|jvp|jacrev|jacfwd|vmap)$"
NO_ATTENTION = (r"scaled_dot_product", r"multi_?head", r"transformer")

RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "test_conv2d_naive": ("no convolution or unfold of PyTorch's", (r"conv", r"^unfold$")),
    "test_conv2d_im2col": ("no convolution of PyTorch's", (r"conv",)),
    "test_max_pool2d": ("no pooling of PyTorch's", (r"pool",)),
    "test_conv2d_backward": ("no convolution of PyTorch's and no autograd", (r"conv", NO_AUTOGRAD)),
    "test_rnn_forward": ("no recurrent layer of PyTorch's", (r"rnn",)),
    "test_lstm_cell": ("no LSTM of PyTorch's", (r"lstm",)),
    "test_scaled_dot_product_attention": ("no attention of PyTorch's", NO_ATTENTION),
    "test_multi_head_attention": ("no attention of PyTorch's", NO_ATTENTION),
    "test_transformer_block": ("no attention or Transformer layer of PyTorch's", NO_ATTENTION),
    "test_reparameterize": ("no torch.distributions", (r"^distributions$",)),
    "test_gaussian_kl": ("no torch.distributions", (r"^distributions$",)),
    "test_negative_elbo": ("no torch.distributions", (r"^distributions$",)),
}
"""Per graded test: what the part must do without, and the names (regular expressions, read
without regard to case) that break it."""


@dataclass(frozen=True)
class Broken:
    """A forbidden name in the source of a part, or of a cell the part may call."""

    test: str
    cell: int
    """Position of the cell in the notebook (from 0)."""
    line: int
    name: str
    costs: bool
    """True: in the part's own answer cell (the part scores 0); False: in a cell the student
    added (for a TA to review)."""


def names(code: str) -> list[tuple[int, str]]:
    """(line, name) of every attribute, imported name and written-out ``getattr`` name of
    ``code`` (as IPython runs it); none where it does not parse."""
    try:
        tree = policy.parse(code)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for part in [*modules, *(a.name for a in node.names)]:
                found += [(node.lineno, piece) for piece in part.split(".") if piece]
        elif (name := _written_out(node)) is not None:
            found.append((node.lineno, name))
    return found


def _written_out(node: ast.AST) -> str | None:
    """The attribute name of ``getattr(obj, "name")`` (or ``hasattr``), written out."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id not in ("getattr", "hasattr") or len(node.args) < 2:
        return None
    name = node.args[1]
    return name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else None


def _defines(code: str) -> set[str]:
    """The names that ``code`` defines at its top level (functions, classes, assignments)."""
    try:
        tree = policy.parse(code)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return set()
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return found


def broken(nb: Mapping) -> list[Broken]:
    """Every forbidden name of :data:`RULES` in ``nb``: in a part's own cells (its answer cells,
    those after the previous test cell, and any cell the student added that defines a name they
    define, wherever it is), or in any other cell the student added (for review)."""
    cells, found, start = nb["cells"], [], 0
    added = [
        i for i, c in enumerate(cells) if graded.is_student_code(c) and not graded.is_answer(c)
    ]
    for i, cell in enumerate(cells):
        if not graded.is_test(cell):
            continue
        test = graded.grade_id(cell) or ""
        if test in RULES:
            own = [j for j in range(start, i) if graded.is_answer(cells[j])]
            defined = {n for j in own for n in _defines(graded.source(cells[j]))}
            own += [j for j in added if defined & _defines(graded.source(cells[j]))]
            patterns = [re.compile(p, re.IGNORECASE) for p in RULES[test][1]]
            for j in own + [j for j in added if j not in own]:
                for line, name in names(graded.source(cells[j])):
                    if any(p.search(name) for p in patterns):
                        found.append(Broken(test, j, line, name, j in own))
        start = i + 1
    return found


def message(b: Broken) -> str:
    """What the CSV, the feedback and the check before submitting say of ``b``."""
    rule = RULES[b.test][0]
    if b.costs:
        return (f"cell {b.cell + 1}, line {b.line} uses {b.name}, and {b.test} is computed with "
                f"{rule}: this part scores 0")  # fmt: skip
    return (f"cell {b.cell + 1} (a cell you added), line {b.line} uses {b.name}, and {b.test} is "
            f"computed with {rule}: for a TA to review in case the part calls it, no points "
            "taken")  # fmt: skip
