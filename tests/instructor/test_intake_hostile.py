"""Intake against hostile inboxes: names that drive the terminal, links into the course, and a
``timestamp.txt`` that a student wrote. Nothing here runs a kernel."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import nbformat
import pytest

from grading import course
from grading.intake import collect, deadlines, history, terminal
from tests.instructor.test_nbgrader_pipeline import A1, COURSE, release_nb, secret_lines

FORGED = "2001-10-09 10:00:00.000000 UTC"  # 25 years before the term
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """grading.course pointed at an empty scratch folder, with an empty inbox."""
    monkeypatch.setattr(course, "ROOT", tmp_path)
    (tmp_path / "inbox").mkdir()
    return tmp_path


def honest(inbox, name: str = "honest") -> None:
    nbformat.write(release_nb(), inbox / f"{name}.ipynb")


def everything_kept(root) -> str:
    """The text of every file intake wrote (histories, notebooks, records)."""
    files = sorted(p for p in (root / "submitted").rglob("*") if p.is_file())
    return "\n".join(p.read_text(errors="replace") for p in files)


# --- control characters ---------------------------------------------------------------------


def test_control_characters_are_written_out_and_text_is_kept():
    assert terminal.safe("a\x1b]0;pwned\x07b") == "a\\x1b]0;pwned\\x07b"
    assert terminal.safe("\x1b[2J\r\x9b1m") == "\\x1b[2J\\x0d\\x9b1m"
    assert terminal.safe("evil\u202egnp.ipynb\u2066") == "evil\\u202egnp.ipynb\\u2066"
    kept = "김민준\tLee Seo-yeon\n(2) é ∑"
    assert terminal.safe(kept) == kept
    once = terminal.safe("x\x1b[31m")
    assert terminal.safe(once) == once  # printing a note twice escapes it once


def test_file_names_that_drive_the_terminal_reach_it_written_out(scratch):
    inbox = scratch / "inbox"
    honest(inbox)
    (inbox / "title\x1b]0;pwned\x07.txt").write_text("not a notebook")
    (inbox / "clear\x1b[2J").mkdir()
    honest(inbox, "twin\u202e")  # gives the id 'twin', as the next one does
    honest(inbox, "twin")
    students, problems = collect.collect(A1, inbox)
    assert students == ["honest"]
    assert not [p for p in problems if any(c in p for c in RAW)], problems
    text = "\n".join(problems)
    assert "title\\x1b]0;pwned\\x07.txt: ignored (not a notebook)" in text
    assert "clear\\x1b[2J: ignored (a folder without" in text
    assert "twin\\u202e.ipynb" in text and "same student id" in text


# --- links ----------------------------------------------------------------------------------


def test_links_into_the_course_are_reported_and_never_read(scratch, tmp_path_factory):
    solution = COURSE.source(A1)
    outside = tmp_path_factory.mktemp("outside")
    (outside / A1).mkdir()
    shutil.copy(solution, outside / A1 / f"{A1}.ipynb")
    inbox = scratch / "inbox"
    honest(inbox)
    (inbox / "flat.ipynb").symlink_to(solution)  # a link to the solution notebook
    (inbox / "folder").symlink_to(outside, target_is_directory=True)  # a link to a folder
    (inbox / "middle").mkdir()
    (inbox / "middle" / A1).symlink_to(solution.parent, target_is_directory=True)
    (inbox / "inner" / A1).mkdir(parents=True)
    (inbox / "inner" / A1 / f"{A1}.ipynb").symlink_to(solution)
    students, problems = collect.collect(A1, inbox)
    assert students == ["honest"]
    assert sorted(p for p in problems if "symbolic link" in p) == [
        "flat.ipynb: ignored (a symbolic link)",
        "folder: ignored (a symbolic link)",
        f"inner/{A1}/{A1}.ipynb: ignored (a symbolic link)",
        f"middle/{A1}: ignored (a symbolic link)",
    ]
    kept = everything_kept(scratch) + "\n".join(problems)
    assert [line for line in secret_lines(A1, ("solution",)) if line in kept] == []


def test_a_hard_link_and_a_link_placed_in_submitted_are_refused(scratch):
    inbox = scratch / "inbox"
    honest(inbox)
    copy = scratch / "elsewhere.ipynb"
    shutil.copy(COURSE.source(A1), copy)
    os.link(copy, inbox / "twice.ipynb")
    placed = scratch / "submitted" / "placed" / A1
    placed.mkdir(parents=True)
    (placed / f"{A1}.ipynb").symlink_to(COURSE.source(A1))
    students, problems = collect.collect(A1, inbox)
    assert students == ["honest"]
    assert "twice.ipynb: ignored (a hard link: the file has another name)" in problems
    assert f"placed/{A1}/{A1}.ipynb: ignored (a symbolic link)" in problems


def test_the_history_never_reads_through_a_link(tmp_path):
    target = tmp_path / "secret.ipynb"
    target.write_text("{}")
    (tmp_path / "link.ipynb").symlink_to(target)
    with pytest.raises(OSError):
        history.read_file(tmp_path / "link.ipynb")
    assert history.read_file(target) == b"{}"


# --- the time of a submission ---------------------------------------------------------------


def stamped(inbox, student: str, stamp: str):
    folder = inbox / student / A1
    folder.mkdir(parents=True)
    nbformat.write(release_nb(), folder / f"{A1}.ipynb")
    (folder / "timestamp.txt").write_text(stamp)
    return folder


def test_a_forged_timestamp_is_ignored_and_the_intake_time_decides(scratch):
    stamped(scratch / "inbox", "kim", FORGED)
    before = dt.datetime.now(dt.timezone.utc)
    students, problems = collect.collect(A1, scratch / "inbox")
    after = dt.datetime.now(dt.timezone.utc)
    (version,) = history.versions("kim", A1)
    assert students == ["kim"] and before <= version.submitted_at <= after
    rule = deadlines.Deadline(before - dt.timedelta(days=1), 10, 3)  # due yesterday
    assert deadlines.describe(rule, version.submitted_at).startswith("late by 1 d")
    assert any("1 timestamp.txt ignored" in p and "--trust-timestamps" in p for p in problems)


def test_a_timestamp_of_nbgraders_exchange_is_honoured_when_trusted(scratch):
    folder = stamped(scratch / "inbox", "kim", FORGED)
    link = stamped(scratch / "inbox", "lee", FORGED) / "timestamp.txt"
    link.unlink()
    link.symlink_to(folder / "timestamp.txt")  # a link is never read, trusted or not
    now = dt.datetime.now(dt.timezone.utc)
    students, problems = collect.collect(A1, scratch / "inbox", trust_timestamps=True)
    assert students == ["kim", "lee"] and not any("ignored" in p for p in problems)
    (kim,) = history.versions("kim", A1)
    (lee,) = history.versions("lee", A1)
    assert kim.submitted_at == deadlines.parse_time(FORGED) and lee.submitted_at >= now
    rule = deadlines.Deadline(now - dt.timedelta(days=1), 10, 3)
    assert deadlines.describe(rule, kim.submitted_at) == "on time"
