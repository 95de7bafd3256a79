"""Publishing the public copy: commit it on top of the remote's branch and push (``PUSH=``).

The copy becomes a git repository whose branch continues the remote's history: each publish is
one new commit holding exactly the files of the copy (files removed since the last publish are
removed), pushed without force, so that a remote that moved on refuses the push.

It also creates the release tag (``repository.release`` in ``_config.yml``) that every notebook's
setup cell installs ``utils`` from, on the commit it pushed (or the remote's, when nothing
changed). A tag the remote has already is never moved: a fix for a running class is a new tag.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from grading import course


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``git *args`` in ``cwd``; SystemExit with git's message if it fails and ``check``."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result


def source_note() -> str:
    """The commit of this repository the copy was made from, for the public commit's message."""
    head = git(course.ROOT, "rev-parse", "--short", "HEAD").stdout.strip()
    dirty = git(course.ROOT, "status", "--porcelain", "--untracked-files=no").stdout.strip()
    return f"{head} with uncommitted changes" if dirty else head


def publish(dest: Path, remote: str, branch: str, source: str, tag: str | None = None) -> bool:
    """Commit the copy in ``dest`` on top of ``remote``'s ``branch`` and push it there, then push
    the release ``tag`` unless the remote has it; False (and no commit pushed) when the copy
    equals what the remote already has."""
    git(dest, "init", "-q", "-b", branch)
    fetched = git(dest, "fetch", "-q", "--depth=1", remote, branch, check=False)
    if fetched.returncode == 0:
        git(dest, "update-ref", f"refs/heads/{branch}", "FETCH_HEAD")
    elif git(dest, "ls-remote", "--heads", remote, branch, check=False).stdout.strip():
        raise SystemExit(f"could not fetch {branch} from {remote}:\n{fetched.stderr.strip()}")
    elif git(dest, "ls-remote", remote, check=False).returncode != 0:
        raise SystemExit(f"{remote} is not a git repository that can be reached")
    git(dest, "add", "-A")
    unchanged = git(dest, "diff", "--cached", "--quiet", check=False).returncode == 0
    if fetched.returncode == 0 and unchanged:
        print(f"{remote} {branch} already holds this copy; nothing pushed")
        pushed = False
    else:
        git(dest, "commit", "-q", "-m", f"Publish the course book (from {source})")
        git(dest, "push", "-q", remote, f"HEAD:refs/heads/{branch}")
        print(f"pushed to {remote} {branch}")
        pushed = True
    if tag:
        release(dest, remote, tag)
    return pushed


def release(dest: Path, remote: str, tag: str) -> bool:
    """Create ``tag`` on the copy's HEAD and push it, unless ``remote`` has it already (a
    release never moves); True if it was pushed."""
    existing = git(dest, "ls-remote", "--tags", remote, f"refs/tags/{tag}").stdout.split()
    head = git(dest, "rev-parse", "HEAD").stdout.strip()
    if existing:
        note = "" if existing[0] == head else " on an earlier commit"
        print(f"release {tag} exists in {remote}{note}; left as it is (a fix is a new release)")
        return False
    git(dest, "tag", tag)
    git(dest, "push", "-q", remote, f"refs/tags/{tag}")
    print(f"tagged release {tag} in {remote}")
    return True
