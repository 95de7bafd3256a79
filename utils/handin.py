"""Check before you submit: what the grader will do differently with your notebook.

The grader runs the notebook you hand in from top to bottom in a fresh kernel, puts back the
graded cells you deleted or edited, and scores 0 every test after a cell that breaks its rules
(:mod:`utils.policy`). This check tells you all that before you submit, in plain words.

In the notebook, the last cell runs ``check("a1_cnn")``: in Colab it reads the notebook as it is
open in the browser (what *File > Download .ipynb* saves), in Jupyter the saved file. On a
downloaded file, from a terminal::

    python -m utils.handin a1_cnn.ipynb            # add --no-run to skip the fresh run

The fresh run takes as long as running the whole notebook. The check changes nothing and sends
nothing anywhere; hidden tests are not part of it, so passing it does not promise full marks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from utils import handin_checks
from utils.handin_checks import Item


@dataclass
class Report:
    """What the check found in one notebook."""

    assignment: str
    source: str
    """Where the notebook was read from."""
    items: list[Item] = field(default_factory=list)
    visible: dict[str, bool] | None = None
    """Each visible test's result in the fresh run (None: not run)."""
    seconds: float | None = None
    points: dict[str, float] = field(default_factory=dict)

    @property
    def zeroed(self) -> list[str]:
        """The tests the grader scores 0 whatever the answers are (in notebook order)."""
        costs = {gid for item in self.items for gid in item.costs}
        return [gid for gid in self.points if gid in costs]

    def text(self) -> str:
        lines = [f"Check before you submit: {self.assignment}, read from {self.source}."]
        if not self.items:
            lines.append("The grader will grade this notebook as you see it: nothing found.")
        for item in self.items:
            where = f"{item.where}: " if item.where else ""
            lines.append(f"- {where}{item.what}")
        if self.visible is not None:
            passed = sum(self.visible.values())
            lines.append(f"Fresh run, top to bottom, in {self.seconds:.0f} s: {passed} of "
                         f"{len(self.visible)} visible tests pass.")  # fmt: skip
        if self.zeroed:
            lost = sum(self.points[g] for g in self.zeroed)
            lines.append(f"These tests score 0 as the notebook stands ({lost:g} of "
                         f"{sum(self.points.values()):g} test points): "
                         + ", ".join(self.zeroed) + ".")  # fmt: skip
        lines.append("Hidden tests are not part of this check: they grade your answers further.")
        return "\n".join(lines)


def check_notebook(nb: dict, assignment: str, source: str, *, run: bool = True,
                   folder: Path | None = None) -> Report:  # fmt: skip
    """Check the notebook ``nb`` (as JSON) of ``assignment``; ``run`` adds the fresh run."""
    cells = handin_checks.release(assignment)
    report = Report(assignment, source, points={
        e["grade_id"]: e["points"] for e in cells if e["kind"] == "test"})  # fmt: skip
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        report.items.append(Item("empty", "", "this is not a notebook the grader can read: "
                                 "it scores 0", list(report.points)))  # fmt: skip
        return report
    if not any(c.get("source") for c in nb["cells"]):
        report.items.append(Item("empty", "", "the notebook is empty: it scores 0",
                                 list(report.points)))  # fmt: skip
        return report
    report.items += handin_checks.structure(nb, cells)
    report.items += handin_checks.policy(nb)
    report.items += handin_checks.order(nb)
    report.items.sort(key=_position)
    answers = [e for e in cells if e["kind"] == "answer" and e["cell_type"] == "code"]
    unanswered = {i.what.split("'")[1] for i in report.items if i.kind == "unanswered"}
    if answers and all(e["grade_id"] in unanswered for e in answers):
        empty = "no answer differs from the release: is this the notebook you worked in, saved?"
        report.items.insert(0, Item("empty", "", empty))
    if run:
        print("Running a copy of the notebook from top to bottom in a fresh kernel, as the grader "
              "does (this takes as long as Run all) ...", flush=True)  # fmt: skip
        failed, report.visible, report.seconds = handin_checks.run_fresh(nb, folder or Path.cwd())
        report.items += failed
    return report


def _position(item: Item) -> int:
    """Where an item stands in the notebook, for a report in notebook order (-1: no cell)."""
    found = re.match(r"cells? (\d+)", item.where)
    return int(found.group(1)) if found else -1


def _in_colab() -> dict | None:
    """The notebook as open in Colab's browser tab, or None outside Colab."""
    if "google.colab" not in sys.modules:
        return None
    from google.colab import _message

    reply = _message.blocking_request("get_ipynb", timeout_sec=60)
    return reply["ipynb"] if reply else None


def _shell():
    """The IPython shell this runs in, or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _notebook_file() -> Path | None:
    """The file of the notebook this kernel runs, where Jupyter or VS Code says it."""
    shell = _shell()
    names = getattr(shell, "user_ns", {})
    for candidate in (names.get("__session__"), names.get("__vsc_ipynb_file__"),
                      os.environ.get("JPY_SESSION_NAME")):  # fmt: skip
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate)
    return None


def _unsaved(nb: dict) -> Item | None:
    """An item when this kernel ran code that the saved file does not hold (not saved yet)."""
    history = getattr(_shell(), "user_ns", {}).get("In", [])
    saved = {"".join(c.get("source", "")).strip() for c in nb["cells"]}
    ran = [src.strip() for src in history[-30:-1] if src.strip() and "utils.handin" not in src]
    missing = [src for src in ran if src not in saved and not src.startswith(("%", "!"))]
    if not missing:
        return None
    return Item("unsaved", "", "the saved file is older than what you ran (the last cells you ran "
                "are not in it): save (Ctrl+S) and run this check again")  # fmt: skip


def check(assignment: str, path: str | os.PathLike | None = None, *, run: bool = True):
    """Check the notebook you will hand in for ``assignment`` and print what the grader will do
    differently; returns the :class:`Report` (None when the notebook cannot be found)."""
    nb, folder = _in_colab(), Path.cwd()
    source = "the notebook open in Colab"
    if nb is None:
        file = Path(path) if path is not None else _notebook_file()
        if file is None:
            print("This check cannot find the notebook's file here. Run it on the file you will "
                  f"hand in:  python -m utils.handin {assignment}.ipynb")  # fmt: skip
            return None
        nb, folder, source = _read(file), file.parent, str(file)
    report = check_notebook(nb, assignment, source, run=run, folder=folder)
    unsaved = _unsaved(nb) if path is None and "google.colab" not in sys.modules else None
    if unsaved is not None:
        report.items.insert(0, unsaved)
    print(report.text())
    return report


def _read(file: Path):
    try:
        return json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return {"error": f"{type(err).__name__}: {err}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.handin", description=__doc__.split(
        "\n")[0])  # fmt: skip
    parser.add_argument("notebook", type=Path, help="the .ipynb file you will hand in")
    parser.add_argument("--assignment", help="e.g. a1_cnn (default: the file's name)")
    parser.add_argument("--no-run", action="store_true", help="skip the fresh top-to-bottom run")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"{args.notebook}: no such file")
    known = json.loads(handin_checks.RELEASES.read_text())
    stem = args.notebook.stem  # "a1_cnn", or "Copy of a1_cnn" as Colab names a copy
    assignment = args.assignment or next((a for a in known if a in stem), stem)
    try:
        handin_checks.release(assignment)
    except ValueError as err:
        parser.error(f"{err}; name it with --assignment")
    nb = _read(args.notebook)
    report = check_notebook(nb, assignment, str(args.notebook), run=not args.no_run,
                            folder=args.notebook.resolve().parent)  # fmt: skip
    print(report.text())
    return 1 if report.zeroed else 0


if __name__ == "__main__":
    sys.exit(main())
