"""Due dates and late penalties, set per assignment in nbgrader_config.py.

``DEADLINES = {"a1_cnn": {"due": "2026-10-09T23:59:00+09:00", "penalty_per_day": 10,
"cutoff_days": 3}}``: a submission late by any part of a day loses ``penalty_per_day`` percent
of its score per started day; one later than ``cutoff_days`` scores 0. Without an entry an
assignment has no deadline. ``"graded": "last"`` grades the last submission even when it is
late; the default grades the last one before the deadline where there is one.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from grading import course


@dataclass(frozen=True)
class Deadline:
    due: dt.datetime
    penalty_per_day: float = 0.0
    cutoff_days: float | None = None
    graded: str = "last_on_time"


def parse_time(text: str) -> dt.datetime:
    """An ISO time; without a zone it is UTC."""
    when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" UTC", ""))
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def deadline(assignment: str) -> Deadline | None:
    """The assignment's deadline from nbgrader_config.py, or None."""
    entry = course.config_entry("DEADLINES", assignment)
    if entry is None:
        return None
    try:
        when = parse_time(entry["due"])
    except (KeyError, ValueError) as err:
        raise SystemExit(
            f"nbgrader_config.py: DEADLINES[{assignment!r}]: bad 'due' ({err})"
        ) from None
    if entry.get("graded", "last_on_time") not in ("last_on_time", "last"):
        raise SystemExit(f"nbgrader_config.py: DEADLINES[{assignment!r}]['graded'] must be "
                         "'last_on_time' or 'last'")  # fmt: skip
    return Deadline(when, float(entry.get("penalty_per_day", 0)), entry.get("cutoff_days"),
                    entry.get("graded", "last_on_time"))  # fmt: skip


def late_by(rule: Deadline | None, submitted: dt.datetime) -> dt.timedelta:
    """How late ``submitted`` is (zero when on time or without a deadline)."""
    if rule is None:
        return dt.timedelta(0)
    return max(dt.timedelta(0), submitted - rule.due)


def penalty(rule: Deadline | None, submitted: dt.datetime, score: float) -> float:
    """Points taken off ``score`` for lateness."""
    late = late_by(rule, submitted)
    if rule is None or late <= dt.timedelta(0):
        return 0.0
    days = late.total_seconds() / 86400
    if rule.cutoff_days is not None and days > rule.cutoff_days:
        return score
    return round(min(score, score * rule.penalty_per_day / 100 * math.ceil(days)), 2)


def describe(rule: Deadline | None, submitted: dt.datetime) -> str:
    """``on time`` or ``late by 1 d 03 h 20 min`` (or ``after the cut-off``)."""
    late = late_by(rule, submitted)
    if late <= dt.timedelta(0):
        return "on time"
    minutes = int(late.total_seconds() // 60)
    text = f"late by {minutes // 1440} d {minutes // 60 % 24:02d} h {minutes % 60:02d} min"
    if rule is not None and rule.cutoff_days is not None:
        if late.total_seconds() / 86400 > rule.cutoff_days:
            text += " (after the cut-off: scores 0)"
    return text


def banner(rule: Deadline | None, submitted: dt.datetime) -> str:
    """The first line of a student's feedback: when it was submitted, and how late."""
    text = f"**Submitted** {submitted:%Y-%m-%d %H:%M %Z}: {describe(rule, submitted)}."
    if rule is not None and late_by(rule, submitted) > dt.timedelta(0):
        text += f" Late penalty: {rule.penalty_per_day:g} % of the score per started day"
        if rule.cutoff_days is not None:
            text += f", 0 after {rule.cutoff_days:g} days"
        text += "; the score above is after the penalty."
    return text
