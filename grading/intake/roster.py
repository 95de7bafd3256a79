"""The class roster: who is enrolled, and which submission belongs to whom.

The roster is optional. It is a CSV file with one row per student and (at least) these columns::

    student_id,name,email,lms_id
    2024001,김민준,minjun.kim@univ.ac.kr,48213
    2024002,Lee Seo-yeon,seoyeon.lee@univ.ac.kr,48214

saved as UTF-8, with or without the byte-order mark Excel writes ("CSV UTF-8"). Column names
are matched case-insensitively; other columns are ignored. ``student_id`` is the university's
student number and must be unique; ``email`` and ``lms_id`` (the LMS's own user id, e.g.
Canvas's "ID") may be empty but, where given, are unique too. Names may repeat.

A submission's student id (the intake's, NFC-normalised, e.g. ``김민준`` or ``Kim_Minjun``)
is matched against the roster in three steps, and the first step that finds anyone decides:

1. the roster's ``student_id``;
2. the ``name``;
3. the local part of the ``email`` (``minjun.kim`` for ``minjun.kim@univ.ac.kr``).

Every comparison is on NFC-normalised, case-folded text in which spaces and underscores are the
same and runs of them count once (``Kim_Minjun`` = ``kim minjun``). One student found: matched.
Several (two students named 김민준): ambiguous, reported with the candidates. None: unknown.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("student_id", "name", "email", "lms_id")
"""The columns a roster must have, in the documented order."""


class RosterError(ValueError):
    """A roster that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    student_id: str
    name: str
    email: str
    lms_id: str
    line: int
    """The line of the roster file this student is on (1 is the header)."""


@dataclass(frozen=True)
class Match:
    """What the roster says about one submission's student id."""

    submission: str
    candidates: tuple[Student, ...]
    """Everyone the deciding step found: one when matched, several when ambiguous, or none."""
    by: str | None = None
    """The step that decided: ``"student id"``, ``"name"`` or ``"e-mail"``; None if unknown."""

    @property
    def student(self) -> Student | None:
        """The one student this submission belongs to, or None (unknown or ambiguous)."""
        return self.candidates[0] if len(self.candidates) == 1 else None

    @property
    def ambiguous(self) -> bool:
        """True when the deciding step found more than one student."""
        return len(self.candidates) > 1


@dataclass
class Matching:
    """The submissions of one batch set against the roster."""

    matched: dict[str, Student] = field(default_factory=dict)
    """Submission id -> its student."""
    ambiguous: dict[str, tuple[Student, ...]] = field(default_factory=dict)
    """Submission id -> the students it could belong to."""
    unknown: list[str] = field(default_factory=list)
    """Submission ids that match no one on the roster."""
    shared: dict[str, list[str]] = field(default_factory=dict)
    """Roster student id -> the submission ids (two or more) that all matched that student."""
    missing: list[Student] = field(default_factory=list)
    """Students on the roster whom no submission matched: they did not submit."""

    def notes(self) -> list[str]:
        """One readable line per problem, for the CSV's notes and the batch's output."""
        lines = [
            f"{sub}: matches several students on the roster ({_who(c)}); "
            "rename the file to the student id"
            for sub, c in sorted(self.ambiguous.items())
        ]
        lines += [f"{sub}: not on the roster" for sub in self.unknown]
        lines += [
            f"{', '.join(subs)}: all match {_who([self.matched[subs[0]]])}"
            for _, subs in sorted(self.shared.items())
        ]
        if self.missing:
            lines.append(f"did not submit: {_who(self.missing)}")
        return lines


def _who(students: Iterable[Student]) -> str:
    return ", ".join(f"{s.name} ({s.student_id})" for s in students)


_SEPARATORS = re.compile(r"[\s_]+")


def key(text: str) -> str:
    """The form in which ids, names and e-mail local parts are compared: NFC, case-folded,
    spaces and underscores as one space, no space at either end."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return _SEPARATORS.sub(" ", folded).strip()


@dataclass(frozen=True)
class Roster:
    """A roster file, read and checked."""

    path: Path
    students: tuple[Student, ...]

    def match(self, submission: str) -> Match:
        """The roster's verdict on one submission's student id (see the module's docstring)."""
        wanted = key(submission)
        steps = (
            ("student id", lambda s: s.student_id),
            ("name", lambda s: s.name),
            ("e-mail", lambda s: s.email.rpartition("@")[0] if "@" in s.email else ""),
        )
        for by, field_of in steps:
            found = tuple(s for s in self.students if field_of(s) and key(field_of(s)) == wanted)
            if found:
                return Match(submission, found, by)
        return Match(submission, ())

    def match_all(self, submissions: Iterable[str]) -> Matching:
        """Match every submission id of a batch, and list the students who did not submit."""
        result = Matching()
        claims: dict[str, list[str]] = {}
        for sub in sorted(set(submissions)):
            found = self.match(sub)
            if found.student is not None:
                result.matched[sub] = found.student
                claims.setdefault(found.student.student_id, []).append(sub)
            elif found.ambiguous:
                result.ambiguous[sub] = found.candidates
            else:
                result.unknown.append(sub)
        result.shared = {sid: subs for sid, subs in claims.items() if len(subs) > 1}
        result.missing = [s for s in self.students if s.student_id not in claims]
        return result


def load(path: Path | str) -> Roster:
    """Read and check a roster CSV; a malformed one raises RosterError naming file and line."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"{path}: no such roster file") from None
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise RosterError(
            f"{path}, line {line}: not UTF-8 text; in Excel save it as 'CSV UTF-8 (Comma "
            "delimited)' (Korean Excel's plain 'CSV' is CP949)"
        ) from None
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise RosterError(f"{path}, line 1: the roster is empty; expected {','.join(COLUMNS)}")
        names = [h.strip().casefold() for h in header]
        absent = [c for c in COLUMNS if c not in names]
        if absent:
            raise RosterError(
                f"{path}, line 1: missing column{'s' if len(absent) > 1 else ''} "
                f"{', '.join(absent)}; expected the columns {','.join(COLUMNS)}"
            )
        repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
        if repeated:
            raise RosterError(f"{path}, line 1: column {', '.join(repeated)} appears twice")
        where = {c: names.index(c) for c in COLUMNS}
        students: list[Student] = []
        seen: dict[tuple[str, str], int] = {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line, as spreadsheets leave at the end
            if len(row) != len(header):
                raise RosterError(
                    f"{path}, line {line}: {len(row)} fields where the header has "
                    f"{len(header)} (a comma in a name needs quotes)"
                )
            values = {c: unicodedata.normalize("NFC", row[i].strip()) for c, i in where.items()}
            if not values["student_id"]:
                raise RosterError(f"{path}, line {line}: no student_id")
            for column in ("student_id", "email", "lms_id"):
                value = key(values[column])
                if not value:
                    continue
                if (column, value) in seen:
                    raise RosterError(
                        f"{path}, line {line}: duplicate {column} {values[column]!r} "
                        f"(already on line {seen[column, value]})"
                    )
                seen[column, value] = line
            students.append(Student(**values, line=line))
    except csv.Error as err:
        raise RosterError(
            f"{path}, line {reader.line_num}: not valid CSV ({err}; a quote left open?)"
        ) from None
    return Roster(path, tuple(students))
