"""Shared test setup: matplotlib draws off screen, and the system tools some tests need.

The Debian packages the tests need are listed once, in ``.ci/system-packages`` (``make system``
installs them). A test that needs one asks for its fixture: ``browser`` (headless Chromium),
``chromium`` (its path only), ``poppler`` (``pdftotext``, ``pdfinfo``…) or ``bwrap`` (the grading
sandbox). Without the tool the test skips with one message naming the package and the command
that installs it; in CI (``ITM528_REQUIRE_BROWSER=1``, ``ITM528_REQUIRE_SANDBOX=1``) it fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

PACKAGE_LIST = Path(__file__).resolve().parent.parent / ".ci" / "system-packages"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REQUIRE = {"bwrap": "ITM528_REQUIRE_SANDBOX"}
"""The variable that turns a missing tool's skip into a failure; ITM528_REQUIRE_BROWSER else."""


@cache
def system_packages() -> dict[str, str]:
    """Command (or file) -> the Debian package that installs it, from ``.ci/system-packages``."""
    packages = {}
    for line in PACKAGE_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            package, probe = line.split()[:2]
            packages[probe] = package
    return packages


def missing_tool_message(command: str) -> str:
    """Why the tests that need ``command`` do not run, and how to install it."""
    package = system_packages()[command]
    return (
        f"{command} not found: install Debian's {package} (as root: `make system`, or "
        f"`apt-get install {package}`)"
    )


def require_tool(command: str, where: Path | None = None) -> str:
    """The path of ``command`` (``where`` when given: that file and no other); without it, skip
    the test, or fail it where CI requires the tool."""
    if where is None:
        found = shutil.which(command)
    else:
        found = str(where) if where.exists() else None
    if found:
        return found
    message = missing_tool_message(command)
    if os.environ.get(REQUIRE.get(command, "ITM528_REQUIRE_BROWSER")) == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, /usr/bin/chromium (``make pdf`` prints the book with it)."""
    return Path(require_tool("chromium", CHROMIUM))


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[object]:
    """Headless Chromium driven by Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def poppler() -> str:
    """poppler-utils (``pdftotext``, ``pdfinfo``, ``pdfimages``, ``pdftohtml``): the path of
    ``pdftotext``."""
    return require_tool("pdftotext")


@pytest.fixture(scope="session")
def bwrap() -> str:
    """bubblewrap, in which the grading tests run every kernel: the path of ``bwrap``."""
    return require_tool("bwrap")


def watch(page) -> list[str]:
    """The problems of a Playwright ``page`` as they happen: console errors, uncaught page
    errors and failed requests (a test asserts the list is empty)."""
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    return problems
