"""Every submission a student made, with its time, and what each grading run made of it.

``submitted/<student>/<assignment>.history/`` keeps each distinct version of a student's
notebook (``<time>-<hash>.ipynb``) and ``history.json``: the versions with their submission
times (the intake time, or nbgrader's ``timestamp.txt`` where the instructor trusts it: see
:mod:`grading.intake.collect`), the version last graded with the source it was graded against,
and the notes of every run. The version to grade is the last one before the deadline (or the
last one: see :mod:`grading.intake.deadlines`); it is graded again only when it, or the source
notebook, changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from grading import course
from grading.intake import deadlines


@dataclass(frozen=True)
class Version:
    """One distinct notebook a student submitted."""

    hash: str
    """SHA-256 of the file's bytes."""
    file: str
    """Its name in the history folder."""
    submitted_at: dt.datetime
    """When it was submitted (zone-aware)."""

    @classmethod
    def of(cls, entry: dict) -> Version:
        return cls(entry["hash"], entry["file"], deadlines.parse_time(entry["submitted_at"]))


def folder(student: str, assignment: str) -> Path:
    return course.paths().history(student, assignment)


def load(student: str, assignment: str) -> dict:
    path = folder(student, assignment) / "history.json"
    if not path.exists():
        return {"versions": [], "graded": None, "runs": []}
    return json.loads(path.read_text())


def save(student: str, assignment: str, record: dict) -> None:
    path = folder(student, assignment) / "history.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    tmp.replace(path)  # never half-written


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add(student: str, assignment: str, path: Path, when: dt.datetime | None) -> bool:
    """Keep ``path`` as a version of the student's submission; False if it is already kept.

    ``when`` is its submission time; None: now, the time it was taken in."""
    data = read_file(path)
    record, sha = load(student, assignment), digest(data)
    if any(v["hash"] == sha for v in record["versions"]):
        return False
    received = dt.datetime.now(dt.timezone.utc)
    when = when or received
    name = f"{when.strftime('%Y%m%dT%H%M%S')}-{sha[:10]}.ipynb"
    target = folder(student, assignment) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    record["versions"].append({
        "hash": sha, "file": name, "submitted_at": when.isoformat(),
        "received_at": received.isoformat(), "from": path.name,
    })  # fmt: skip
    record["versions"].sort(key=lambda v: deadlines.parse_time(v["submitted_at"]))
    save(student, assignment, record)
    return True


def read_file(path: Path) -> bytes:
    """The bytes of the regular file ``path``, never through a symbolic link (OSError)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(f"{path.name}: not a regular file")
        return file.read()


def timestamp_of(path: Path) -> dt.datetime | None:
    """nbgrader's ``timestamp.txt`` beside ``path``, if there is one, readable, and a file of
    its own (not a link)."""
    stamp = path.parent / "timestamp.txt"
    try:
        return deadlines.parse_time(read_file(stamp).decode()) if stamp.exists() else None
    except (OSError, ValueError):
        return None


def versions(student: str, assignment: str) -> list[Version]:
    """The student's versions in the order they were submitted (by time, whatever the zone)."""
    found = [Version.of(v) for v in load(student, assignment)["versions"]]
    return sorted(found, key=lambda v: v.submitted_at)


def chosen(student: str, assignment: str, rule: deadlines.Deadline | None) -> Version | None:
    """The version to grade: the last before the deadline where there is one, else the last."""
    found = versions(student, assignment)
    if not found:
        return None
    if rule is not None and rule.graded == "last_on_time":
        on_time = [v for v in found if v.submitted_at <= rule.due]
        if on_time:
            return on_time[-1]
    return found[-1]


def needs_grading(student: str, assignment: str, version: Version, source: str) -> bool:
    """True unless ``version`` was graded already against this ``source`` hash."""
    graded = load(student, assignment)["graded"]
    return graded is None or graded["hash"] != version.hash or graded["source"] != source


def install(student: str, assignment: str, version: Version) -> Path:
    """Put ``version`` where nbgrader grades it, with its ``timestamp.txt``."""
    target = course.paths().submitted(student, assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder(student, assignment) / version.file, target)
    stamp = version.submitted_at.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (target.parent / "timestamp.txt").write_text(stamp)
    course.paths().original(student, assignment).unlink(missing_ok=True)
    return target


def graded(student: str, assignment: str, version: Version, source: str, notes: list[str],
           seconds: float | None, gradable: bool = True) -> None:  # fmt: skip
    """Record that ``version`` was graded now (or found ungradable), with this run's notes."""
    record = load(student, assignment)
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    record["graded"] = {"hash": version.hash, "source": source, "notes": notes,
                        "seconds": seconds, "gradable": gradable, "at": now}  # fmt: skip
    record["runs"].append({"at": now, "hash": version.hash, "notes": notes})
    save(student, assignment, record)
