"""``python -m export slides`` writes the lecture slides; ``python -m export pdf`` the PDF book."""

from __future__ import annotations

import sys
import time

from export.book import BuildMissing

USAGE = "usage: python -m export slides|pdf"


def slides() -> None:
    from export import ROOT, SLIDES, deck

    decks = deck.write_all()
    for d in decks:
        print(f"{d.path.relative_to(ROOT)}: {len(d.slides)} slides")
    print(f"{len(decks)} decks; open {SLIDES / 'index.html'}")


def pdf() -> None:
    from export import pdf as printer

    result = printer.write_pdf()
    print(
        f"{result.path}: {result.pages} pages, {result.images} images, {result.formulas} formulas"
    )
    print(f"copied into the hosted book: {printer.HOSTED_PDF}")


def main(argv: list[str]) -> int:
    commands = {"slides": slides, "pdf": pdf}
    if len(argv) != 1 or argv[0] not in commands:
        print(USAGE, file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        commands[argv[0]]()
    except (BuildMissing, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
