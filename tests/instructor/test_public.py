"""The public repository (``make public``): nothing secret in it, and it stands on its own.

One real copy is written for the module; the tests read it, scan it, and run its own test
command with the build cache of this repository's last ``make book`` (so that nothing executes
twice). Everything a student opens names the public repository, never the private one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from export import conventions as conv
from grading import course
from grading.publish import fragments, public, push
from tests import timings
from tests.test_book import HTML

PUBLIC_URL, BRANCH = conv.repository()
RELEASE = conv.release()
PRIVATE = public.slug(public.private_repository())
INSTRUCTOR_TARGETS = ("assignments", "grade", "bench-grading", "public", "exam-bank")
GIT_ID = {f"GIT_{role}_{key}": value for role in ("AUTHOR", "COMMITTER")
          for key, value in (("NAME", "Course staff"), ("EMAIL", "staff@example.org"))}  # fmt: skip
PUBLIC_TOP = ("README.md", "Makefile", "_config.yml", "_toc.yml", "intro.md", "pyproject.toml",
              "requirements.txt", "book", "assignments", "utils", "tests")  # fmt: skip
INSTRUCTOR_WORDS = ("make grade", "make assignments", "make public", "solutions", "nbgrader",
                    "hidden test", "grading/", "{{")  # fmt: skip


def make_public(dest: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grading", "public", str(dest), *args], cwd=course.ROOT,
        capture_output=True, text=True, env={**os.environ, **GIT_ID},
    )  # fmt: skip


@pytest.fixture(scope="module")
def copy(public_copy) -> Path:
    return public_copy


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def rules(makefile: Path) -> dict[str, list[str]]:
    """Each target of a Makefile with its prerequisites line and recipe."""
    found: dict[str, list[str]] = {}
    target = None
    for line in makefile.read_text().splitlines():
        if match := re.match(r"^([\w$().-]+):(?!=)(.*)$", line):
            target = match.group(1)
            found[target] = [match.group(2).strip()]
        elif line.startswith("\t") and target:
            found[target].append(line)
        elif not line.strip():
            target = None
    return found


# --- what the copy holds --------------------------------------------------------------------


def test_copy_holds_the_book_releases_utils_and_public_tests_only(copy):
    held = files(copy)
    top = {name.split("/")[0] for name in held}
    for needed in PUBLIC_TOP:
        assert needed in top, f"the copy lacks {needed}"
    for excluded in ("solutions", "grading", "nbgrader_config.py", *public.SUBMISSION_DIRS):
        assert excluded not in top, f"{excluded} was copied into the public repository"
    assert not any(n.startswith("tests/instructor") or "gradebook" in n for n in held)
    for assignment in course.assignments():
        assert f"assignments/{assignment}/{assignment}.ipynb" in held
    assert held <= set(public.tracked_files()), "the copy holds files that are not tracked"


def test_fragment_scan_finds_no_piece_of_a_solution_or_hidden_test_in_the_copy(copy):
    secrets = fragments.secret_windows(course.ROOT)
    sources = sorted((course.ROOT / "solutions").glob("*/*.ipynb"))
    sources += sorted((course.ROOT / "solutions").glob("exam_bank/*.yml"))  # exam questions
    assert len(secrets) > 1000, "few secret runs to look for: the scan would prove little"
    found = fragments.scan(course.ROOT / "solutions", secrets)
    assert {f.path for f in found} == {
        p.relative_to(course.ROOT / "solutions").as_posix() for p in sources
    }
    assert fragments.scan(copy, secrets) == []


def hidden_fragment() -> str:
    """A run of a hidden test that neither the release nor any solution region shows."""
    hidden = fragments.secret_windows(course.ROOT, kinds=("hidden",))
    hidden -= fragments.secret_windows(course.ROOT, kinds=("solution",))
    return sorted(w for w in hidden if w[0] != " " and w[-1] != " " and " " in w[10:30])[0]


def test_fragment_scan_catches_a_planted_piece_of_a_hidden_test(copy, tmp_path):
    planted = tmp_path / "planted"
    shutil.copytree(copy / "utils", planted / "utils")
    shutil.copytree(copy / "book", planted / "book")
    secrets = fragments.secret_windows(course.ROOT)
    assert fragments.scan(planted, secrets) == []
    fragment = hidden_fragment()
    assert len(fragment) == fragments.WINDOW == 40
    # in a comment of a module, as one line
    module = planted / "utils" / "config.py"
    module.write_text(module.read_text() + f"\n# {fragment}\n")
    # in a notebook (JSON-escaped), broken over two lines with other indentation
    chapter = planted / "book" / "02_linear_model.ipynb"
    nb = nbformat.read(chapter, as_version=4)
    half = fragment.index(" ", 10)
    broken = f"{fragment[:half]}\n        {fragment[half:].lstrip()}"
    nb.cells[-1].source += f"\n\n```python\n{broken}\n```"
    nbformat.write(nb, chapter)
    # 39 characters of it are no leak
    assert not any("§" in w for w in secrets)
    (planted / "short.md").write_text(f"§§{fragment[:39]}§§\n")
    found = {f.path: f.fragment for f in fragments.scan(planted, secrets)}
    assert set(found) == {"utils/config.py", "book/02_linear_model.ipynb"}, found
    assert fragments.first_secret(fragment, secrets) == fragment
    assert any("fragment of a solution or hidden test" in p for p in public.problems(planted))


def test_copy_names_the_public_repository_and_never_the_private_one(copy):
    assert PUBLIC_URL != public.private_repository() and PRIVATE != public.slug(PUBLIC_URL)
    for name in sorted(files(copy)):
        text = (copy / name).read_text(errors="ignore").lower()
        assert PRIVATE.lower() not in text, f"{name} names the private repository"
    assert public.INSTRUCTOR_KEY not in (copy / "_config.yml").read_text()
    assert f"git+{PUBLIC_URL}@{RELEASE}" in (copy / "README.md").read_text()
    assert f'RELEASE = "{RELEASE}"' in (copy / "README.md").read_text()  # the line to change
    assert conv.colab_url("") in (copy / "README.md").read_text()


def test_copy_has_a_student_side_readme_and_makefile(copy):
    readme = (copy / "README.md").read_text()
    for needed in ("make book", "make test", "Colab", "_build/html/index.html", "assignments/"):
        assert needed in readme, f"the public README does not mention {needed!r}"
    for instructor in INSTRUCTOR_WORDS:
        assert instructor not in readme, f"the public README mentions {instructor!r}"
    targets = rules(copy / "Makefile")
    assert {"book", "test", "lint", "timings", "clean"} <= set(targets)
    assert not set(INSTRUCTOR_TARGETS) & set(targets)
    helped = subprocess.run(["make", "-s", "-C", str(copy), "help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "make book" in helped.stdout
    assert not any(f"make {t}" in helped.stdout for t in INSTRUCTOR_TARGETS), helped.stdout


def test_public_makefile_has_every_target_but_the_instructors_with_the_same_recipe():
    ours, theirs = rules(course.ROOT / "Makefile"), rules(public.TEMPLATE / "Makefile")
    assert set(INSTRUCTOR_TARGETS) <= set(ours)
    for target in (set(ours) | set(theirs)) - {*INSTRUCTOR_TARGETS, ".PHONY", "help"}:
        assert theirs.get(target) == ours.get(target), (
            f"`make {target}` differs between the Makefile and grading/publish/template/Makefile"
        )
    ours_vars = re.findall(r"(?m)^\w+ +[:?]?=.*$", (course.ROOT / "Makefile").read_text())
    theirs_vars = re.findall(r"(?m)^\w+ +[:?]?=.*$", (public.TEMPLATE / "Makefile").read_text())
    assert theirs_vars == ours_vars


# --- the copy on its own --------------------------------------------------------------------


@pytest.mark.book
def test_copy_passes_its_own_make_test_without_executing_a_chapter(copy, tmp_path):
    """The copy's `make test`, with this repository's environment and build cache (so nothing
    executes again). Left out for time: the browser tests and the PDF (Chromium printing the
    book), the same code as this repository's, which its own `make test` runs."""
    if any(seconds is None for seconds in timings.execution_times().values()):
        pytest.fail("the build cache lacks a chapter's current execution: run `make book`")
    clone = tmp_path / "clone"
    shutil.copytree(copy, clone)
    shutil.copytree(timings.CACHE, clone / "_build" / ".jupyter_cache")
    venv = Path(sys.executable).parent.parent
    env = {**os.environ, "PYTEST_ADDOPTS": "-m 'not browser' -p no:cacheprovider -q"}
    start = time.monotonic()
    result = subprocess.run(
        ["make", "-o", f"{venv}/.installed", "-o", "pdf", "test", f"VENV={venv}"], cwd=clone,
        env=env,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    seconds = time.monotonic() - start
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the copy's `make test` failed:\n{output[-4000:]}"
    assert "Executing" not in output and output.count("Using cached notebook") == len(
        conv.chapters()
    ), "the copy's build executed a chapter again"
    summary = re.findall(r"^.*\d+ passed.*$", output, re.MULTILINE)
    assert summary and " failed" not in summary[-1], output[-4000:]
    print(f"the copy's make test: {summary[-1].strip(' =')} ({seconds:.0f} s in all)")


# --- student work ---------------------------------------------------------------------------


def test_every_submission_folder_is_ignored_by_git():
    named = re.findall(r"SUBMISSIONS=([\w./-]+)", (course.ROOT / "README.md").read_text())
    named = {n.strip("/").split("/")[0] for n in named if n != "folder"}
    assert "inbox" in public.SUBMISSION_DIRS and named <= set(public.SUBMISSION_DIRS), named
    for folder in (*public.SUBMISSION_DIRS, "submitted/alice/a1_cnn"):
        ignored = subprocess.run(["git", "check-ignore", "-q", f"{folder}/alice.ipynb"],
                                 cwd=course.ROOT)  # fmt: skip
        assert ignored.returncode == 0, f"{folder}/ is not ignored by git"
    gradebook = subprocess.run(["git", "check-ignore", "-q", "gradebook.db"], cwd=course.ROOT)
    assert gradebook.returncode == 0, "gradebook.db is not ignored by git"


@pytest.mark.parametrize("work", ["inbox/alice.ipynb", "submitted/bob/a1_cnn/a1_cnn.ipynb",
                                  "grades/a1_cnn.csv", "gradebook.db"])  # fmt: skip
def test_make_public_refuses_a_tree_that_tracks_student_work(work, tmp_path, monkeypatch):
    tracked = public.tracked_files()
    assert "README.md" in tracked and not any(public.is_student_work(f) for f in tracked)
    monkeypatch.setattr(public, "tracked_files", lambda: [*tracked, work])
    with pytest.raises(SystemExit, match="student work is tracked") as refused:
        public.write(tmp_path / "out")
    assert work in str(refused.value)
    assert not (tmp_path / "out").exists()


def test_make_public_refuses_a_non_empty_folder_and_one_inside_the_repository(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not an empty folder"):
        public.write(tmp_path)
    assert files(tmp_path) == {"notes.txt"}
    with pytest.raises(SystemExit, match="inside the repository"):
        public.write(course.ROOT / "public")
    assert not (course.ROOT / "public").exists()


def test_make_public_passes_dest_and_push_on():
    command = ["make", "-n", "-o", ".venv/.installed", "public", "DEST=/x y", "PUSH=../r.git"]
    dry = subprocess.run(command, cwd=course.ROOT, capture_output=True, text=True)
    assert '-m grading public "/x y" --push "../r.git"' in dry.stdout, dry.stdout


# --- student-facing pages -------------------------------------------------------------------


def test_notebooks_and_pages_name_only_the_public_repository():
    pages = [*conv.notebooks(), *Path(course.ROOT).glob("book/*.md"), course.ROOT / "intro.md",
             *Path(course.ROOT).glob("assignments/*.md")]  # fmt: skip
    public_colab = f"{conv.COLAB}/github/{public.slug(PUBLIC_URL)}/blob/{BRANCH}/"
    for page in pages:
        text = (course.ROOT / page).read_text()
        assert PRIVATE.lower() not in text.lower(), f"{page} names the private repository"
    for path in conv.notebooks():
        nb = nbformat.read(course.ROOT / path, as_version=4)
        badge = conv.BADGE_RE.search(nb.cells[0].source)
        assert badge and badge.group("url") == public_colab + path.as_posix(), path
        setup = conv.setup_cell(nb)
        assert setup is not None and setup.source == conv.setup_source(), path
        assert f'RELEASE = "{RELEASE}"' in setup.source, path


@pytest.mark.book
def test_built_book_names_only_the_public_repository():
    if not (HTML / "intro.html").exists():
        pytest.fail(f"{HTML} is missing: run `make book`")
    pages = sorted(HTML.rglob("*.html"))
    for page in pages:
        assert PRIVATE.lower() not in page.read_text().lower(), f"{page} names the private one"
    chapter = (HTML / conv.chapters()[0].with_suffix(".html")).read_text()
    assert f'href="{PUBLIC_URL}"' in chapter, "the repository button does not name the public one"


# --- publishing -----------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def test_push_publishes_to_a_git_remote_and_continues_its_history(copy, tmp_path, monkeypatch):
    remote = tmp_path / "public.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    first = tmp_path / "first"
    result = make_public(first, "--push", str(remote))
    assert result.returncode == 0, result.stderr[-3000:]
    published = {name for name in files(first) if not name.startswith(".git/")}
    assert set(git(remote, "ls-tree", "-r", "--name-only", BRANCH).splitlines()) == published
    assert git(remote, "show", f"{BRANCH}:README.md") == (copy / "README.md").read_text().strip()
    first_commit = git(remote, "rev-parse", BRANCH)
    assert git(remote, "rev-parse", f"refs/tags/{RELEASE}") == first_commit, "no release tag"
    # the next publish, with one file fewer, is one commit on top of the first
    for name, value in GIT_ID.items():
        monkeypatch.setenv(name, value)
    second = tmp_path / "second"
    shutil.copytree(copy, second)
    (second / "TIMINGS.md").unlink()
    assert push.publish(second, str(remote), BRANCH, "a test", RELEASE) is True
    log = git(remote, "log", "--format=%s", BRANCH).splitlines()
    assert len(log) == 2 and log[0] == "Publish the course book (from a test)"
    assert git(remote, "rev-parse", f"refs/tags/{RELEASE}") == first_commit, "the release moved"
    assert "TIMINGS.md" not in git(remote, "ls-tree", "--name-only", BRANCH)
    # the same copy again pushes nothing
    third = tmp_path / "third"
    shutil.copytree(second, third, ignore=shutil.ignore_patterns(".git"))
    assert push.publish(third, str(remote), BRANCH, "again", "2026-fall.2") is False
    assert len(git(remote, "log", "--format=%s", BRANCH).splitlines()) == 2
    # a new release, even with nothing else new, is a new tag on the branch's commit
    assert git(remote, "rev-parse", "refs/tags/2026-fall.2") == git(remote, "rev-parse", BRANCH)
    assert git(remote, "rev-parse", f"refs/tags/{RELEASE}") == first_commit


def test_make_public_refuses_notebooks_that_install_another_release(tmp_path, monkeypatch):
    """A release set in _config.yml but not synced into the notebooks is refused."""
    monkeypatch.setattr(conv, "release", lambda: "2099-spring.7")
    with pytest.raises(SystemExit, match="does not install release 2099-spring.7") as refused:
        public.write(tmp_path / "out")
    assert "book/01_introduction.ipynb" in str(refused.value)
    assert "make sync-notebooks" in str(refused.value)
    assert not (tmp_path / "out").exists()
