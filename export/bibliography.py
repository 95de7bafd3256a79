"""The works of ``references.bib`` as plain text: author-year citations and reference entries.

The book's own pages cite through sphinxcontrib-bibtex (``bibtex_reference_style: author_year``);
the slides and the notebooks of the public copy, which no Sphinx renders, use these functions for
the same text: ``cite("p", "vaswani2017attention, devlin2018bert")`` is "(Vaswani et al., 2017;
Devlin et al., 2019)", ``cite("t", "vaswani2017attention")`` is "Vaswani et al. (2017)".
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pybtex.backends.plaintext import Backend as PlainText
from pybtex.database import Entry, Person, parse_file
from pybtex.richtext import Text

from export import ROOT

BIB = ROOT / "references.bib"
MAX_AUTHORS = 10
"""A reference entry names this many authors at most, then "et al."."""

VENUE_FIELDS = ("journal", "booktitle", "howpublished", "publisher", "institution", "school")


class UnknownCitation(ValueError):
    """A citation names a key that ``references.bib`` does not hold."""


@cache
def entries(path: Path = BIB) -> dict[str, Entry]:
    """key -> entry of the bibliography file."""
    return dict(parse_file(str(path), "bibtex").entries)


@cache
def plain(latex: str) -> str:
    """LaTeX of a bib field as the text it prints: ``{\\"u}`` is ü, ``{VQA}`` is VQA."""
    # rendered with one backend: ``render_as`` looks its plugin up among the entry points of
    # every installed package, each time (0.1 s a field, minutes for the public copy)
    return Text.from_latex(latex).render(_PLAIN_TEXT)


_PLAIN_TEXT = PlainText()


def entry(key: str) -> Entry:
    """The entry of ``key``; UnknownCitation, naming the key and the file, if there is none."""
    found = entries().get(key)
    if found is None:
        raise UnknownCitation(f"unknown citation key {key!r}: {BIB.name} has no entry {key!r}")
    return found


def split_keys(keys: str) -> list[str]:
    """The keys of a citation's text (``"a, b"``); ValueError if one is empty."""
    found = [k.strip() for k in keys.split(",")]
    if not all(found):
        raise UnknownCitation(f"a citation with an empty key: {keys!r}")
    return found


def _people(item: Entry) -> list[Person]:
    return list(item.persons.get("author") or item.persons.get("editor") or [])


def _last(person: Person) -> str:
    return plain(" ".join(person.prelast_names + person.last_names))


def label(key: str) -> tuple[str, str]:
    """(authors, year) of a citation: "Vaswani et al.", "Kingma and Ba" or "LeCun"."""
    item = entry(key)
    last = [_last(p) for p in _people(item)]
    names = f"{last[0]} et al." if len(last) > 2 else " and ".join(last) or key
    return names, item.fields.get("year", "n.d.")


def cite(kind: str, keys: str) -> str:
    """A ``{cite:p}`` (``kind="p"``) or ``{cite:t}`` (``kind="t"``) citation as text."""
    found = [label(k) for k in split_keys(keys)]
    if kind == "t":
        return "; ".join(f"{names} ({year})" for names, year in found)
    if kind == "p":
        return "(" + "; ".join(f"{names}, {year}" for names, year in found) + ")"
    raise ValueError(f"a citation is p (parenthetical) or t (textual), not {kind!r}")


def _full_name(person: Person) -> str:
    first = " ".join(person.first_names + person.middle_names)
    return plain(" ".join(filter(None, [first, _last(person)])))


def _authors(item: Entry) -> str:
    names = [_full_name(p) for p in _people(item)]
    if len(names) > MAX_AUTHORS:
        return ", ".join(names[:MAX_AUTHORS]) + " et al."
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""


def link(item: Entry) -> str:
    """The entry's address: its DOI, else its URL, else its arXiv page; "" if none."""
    fields = item.fields
    if fields.get("doi"):
        return f"https://doi.org/{fields['doi']}"
    if fields.get("url"):
        return fields["url"]
    if fields.get("eprint") and "arxiv" in fields.get("archiveprefix", "arXiv").lower():
        return f"https://arxiv.org/abs/{fields['eprint']}"
    return ""


def reference(key: str) -> str:
    """The markdown of ``key``'s entry in a reference list: authors (year). Title. *Venue*,
    volume, pages. Address."""
    item = entry(key)
    fields = {name.lower(): value for name, value in item.fields.items()}
    text = f"{_authors(item) or key} ({fields.get('year', 'n.d.')}). {plain(fields['title'])}."
    venue = next((plain(fields[f]) for f in VENUE_FIELDS if fields.get(f)), "")
    details = [f"*{venue}*"] if venue else []
    if fields.get("volume"):
        details.append(fields["volume"] + (f"({fields['number']})" if fields.get("number") else ""))
    if fields.get("pages"):
        details.append(fields["pages"].replace("--", "–"))
    if details:
        text += " " + ", ".join(details) + "."
    address = link(item)
    text = re.sub(r"\s+", " ", text.replace("\\", ""))
    return f"{text} <{address}>" if address else text
