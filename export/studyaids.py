"""The question bank in the chapters: generated cells at the end of every chapter notebook.

For each chapter with a file in the bank (``book/questions/<stem>.yml``) ``sync`` writes

1. after the cell that holds the chapter's ``## Exercises``, a markdown cell with the answers to
   the exercises in a collapsed ``<details>`` block (closed until the reader opens it, in the
   book and in Colab);
2. at the end, a ``## Self-check`` markdown cell (with links to the glossary entries of the
   chapter's terms) and a code cell that shows the self-check (``utils.selfcheck.quiz``). The
   chapter's questions are in the cell itself, as JSON, so that a notebook opened alone in Colab
   has them, and so that the book build's cache executes the cell again whenever they change. The
   book hides the cell's code (``remove-input``), Colab shows it as a form (``cellView``).

Generated cells carry ``"studyaids"`` in their metadata; ``sync`` removes them and writes them
anew, touching no other cell, so running it twice changes nothing. It also writes the study pages
(``export.studypages``). Usage: ``python -m export.studyaids sync`` (``make sync-notebooks``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import nbformat

from export import ROOT, glossary_links, studypages
from questions import Bank, BankError, Chapter, Question, load_bank

KEY = "studyaids"  # the metadata key of a generated cell; its value says which one
COMMAND = "python -m export.studyaids sync"
QUESTION_FIELDS = ("id", "type", "text", "options", "answer", "tolerance", "answers",
                   "feedback_true", "feedback_false", "explanation")  # fmt: skip
QUIZ_TEMPLATE = '''\
# @title Self-check {{ display-mode: "form" }}
# Generated from book/questions/{stem}.yml by `{command}`: edit the YAML, not this cell.
SELF_CHECK = r"""
{data}
"""
utils.selfcheck.quiz(SELF_CHECK)'''
HEADING = """\
## Self-check

Answer each question, then press **Check**: the page says whether you are right, why, and what a \
wrong choice misses. Where the questions show no buttons (in a printout, say), the answers follow \
the questions."""


def question_data(question: Question) -> dict:
    """What the self-check needs of a question (its ``compute`` code stays in the bank)."""
    raw = asdict(question)
    out = {k: raw[k] for k in QUESTION_FIELDS if raw.get(k) not in (None, "", (), [])}
    out["type"] = question.type
    return out


def quiz_data(chapter: Chapter) -> dict:
    """What ``utils.selfcheck.quiz`` takes: the chapter's title and questions."""
    return {"title": chapter.title, "questions": [question_data(q) for q in chapter.questions]}


def quiz_source(chapter: Chapter) -> str:
    """The source of the chapter's self-check cell."""
    text = json.dumps(quiz_data(chapter), indent=1, ensure_ascii=False)
    return QUIZ_TEMPLATE.format(stem=chapter.chapter, command=COMMAND, data=text)


def heading_source(chapter: Chapter) -> str:
    """The ``## Self-check`` cell: what to do, and links to the glossary entries of the chapter."""
    links = [
        f"[{entry.term}](study/glossary.md#{studypages.slug(entry.term)})"
        for entry in chapter.glossary
    ]
    terms = (
        f"\n\nTerms defined in this chapter, in the glossary: {', '.join(links)}." if links else ""
    )
    return HEADING + terms


def answers_source(chapter: Chapter) -> str:
    """The collapsed answers to the chapter's exercises."""
    parts = ['<details class="exercise-answers">\n<summary>Answers to the exercises</summary>']
    for exercise in chapter.exercises:
        answer = exercise.answer.strip()
        starts_block = answer.startswith(("-", "*", "```", "$$", "1."))
        parts.append(
            f"**Exercise {exercise.number}.**" + ("\n\n" if starts_block else " ") + answer
        )
    return "\n\n".join(parts) + "\n\n</details>"


def _cell(kind: str, source: str, name: str, **metadata: object) -> nbformat.NotebookNode:
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source, metadata={KEY: name, **metadata})
    cell.id = f"{KEY}-{name}"  # fixed ids: a second sync writes the same notebook
    return cell


def generated_cells(chapter: Chapter) -> tuple[list, list]:
    """(the cells after the exercises, the cells at the end) of a chapter."""
    after = []
    if chapter.exercises:
        after.append(_cell("markdown", answers_source(chapter), "answers", slides="skip"))
    end = []
    if chapter.questions:
        end.append(_cell("markdown", heading_source(chapter), "heading"))
        tags = {"tags": ["remove-input"], "cellView": "form"}
        end.append(_cell("code", quiz_source(chapter), "quiz", **tags))
    return after, end


def exercises_index(cells: list) -> int:
    """The index of the cell with the ``## Exercises`` heading (the last cell when none has)."""
    found = [
        i
        for i, cell in enumerate(cells)
        if cell.cell_type == "markdown" and "## Exercises" in cell.source.splitlines()
    ]
    return found[-1] if found else len(cells) - 1


def apply(nb: nbformat.NotebookNode, chapter: Chapter | None) -> nbformat.NotebookNode:
    """``nb`` with its generated cells replaced by those of ``chapter`` (none when None)."""
    cells = [c for c in nb.cells if KEY not in c.metadata]
    if chapter is not None:
        after, end = generated_cells(chapter)
        at = exercises_index(cells) + 1
        cells = cells[:at] + after + cells[at:] + end
    nb.cells = cells
    return nb


def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """The chapter notebooks, ``book/NN_*.ipynb``, relative to ``root``."""
    return sorted(p.relative_to(root) for p in (root / "book").glob("[0-9][0-9]_*.ipynb"))


def sync_notebook(path: Path, bank: Bank, root: Path = ROOT) -> bool:
    """Write the generated cells of the notebook at ``path``; True if it changed."""
    nb = nbformat.read(root / path, as_version=4)
    before = nbformat.writes(nb)
    stems = {c.chapter for c in bank.chapters}
    chapter = bank.chapter(path.stem) if path.stem in stems else None
    apply(nb, chapter)
    if chapter is not None:
        glossary_links.link_terms(nb, chapter, KEY)
    changed = nbformat.writes(nb) != before
    if changed:
        nbformat.write(nb, root / path)
    return changed


def sync(root: Path = ROOT, bank: Bank | None = None) -> list[Path]:
    """Every chapter notebook and study page brought in line with the bank; what changed."""
    bank = bank if bank is not None else load_bank()
    changed = [p for p in chapter_notebooks(root) if sync_notebook(p, bank, root)]
    return changed + studypages.write_all(bank, root)


def main(argv: list[str]) -> int:
    if argv != ["sync"]:
        print(f"usage: {COMMAND}", file=sys.stderr)
        return 2
    try:
        bank = load_bank()
    except BankError as error:  # one line per problem; nothing is written
        print(f"error: {error}", file=sys.stderr)
        return 1
    changed = sync(ROOT, bank)
    for path in changed:
        print(f"updated {path.as_posix()}")
    for name in studypages.PRACTICE_EXAMS:
        if gap := studypages.exam_gap(name, bank):
            print(f"not written: the practice exam {gap}")
    print(f"{len(changed)} file(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
