"""reveal.js decks of the chapters, and the index page that links them (``make slides``).

Each deck is ``_build/html/slides/NN_topic.html`` with its figures in
``_build/html/slides/NN_topic/``. The decks load reveal.js and MathJax from
``_build/html/slides/_static/``, copied from ``_vendor/``, so they
work offline; nothing in them points at another site except links a reader may follow.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from pygments.formatters import HtmlFormatter

from export import ROOT, SLIDES, book, conventions, slides
from export.layout import Slide

VENDOR = ROOT / "_vendor"
STATIC = "_static"
CSS = """
.reveal { font-size: 26px; }
.reveal .slides { text-align: left; }
.reveal .slides section { box-sizing: border-box; width: 1280px; height: 720px;
  padding: 28px 48px; }
.reveal h1, .reveal h2 { text-transform: none; letter-spacing: 0; }
.reveal h2 { font-size: 38px; line-height: 1.2; margin: 0 0 14px; }
.reveal .kicker { font-size: 20px; line-height: 24px; height: 24px; margin: 0 0 4px; color: #777; }
.reveal p, .reveal li { line-height: 1.35; }
.reveal ul, .reveal ol { display: block; margin: 0 0 12px 1.1em; }
.reveal li { margin: 0 0 8px; }
.reveal .math { margin: 6px 0 10px; }
.reveal table { font-size: 22px; margin: 0 0 12px; }
.reveal table th, .reveal table td { padding: 6px 12px; }
.reveal pre { width: 100%; box-shadow: none; margin: 0 0 8px; white-space: pre-wrap; }
.reveal pre.code { font-size: 18px; line-height: 23px; background: #f7f7f9;
  border-left: 4px solid #9aa5c4; padding: 10px 14px; box-sizing: border-box; }
.reveal pre.code code { max-height: none; padding: 0; overflow: visible; white-space: pre-wrap;
  word-break: break-word; }
.reveal pre.output { font-size: 16.5px; line-height: 21px; color: #333; background: #fff;
  border-left: 4px solid #d8d8d8; padding: 6px 14px; box-sizing: border-box;
  word-break: break-word; }
.reveal p.aside { font-size: 18px; line-height: 24px; margin: 0 0 10px; color: #777; }
.reveal img.figure { display: block; margin: 4px auto; max-width: 100%; height: auto; }
.reveal section.divider { padding-top: 300px; }
.reveal section.divider h2 { font-size: 52px; }
.reveal section.opening { padding-top: 180px; }
.reveal section.opening h1 { font-size: 60px; margin: 0 0 24px; }
.reveal section.opening p { font-size: 28px; margin: 0 0 10px; }
mjx-container[display="true"] { margin: 0 !important; }
"""
MATHJAX_CONFIG = {
    "tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]},
    "options": {"ignoreHtmlClass": "notes"},
    "chtml": {"displayAlign": "center"},
}
REVEAL_CONFIG = {
    "width": 1280,
    "height": 720,
    "margin": 0.02,
    "center": False,
    "hash": True,
    "slideNumber": "c/t",
    "transition": "none",
    "pdfMaxPagesPerSlide": 1,
}
# Display formulas wider than the slide are scaled down to its width once MathJax has typeset them.
FIT_MATH = """
function fitMath(root) {
  for (const m of root.querySelectorAll('mjx-container[display="true"]')) {
    const inner = m.firstElementChild, room = m.parentElement.clientWidth;
    if (inner && room > 0 && inner.scrollWidth > room) {
      m.style.fontSize = Math.floor(100 * room / inner.scrollWidth) + '%';
    }
  }
}
"""


@dataclass
class Deck:
    """A written deck: its chapter, its file and its slides."""

    chapter: Path
    title: str
    path: Path
    slides: list[Slide]


def _section(slide: Slide) -> str:
    """The HTML of one slide, figures sized to the room the rest leaves them."""
    fixed = sum(i.height for i in slide.items if i.figure is None)
    flexible = sum(i.height for i in slide.items if i.figure is not None)
    scale = min(1.0, (slide.budget() - fixed) / flexible) if flexible else 1.0
    if not slide.items:  # a section that opens with a subsection: a divider slide
        return f'<section class="divider">\n<h2>{slide.title}</h2>\n</section>'
    parts = [f'<p class="kicker">{slide.kicker}</p>'] if slide.kicker else []
    parts.append(f"<h2>{slide.title}</h2>")
    for item in slide.items:
        if item.figure is not None:
            room = max(60, int(item.height * scale - 8))
            parts.append(item.html.replace("<img ", f'<img style="max-height:{room}px" ', 1))
        else:
            parts.append(item.html)
    if slide.notes:
        parts.append('<aside class="notes">' + "\n".join(slide.notes) + "</aside>")
    return "<section>\n" + "\n".join(parts) + "\n</section>"


def _opening(slide: Slide, chapter: Path) -> str:
    number, _, name = slide.title.partition(": ")
    course = html.escape(conventions.config()["title"])
    author = html.escape(conventions.config().get("author", ""))
    page = f"../{chapter.with_suffix('.html').as_posix()}"  # the decks are in _build/html/slides
    notes = '<aside class="notes">' + "\n".join(slide.notes) + "</aside>" if slide.notes else ""
    return (
        f'<section class="opening">\n<p class="kicker">{course} · {number if name else ""}</p>\n'
        f"<h1>{name or number}</h1>\n<p>{author}</p>\n"
        f'<p><a href="{page}">The chapter in the book</a> · '
        f'<a href="{conventions.colab_url(chapter)}">Open in Colab</a></p>\n{notes}\n</section>'
    )


def page(title: str, sections: list[str]) -> str:
    """The HTML of a deck."""
    s = STATIC
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{s}/revealjs/dist/reset.css">
<link rel="stylesheet" href="{s}/revealjs/dist/reveal.css">
<link rel="stylesheet" href="{s}/revealjs/dist/theme/white.css">
<link rel="stylesheet" href="{s}/slides.css">
</head>
<body>
<div class="reveal"><div class="slides">
{chr(10).join(sections)}
</div></div>
<script src="{s}/revealjs/dist/reveal.js"></script>
<script src="{s}/revealjs/plugin/notes/notes.js"></script>
<script>{FIT_MATH}
window.MathJax = {json.dumps(MATHJAX_CONFIG)};
window.MathJax.startup = {{ pageReady: () => MathJax.startup.defaultPageReady()
  .then(() => fitMath(document)) }};
Reveal.initialize(Object.assign({json.dumps(REVEAL_CONFIG)}, {{ plugins: [RevealNotes] }}));
Reveal.on('slidechanged', e => fitMath(e.currentSlide));
</script>
<script src="{s}/mathjax/tex-mml-chtml.js"></script>
</body>
</html>
"""


def _not_svg(_folder: str, names: list[str]) -> list[str]:
    return [n for n in names if not n.endswith(".svg")]


def write_deck(chapter: Path, out: Path = SLIDES) -> Deck:
    """Write the deck of one chapter (and its figures) into ``out``."""
    nb = book.executed(chapter)
    figures = out / chapter.stem
    shutil.rmtree(figures, ignore_errors=True)
    figures.mkdir(parents=True)

    def figure_src(data: str) -> str:
        raw = base64.b64decode(data)
        name = f"{hashlib.sha1(raw).hexdigest()[:12]}.png"
        (figures / name).write_bytes(raw)
        return f"{chapter.stem}/{name}"

    deck = slides.build(nb, figure_src)
    drawn = (ROOT / chapter).parent / "figures"  # the diagrams the markdown shows, same path
    if drawn.is_dir():
        shutil.copytree(drawn, out / "figures", dirs_exist_ok=True, ignore=_not_svg)
    sections = [_opening(deck[0], chapter)] + [_section(s) for s in deck[1:]]
    title = deck[0].title
    path = out / f"{chapter.stem}.html"
    path.write_text(page(f"{title} · {conventions.config()['title']}", sections), encoding="utf-8")
    return Deck(chapter, title, path, deck)


def copy_static(out: Path = SLIDES) -> None:
    """reveal.js and MathJax from ``_vendor/``, and the decks' style sheet."""
    static = out / STATIC
    for name in ("revealjs", "mathjax"):
        shutil.copytree(VENDOR / name, static / name, dirs_exist_ok=True)
    code = HtmlFormatter(style="default").get_style_defs(".reveal pre.code")
    (static / "slides.css").write_text(CSS + code + "\n", encoding="utf-8")


def write_index(decks: list[Deck], out: Path = SLIDES) -> Path:
    """The page that links every deck, with its number of slides."""
    course = html.escape(conventions.config()["title"])
    rows = "\n".join(
        f'<li><a href="{d.path.name}">{d.title}</a> <span>({len(d.slides)} slides)</span></li>'
        for d in decks
    )
    text = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Slides · {course}</title>
<style>body {{ font: 18px/1.5 sans-serif; max-width: 44em; margin: 3em auto; padding: 0 1em; }}
span {{ color: #777; }}</style></head>
<body>
<h1>{course}: lecture slides</h1>
<p>One deck per chapter, made from the executed chapters of the book. In a deck, press
<kbd>S</kbd> for the speaker view with the notes, <kbd>F</kbd> for full screen, <kbd>Esc</kbd> for
an overview.</p>
<ol>
{rows}
</ol>
<p><a href="../intro.html">The book</a></p>
</body>
</html>
"""
    path = out / "index.html"
    path.write_text(text, encoding="utf-8")
    return path


def write_all(out: Path = SLIDES) -> list[Deck]:
    """Every chapter's deck, the static files and the index page."""
    out.mkdir(parents=True, exist_ok=True)
    copy_static(out)
    decks = [write_deck(chapter, out) for chapter in book.chapters()]
    write_index(decks, out)
    return decks
