"""Student ids from file and folder names, in any script, never a crash.

A name from Colab or an LMS (``김민준.ipynb``, ``Lee Seul-Bi (2).ipynb``) becomes an id that is
safe as a folder name and the same however the name was encoded: NFC-normalised, white space as
``_``, letters and digits of any script kept. Two names that give one id, or ids that differ only
in case (one folder on macOS), are a collision: reported, and neither is graded until renamed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.-]+")


def student_id(name: str) -> str:
    """The id of the student named ``name`` (a file stem or a folder name)."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip("._")
    if not cleaned:
        raise ValueError(f"cannot make a student id from {name!r}")
    return cleaned


@dataclass
class Found:
    """What is in an inbox: submissions by student id, and what cannot be graded."""

    by_student: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def identify(items: list[tuple[str, Path]]) -> Found:
    """Ids for ``(name, path)`` pairs; every problem is reported, nothing raises."""
    found, claims = Found(), {}
    for name, path in items:
        try:
            sid = student_id(name)
        except ValueError as err:
            found.problems.append(f"{path.name}: not graded: {err}; rename the file")
            continue
        claims.setdefault(sid.casefold(), []).append((sid, path))
    for claimants in claims.values():
        if len(claimants) > 1:
            names = ", ".join(sorted(str(p) for _, p in claimants))
            found.problems.append(
                f"{names} give the same student id {claimants[0][0]!r}; none of them is "
                "graded until all but one are renamed"
            )
        else:
            sid, path = claimants[0]
            found.by_student[sid] = path
    return found
