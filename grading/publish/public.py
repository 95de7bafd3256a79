"""The public repository: a standalone, student-facing copy of this one (``make public``).

It holds the book, the released assignments, ``utils`` and the tests that concern them, with a
README and a Makefile of its own (from ``grading/publish/template/``). It never holds
``solutions/``, hidden tests, grading tools or tests, a gradebook or student work, and every file
of it is scanned for fragments of solutions and hidden tests (``grading.publish.fragments``)
before it is left in place or pushed. Its notebooks are the Colab views of this repository's
(``export.colab``: citations, figures and the rest of MyST as Colab renders them), and each must
install ``utils`` from the release tag of ``_config.yml`` (``repository.release``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import yaml

from export import colab, conventions
from grading import course
from grading.publish import fragments

INSTRUCTOR_ONLY = ("solutions/", "grading/", "tests/instructor/", "nbgrader_config.py",
                   "GRADING_TIMINGS.md")  # fmt: skip
"""The source notebooks with solutions and hidden tests, the tools and tests that read them,
and the grading benchmark's table."""

SUBMISSION_DIRS = ("inbox", "submitted", "autograded", "feedback", "grades", "downloaded")
"""Every folder where student work can be put: nbgrader's, and the README's example ``inbox``."""

TEMPLATE = Path(__file__).resolve().parent / "template"
FROM_TEMPLATE = ("README.md", "Makefile")
"""The files the copy gets from ``TEMPLATE`` instead of this repository's own."""

INSTRUCTOR_KEY = "instructor_repository"
"""The entry of ``_config.yml`` that names the private repository; the copy leaves it out."""


def tracked_files() -> list[str]:
    """The repository's tracked files (what a clone holds)."""
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=course.ROOT, capture_output=True, text=True, check=True
    )
    return [f for f in out.stdout.split("\0") if f]


def is_student_work(path: str) -> bool:
    """Whether ``path`` (relative to the root) lies in a submission folder or is a gradebook."""
    parts = Path(path).parts
    return parts[0] in SUBMISSION_DIRS or Path(path).name.startswith("gradebook.db")


def private_repository() -> str:
    """The private repository's URL (``instructor_repository.url`` in ``_config.yml``)."""
    return conventions.config()[INSTRUCTOR_KEY]["url"].rstrip("/")


def slug(url: str) -> str:
    """``owner/name`` of a GitHub URL."""
    return url.rstrip("/").removeprefix("https://github.com/")


def selection(files: list[str]) -> list[str]:
    """The tracked files the copy takes; SystemExit if student work is tracked."""
    tracked_work = [f for f in files if is_student_work(f)]
    if tracked_work:
        listed = "\n  ".join(tracked_work[:20])
        raise SystemExit(
            f"student work is tracked in git; untrack it (git rm --cached) before `make public`:"
            f"\n  {listed}"
        )
    return [
        f for f in files
        if not f.startswith(INSTRUCTOR_ONLY) and f not in FROM_TEMPLATE
        and (course.ROOT / f).is_file()
    ]  # fmt: skip


def render(name: str) -> str:
    """The copy's ``name`` from the template, with the public repository filled in."""
    url, branch = conventions.repository()
    text = (TEMPLATE / name).read_text()
    values = {"url": url, "branch": branch, "release": conventions.release(),
              "colab": conventions.colab_url("")}  # fmt: skip
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value.rstrip("/"))
    if "{{" in text:
        unknown = text[text.index("{{") :][:30]
        raise SystemExit(f"{TEMPLATE / name}: an unknown placeholder in {unknown!r}")
    return text


def public_config(text: str) -> str:
    """``_config.yml`` without the ``instructor_repository`` entry and the comment above it;
    SystemExit unless the result reads as exactly the same configuration less that entry."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.startswith(f"{INSTRUCTOR_KEY}:")), None)
    if start is None:
        return text
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    result = "".join(lines[:start] + lines[end:])
    expected = {k: v for k, v in yaml.safe_load(text).items() if k != INSTRUCTOR_KEY}
    if yaml.safe_load(result) != expected:
        raise SystemExit(f"_config.yml: could not leave out {INSTRUCTOR_KEY} cleanly")
    return result


def check_dest(dest: Path) -> Path:
    """``dest`` resolved; SystemExit if it is inside this repository, a file, or not empty."""
    dest = Path(dest).resolve()
    if dest == course.ROOT or course.ROOT in dest.parents:
        raise SystemExit(f"{dest} is inside the repository; choose a folder outside it")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise SystemExit(f"{dest} exists and is not an empty folder; choose a new folder")
    return dest


def colab_views(dest: Path, files: list[str]) -> list[str]:
    """Write every notebook of the copy in ``dest`` as Colab should show it; what is wrong with
    them: a setup cell that does not install the release, a citation or file that is missing."""
    release = colab.Release(set(files) | set(FROM_TEMPLATE))
    setup, wrong = conventions.setup_source(), []
    for name in (f for f in files if f.endswith(".ipynb")):
        nb = nbformat.read(dest / name, as_version=4)
        cell = conventions.setup_cell(nb)
        if cell is None or cell.source != setup:
            wrong.append(
                f"{name}: its setup cell does not install release {release.tag} as the shared "
                "one does (run `make sync-notebooks`, and `make assignments` for a release)"
            )
            continue
        try:
            nbformat.write(colab.view(nb, name, release), dest / name)
        except colab.ConversionError as err:
            wrong.append(str(err))
    return wrong


def problems(dest: Path) -> list[str]:
    """What makes the copy unfit to publish: fragments of solutions or hidden tests, files of
    the grading side, and any mention of the private repository."""
    found = [f"fragment of a solution or hidden test in {f}"
             for f in fragments.scan(dest, fragments.secret_windows(course.ROOT))]  # fmt: skip
    for path in dest.rglob("*"):
        relative = path.relative_to(dest).as_posix()
        if relative.startswith(INSTRUCTOR_ONLY) or is_student_work(relative):
            found.append(f"instructor-only or student file {relative}")
    private = slug(private_repository()).lower()
    for path in (p for p in dest.rglob("*") if p.is_file()):
        if private in path.read_text(errors="ignore").lower():
            found.append(f"{path.relative_to(dest)} names the private repository {private}")
    return found


def write(dest: Path, push: str | None = None) -> Path:
    """Write the public copy into the new or empty folder ``dest``; with ``push``, commit it and
    push it to that git remote (see ``grading.publish.push``)."""
    dest = check_dest(dest)
    existed = dest.exists()
    files = selection(tracked_files())
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course.ROOT / name, target)
    for name in FROM_TEMPLATE:
        (dest / name).write_text(render(name))
    (dest / "_config.yml").write_text(public_config((course.ROOT / "_config.yml").read_text()))
    found = colab_views(dest, files) + problems(dest)
    if found:
        shutil.rmtree(dest)
        if existed:
            dest.mkdir()
        raise SystemExit("the public copy was not written:\n  " + "\n  ".join(found))
    print(f"wrote {len(files) + len(FROM_TEMPLATE)} files to {dest}")
    if push:
        from grading.publish import push as pushing

        branch, tag = conventions.repository()[1], conventions.release()
        pushing.publish(dest, push, branch, pushing.source_note(), tag)
    return dest
