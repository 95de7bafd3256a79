"""The load benchmark of ``make timings`` (tests/timings_load.py): its table, its busy process and
its CPU clock, on made-up runs and one tiny notebook (no chapter is executed here)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat

from tests import timings_load
from tests.timings_load import Run

QUIET = Path("book/01_introduction.ipynb")
COLLAPSED = Path("book/05_rnn.ipynb")
SLOW = Path("book/07_gpt_siblings.ipynb")


def test_table_shows_both_columns_the_ratio_and_names_what_is_out_of_bounds():
    text = timings_load.table(
        {
            QUIET: (Run(10.0, 9.5), Run(13.0, 9.8)),
            COLLAPSED: (Run(20.0, 19.0), Run(200.0, 60.0)),
            SLOW: (Run(61.0, 60.0), Run(70.0, 61.0)),
        }
    )
    assert "| `book/01_introduction.ipynb` | 10.0 | 13.0 | 1.30 | 9.5 | 60 |" in text
    assert "| `book/05_rnn.ipynb` | 20.0 | 200.0 | 10.00 | 19.0 | 60 |" in text
    assert "Over the budget when quiet: book/07_gpt_siblings.ipynb." in text
    assert "More than 2 times slower beside a busy process: book/05_rnn.ipynb." in text


def test_table_says_none_when_every_chapter_is_within_bounds():
    text = timings_load.table({QUIET: (Run(10.0, 9.5), Run(19.9, 9.9))})
    assert "Over the budget when quiet: none." in text
    assert "beside a busy process: none." in text


def test_busy_process_keeps_a_core_busy_and_is_gone_afterwards():
    before = os.times()
    with timings_load.busy_process():
        time.sleep(0.5)
    spent = os.times().children_user - before.children_user
    assert spent > 0.3, f"the busy process used {spent:.2f} s of CPU in about 1 s"


def test_execute_reports_the_kernels_cpu_time(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import time\nend = time.process_time() + 1.0\n"
                                         "while time.process_time() < end:\n    pass")]
    )  # fmt: skip
    nbformat.write(nb, tmp_path / "spin.ipynb")
    monkeypatch.setattr(timings_load, "ROOT", tmp_path)
    run = timings_load.execute(Path("spin.ipynb"))
    assert run.cpu >= 1.0, run
    assert run.wall >= 1.0, run  # one thread spun for 1 s of CPU time
