"""The built book in headless Chromium: pages load cleanly, math renders, images load.

Needs Debian's ``chromium`` at /usr/bin/chromium (``make system`` installs it): the ``browser``
fixture of tests/conftest.py skips these tests without it, or fails them in CI.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from export import conventions as conv
from tests.conftest import watch
from tests.test_book import HTML, html_path

CHAPTERS = conv.chapters()
PAGES = ["intro.html", *(html_path(p) for p in CHAPTERS)]
# A stand-in for the one external image the book shows, the Colab badge: the browser is offline.
BADGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20">'
    '<rect width="117" height="20" rx="3" fill="#555"/>'
    '<text x="8" y="14" fill="#fff" font-size="11" font-family="sans-serif">Open in Colab</text>'
    "</svg>"
)

pytestmark = [pytest.mark.book, pytest.mark.browser]
TIMEOUT_MS = 120_000  # a page of figures and formulas on a machine busy with other tests


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server():
    if not (HTML / "intro.html").exists():
        pytest.fail(f"{HTML} is missing: run `make book`")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def open_page(browser, server, relative):
    """Load a page offline; return it with the console errors and failed requests it caused."""
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = watch(page)

    def route(r):
        if r.request.url == conv.BADGE_IMAGE:
            r.fulfill(status=200, content_type="image/svg+xml", body=BADGE_SVG)
        elif r.request.url.startswith(server):
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.goto(f"{server}/{relative}", wait_until="load")
    return page, problems


def settle(page) -> None:
    """Wait until every image of a loaded page is decoded or broken and MathJax, if the page has
    it, has typeset everything: conditions of the page itself. (Waiting for the network to fall
    silent instead hung a busy machine's run for minutes on a page whose requests had all ended.)"""
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    page.evaluate("() => window.MathJax?.startup?.promise?.then(() => true) ?? true")


@pytest.mark.parametrize("relative", PAGES)
def test_page_loads_without_errors_and_images_load(browser, server, relative):
    page, problems = open_page(browser, server, relative)
    settle(page)
    broken = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    count = page.eval_on_selector_all("img", "imgs => imgs.length")
    found = list(problems)  # before closing: closing aborts what is still loading (MathJax fonts)
    page.close()
    assert not found, f"{relative}: {found}"
    assert not broken, f"{relative}: images that did not load: {broken}"
    if relative != "intro.html":
        assert count > 1, f"{relative}: expected figures on the page, found {count} images"


@pytest.mark.parametrize("relative", [html_path(p) for p in CHAPTERS])
def test_math_is_rendered_by_mathjax(browser, server, relative):
    page, problems = open_page(browser, server, relative)
    if page.locator(".math").count() == 0:
        page.close()
        pytest.skip(f"{relative} has no math")
    # wait until MathJax has typeset the whole page; some formulas sit in folded (hidden) blocks
    page.wait_for_function("() => window.MathJax?.startup?.promise")
    page.evaluate("() => MathJax.startup.promise.then(() => true)")
    rendered = page.locator("mjx-container").count()
    shown = page.eval_on_selector_all(
        "mjx-container", "els => els.filter(e => e.getBoundingClientRect().width > 0).length"
    )
    errors = page.locator("mjx-merror").count()
    found = list(problems)
    page.close()
    assert rendered > 0 and shown > 0, f"{relative}: {rendered} formulas, {shown} of them visible"
    assert errors == 0, f"{relative}: {errors} TeX errors"
    assert not found, f"{relative}: {found}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.as_posix() for p in CHAPTERS])
def test_colab_launch_button_is_present(browser, server, path):
    page, _ = open_page(browser, server, html_path(path))
    links = page.eval_on_selector_all(
        "a", "as => as.map(a => a.href).filter(h => h.includes('colab.research.google.com/github'))"
    )
    badge = page.locator(f'img[src="{conv.BADGE_IMAGE}"]').count()
    page.close()
    assert conv.colab_url(path) in links, f"{path}: Colab links on the page: {links}"
    assert badge == 1, f"{path}: expected the Colab badge once, found {badge}"
