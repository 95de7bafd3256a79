"""The printable book as one HTML document, assembled from the built HTML book's pages.

The landing page, the chapters and the bibliography, in the book's order, each page's article
only (no navigation). Every ``id`` gets its page's prefix so that links between pages (a chapter's
citation to the bibliography, say) become links inside the document; links to pages that are not
printed keep their text only. Images point at ``_build/html``; images on other sites, of which
the book shows one (the Colab badge), are left out, so that printing needs no network. A
chapter's self-check prints as its questions, and the answers (to the exercises and to the
self-check) follow at the end of the chapter.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from export import book, conventions

# The book's own MathJax configuration (Jupyter Book's): typeset only what is marked as math.
MATHJAX_CONFIG = (
    '{"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}'
)
CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html { font: 10pt/1.45 "DejaVu Serif", serif; color: #111; }
body { margin: 0; }
.page { break-before: page; }
.page:first-child { break-before: auto; }
h1 { font: bold 22pt/1.2 "DejaVu Sans", sans-serif; margin: 0 0 12pt; }
h2 { font: bold 14pt/1.25 "DejaVu Sans", sans-serif; margin: 16pt 0 6pt; break-after: avoid; }
h3 { font: bold 11.5pt/1.3 "DejaVu Sans", sans-serif; margin: 12pt 0 4pt; break-after: avoid; }
p { margin: 0 0 6pt; }
a { color: #1a4f9c; text-decoration: none; }
pre { font: 7.8pt/1.35 "DejaVu Sans Mono", monospace; white-space: pre-wrap;
  overflow-wrap: anywhere; margin: 0; }
div.cell { margin: 6pt 0 8pt; }
div.cell_input div.highlight { background: #f5f6f8; border-left: 2.5pt solid #9aa5c4;
  padding: 4pt 6pt; }
div.cell_output div.highlight, div.output pre { background: none; }
div.cell_output { padding: 3pt 0 0 6pt; border-left: 2.5pt solid #ddd; margin-top: 3pt; }
div.cell_output img { display: block; max-width: 100%; height: auto; break-inside: avoid;
  margin: 2pt auto; }
div.math { margin: 6pt 0; overflow-wrap: normal; }
mjx-container[display="true"] { margin: 4pt 0 !important; }
table { border-collapse: collapse; margin: 6pt 0 10pt; font-size: 9pt; break-inside: avoid; }
th, td { border-bottom: 0.5pt solid #bbb; padding: 2pt 6pt; text-align: left; }
ul, ol { margin: 0 0 6pt; padding-left: 16pt; }
li { margin: 0 0 2pt; }
div.cell_output div.output.stream + div.output.stream { margin-top: 0; }
div.citation-list { display: grid; grid-template-columns: max-content 1fr; gap: 0 8pt; }
div.citation { display: contents; }
div.citation > p { margin: 0 0 4pt; break-inside: avoid; }
"""


@dataclass
class Part:
    """One printed page of the book: its path in ``_build/html`` and its prefix for ids."""

    path: str  # relative to _build/html, e.g. "book/04_cnn.html"

    @property
    def slug(self) -> str:
        return self.path.removesuffix(".html").replace("/", "-")


def parts() -> list[Part]:
    """The pages to print, in order: landing page, chapters, bibliography."""
    names = [book.root_page(), *(p.with_suffix("").as_posix() for p in book.chapters())]
    return [Part(f"{name}.html") for name in [*names, book.bibliography_page()]]


def _article(part: Part) -> Tag:
    file = book.HTML / part.path
    if not file.exists():
        raise book.BuildMissing(f"{file} is missing: run `make book` first")
    soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    if article is None:
        raise book.BuildMissing(f"{file} has no article: is it a Jupyter Book page?")
    return article


def _link(href: str, part: Part, printed: dict[str, Part]) -> str | None:
    """Where ``href`` on ``part`` points in the document; None for a page that is not printed."""
    if href.startswith(("http:", "https:", "mailto:")):
        return href
    target, _, fragment = href.partition("#")
    if not target:
        return f"#{part.slug}--{fragment}"
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(part.path), target))
    other = printed.get(resolved)
    if other is None:
        return None
    return f"#{other.slug}--{fragment}" if fragment else f"#page-{other.slug}"


def _image(src: str, part: Part, html_dir: str) -> str | None:
    """The src of a local image as seen from the document; None for an image on another site."""
    if src.startswith(("http:", "https:", "//")):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(part.path), src))
    return f"{html_dir}/{resolved}"


def _clean(article: Tag, part: Part, printed: dict[str, Part], html_dir: str) -> Tag:
    """The article with its ids prefixed, its links and images rewritten, its widgets removed."""
    for junk in article.select("a.headerlink, script, button, .toggle-details, style"):
        junk.decompose()
    for element in article.find_all(id=True):
        element["id"] = f"{part.slug}--{element['id']}"
    for anchor in article.find_all("a", href=True):
        href = _link(str(anchor["href"]), part, printed)
        if href is None:
            anchor.unwrap()
        else:
            anchor["href"] = href
    for img in article.find_all("img"):
        src = _image(str(img.get("src", "")), part, html_dir)
        if src is None:
            img.decompose()
        else:
            img["src"] = src
            img.attrs.pop("srcset", None)
    _answers_last(article)
    article.name = "div"
    article["class"] = ["page"]
    article["id"] = f"page-{part.slug}"
    return article


def _answers_last(article: Tag) -> None:
    """A chapter's answers (to its exercises, to its self-check) opened, at the chapter's end;
    the self-check's feedback, which answers each question in place, left out."""
    for element in article.select(".selfcheck .sc-feedback, .selfcheck .sc-explanation"):
        element.decompose()
    for element in article.select("details.exercise-answers, div.sc-key"):
        element.extract()
        element.attrs.pop("hidden", None)
        if element.name == "details":
            element["open"] = ""
        article.append(element)


def document(out_dir: Path) -> str:
    """The whole printable book as one HTML document, to be saved in ``out_dir``."""
    html_dir = Path(posixpath.relpath(book.HTML, out_dir)).as_posix()
    printed = {p.path: p for p in parts()}
    pages = [str(_clean(_article(p), p, printed, html_dir)) for p in printed.values()]
    styles = sorted(book.HTML.glob("_static/mystnb.*.css"))
    links = [f"{html_dir}/_static/pygments.css", *(f"{html_dir}/_static/{s.name}" for s in styles)]
    sheets = "\n".join(f'<link rel="stylesheet" href="{href}">' for href in links)
    title = conventions.config()["title"]
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
{sheets}
<style>{CSS}</style>
<script>window.MathJax = {MATHJAX_CONFIG};</script>
<script src="{html_dir}/_static/mathjax/tex-mml-chtml.js"></script>
</head>
<body>
{chr(10).join(pages)}
</body>
</html>
"""
