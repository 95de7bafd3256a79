"""The printable book, ``_build/pdf/itm528-book.pdf``, printed by Debian's Chromium (``make pdf``)
and copied into the hosted book (``_build/html/itm528-book.pdf``).

Playwright drives ``/usr/bin/chromium`` headless over the one-document book of
``export.printbook``, offline (any request that leaves the local files fails the build), waits
until MathJax has typeset every formula and every image has loaded, and prints A4 pages with page
numbers. Chromium writes the PDF's bookmarks from the headings (``outline``): one per chapter,
section and subsection, under the landing page and the bibliography at the top level.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from export import HOSTED_PDF, PDF, printbook
from export.book import BuildMissing

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FOOTER = (
    '<div style="font: 8px sans-serif; color: #666; width: 100%; text-align: center;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
WAIT_S = 120
READY = """async () => {
  await MathJax.startup.promise;
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  return {
    formulas: document.querySelectorAll('mjx-container').length,
    errors: document.querySelectorAll('mjx-merror').length,
    broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
  };
}"""


class PrintError(RuntimeError):
    """The book could not be printed as it should be."""


@dataclass
class Printed:
    """The written PDF and what it holds."""

    path: Path
    pages: int
    images: int
    formulas: int


def count(pdf: bytes) -> tuple[int, int]:
    """(pages, image objects) of a PDF as Chromium writes it (no compressed object streams)."""
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    images = len(re.findall(rb"/Subtype\s*/Image", pdf))
    return pages, images


def write_pdf(path: Path = PDF) -> Printed:
    """Print the book into ``path``; raises PrintError on a TeX error, a broken image or a
    request to another site, and BuildMissing when the HTML book has not been built."""
    if not CHROMIUM.exists():
        raise BuildMissing(f"{CHROMIUM} not found (apt-get install chromium): cannot print")
    from playwright.sync_api import sync_playwright

    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.with_suffix(".html")
    source.write_text(printbook.document(path.parent), encoding="utf-8")
    outside: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.goto(source.as_uri(), wait_until="load", timeout=WAIT_S * 1000)
            page.wait_for_function("() => window.MathJax?.startup?.promise", timeout=WAIT_S * 1000)
            state = page.evaluate(READY)
            if outside or state["errors"] or state["broken"]:
                raise PrintError(
                    f"requests to other sites: {outside}; TeX errors: {state['errors']}; "
                    f"images that did not load: {state['broken']}"
                )
            page.pdf(
                path=path,
                format="A4",
                print_background=True,
                outline=True,
                tagged=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
                margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
            )
        finally:
            browser.close()
    pages, images = count(path.read_bytes())
    if path == PDF:  # the hosted book links its copy (intro.md)
        shutil.copyfile(path, HOSTED_PDF)
    return Printed(path, pages, images, state["formulas"])
