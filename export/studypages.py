"""The book's study pages, written from the question bank into ``book/study/``.

- ``glossary.md``: every chapter's ``glossary:`` terms in alphabetical order under a heading each
  (its anchor is the term's slug, ``#batch-normalisation``), with the chapter that defines it;
- ``equations.md``: the equation sheet, one section per chapter with its ``equations:``;
- ``midterm.md`` and ``final.md``: the practice exams that the bank's code draws with a fixed
  seed (``questions.exams.practice_exam``), the answer key collapsed at the end.

The pages are committed; ``python -m export.studyaids sync`` rewrites them and a test checks that
they match the bank.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from export import ROOT
from questions import PRACTICE_EXAMS, Bank, Chapter, Question, practice_exam

FOLDER = Path("book/study")
GENERATED = "<!-- Generated from book/questions/ by `python -m export.studyaids sync`. -->"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
KINDS = {"multichoice": "choose one", "multiselect": "choose all that apply",
         "truefalse": "true or false", "numerical": "a number",
         "shortanswer": "a word or phrase"}  # fmt: skip


def slug(text: str) -> str:
    """The anchor MyST gives a heading with this text (``heading_anchors``), as GitHub does."""
    from myst_parser.mdit_to_docutils.base import default_slugify

    return default_slugify(text.strip())


def chapter_link(chapter: Chapter, prefix: str = "../") -> str:
    """A Markdown link from a study page to the chapter's notebook."""
    return f"[{chapter.title}]({prefix}{chapter.chapter}.ipynb)"


def glossary(bank: Bank) -> str:
    """The glossary page: terms alphabetical, grouped by initial, each with its chapters."""
    entries: dict[str, list[tuple[str, str, Chapter]]] = defaultdict(list)
    for chapter in bank.chapters:
        for entry in chapter.glossary:
            entries[slug(entry.term)].append((entry.term, entry.definition.strip(), chapter))
    lines = ["---", "myst:", "  heading_anchors: 3", "---", GENERATED, "", "# Glossary", ""]
    lines.append(
        "The terms the chapters define, in alphabetical order; each entry names the chapter "
        "that defines it, and each chapter's self-check links its terms here."
    )
    initial = ""
    for key in sorted(entries, key=lambda k: (k.casefold(), k)):
        term = entries[key][0][0]
        if key[:1].upper() != initial:
            initial = key[:1].upper()
            lines += ["", f"## {initial}"]
        lines += ["", f"### {term}"]
        for _, definition, chapter in entries[key]:
            lines += ["", f"{definition} ({chapter_link(chapter)})"]
    return "\n".join(lines) + "\n"


def equations(bank: Bank) -> str:
    """The equation sheet: a section per chapter, each equation with its name and note."""
    lines = [GENERATED, "", "# Equation sheets", ""]
    lines.append(
        "The key equations of each chapter on one page, to print and keep beside you "
        "(print one section by selecting it)."
    )
    for chapter in bank.chapters:
        if not chapter.equations:
            continue
        lines += ["", f"## {chapter.title}", "", f"From {chapter_link(chapter)}."]
        for eq in chapter.equations:
            note = f": {eq.note.strip()}" if eq.note.strip() else ""
            lines += ["", f"**{eq.name}**{note}", "", "$$", eq.latex.strip(), "$$"]
    return "\n".join(lines) + "\n"


def _question(number: int, question: Question, source: str) -> list[str]:
    head = f"**{number}.** *({source}; {KINDS[question.type]})* {question.text.strip()}"
    lines = ["", head]
    if question.type in ("multichoice", "multiselect"):
        lines.append("")
        lines += [f"- ({LETTERS[i]}) {o.text.strip()}" for i, o in enumerate(question.options)]
    return lines


def answer(question: Question) -> str:
    """The answer as the key states it: the letters and texts of the correct options, true or
    false, the number (with its tolerance) or the accepted answers."""
    if question.type in ("multichoice", "multiselect"):
        chosen = [
            f"({LETTERS[i]}) {o.text.strip().rstrip('.')}"
            for i, o in enumerate(question.options)
            if o.correct
        ]
        return "; ".join(chosen)
    if question.type == "truefalse":
        return "True" if question.answer else "False"
    if question.type == "numerical":
        tolerance = f" (± {question.tolerance:g})" if question.tolerance else ""
        return f"{question.answer:g}{tolerance}"
    return " or ".join(question.answers)


def exam(name: str, bank: Bank) -> str:
    """A practice exam's page: its questions, then its answer key, collapsed."""
    drawn = practice_exam(name, bank)
    spec = drawn.spec
    covers = ", ".join(chapter_link(c) for c in drawn.chapters)
    lines = [GENERATED, "", f"# {spec.title}", ""]
    lines.append(
        f"{len(drawn.items)} questions on {covers}, drawn from the book's question bank with a "
        f"fixed seed ({spec.seed}), so everyone gets the same exam. Answer on paper first; the "
        "answer key with the explanations is at the end of the page."
    )
    lines += ["", "## Questions"]
    for item in drawn.items:
        lines += _question(item.number, item.question, item.chapter_title)
    lines += ["", "## Answer key", "", '<details class="exam-answers">']
    lines += ["<summary>Show the answers</summary>"]
    for item in drawn.items:
        explanation = " ".join(item.question.explanation.split())
        stated = answer(item.question)
        stop = "" if stated.endswith((".", "?", "!")) else "."
        lines += ["", f"**{item.number}.** {stated}{stop} {explanation}"]
    return "\n".join(lines + ["", "</details>"]) + "\n"


def pages(bank: Bank) -> dict[Path, str]:
    """Every study page (path relative to the root) with its text."""
    out = {FOLDER / "glossary.md": glossary(bank), FOLDER / "equations.md": equations(bank)}
    for name in PRACTICE_EXAMS:
        if not exam_gap(name, bank):
            out[FOLDER / f"{name}.md"] = exam(name, bank)
    return out


def exam_gap(name: str, bank: Bank) -> str:
    """Why the practice exam ``name`` cannot be drawn from ``bank`` yet ("" when it can)."""
    try:
        practice_exam(name, bank)
    except (LookupError, ValueError) as error:
        return f"{name}: {error}"
    return ""


def write_all(bank: Bank, root: Path = ROOT) -> list[Path]:
    """Write the study pages that differ from the bank's; the paths written."""
    written = []
    for path, text in pages(bank).items():
        target = root / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(path)
    return written
