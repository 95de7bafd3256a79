"""Each student's history of versions: ordered by the time they were submitted, whatever the zone
their time was written in, so that the version graded is the right one."""

from __future__ import annotations

import datetime as dt

import pytest

from grading import course
from grading.intake import deadlines, history

UTC = dt.timezone.utc
SEOUL = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "ROOT", tmp_path)
    return tmp_path


def submit(folder, text: str, when: dt.datetime) -> None:
    path = folder / f"{text}.ipynb"
    path.write_text(text)
    assert history.add("kim", "a1_cnn", path, when)


def test_versions_are_ordered_by_time_not_by_how_the_time_is_written(scratch):
    late = dt.datetime(2026, 10, 9, 20, 0, tzinfo=UTC)  # "…T20:00:00+00:00"
    early = dt.datetime(2026, 10, 9, 23, 0, tzinfo=SEOUL)  # 14:00 UTC, but "…T23:00:00+09:00"
    submit(scratch, "late", late)
    submit(scratch, "early", early)
    found = history.versions("kim", "a1_cnn")
    assert [v.submitted_at for v in found] == [early, late]
    stored = history.load("kim", "a1_cnn")["versions"]
    assert [deadlines.parse_time(v["submitted_at"]) for v in stored] == [early, late]


def test_the_last_version_before_the_deadline_is_graded_across_zones(scratch):
    due = dt.datetime(2026, 10, 9, 18, 0, tzinfo=UTC)
    submit(scratch, "on-time", dt.datetime(2026, 10, 9, 23, 0, tzinfo=SEOUL))  # 14:00 UTC
    submit(scratch, "late", dt.datetime(2026, 10, 9, 20, 0, tzinfo=UTC))
    on_time = history.chosen("kim", "a1_cnn", deadlines.Deadline(due))
    last = history.chosen("kim", "a1_cnn", deadlines.Deadline(due, graded="last"))
    assert on_time.submitted_at == dt.datetime(2026, 10, 9, 14, 0, tzinfo=UTC)
    assert last.submitted_at == dt.datetime(2026, 10, 9, 20, 0, tzinfo=UTC)
    assert isinstance(last, history.Version) and last.submitted_at.tzinfo is not None
