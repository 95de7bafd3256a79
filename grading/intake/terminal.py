"""Text from submissions made safe to print on the instructor's terminal.

A file name, a folder name, a grade id or an exception message comes from a student, and a
terminal obeys the control characters in what it prints: ``ESC ]0;…BEL`` sets the window's
title, ``ESC [2J`` clears the screen, a carriage return overwrites the line, a bidi override
(U+202E) shows a name backwards. :func:`safe` writes each such character as visible text
(``\\x1b``, ``\\u202e``); newlines and tabs stay, and so does every letter of any script. Every
line the grader prints that holds such text goes through it.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 except tab and newline, DEL, C1 (CSI, OSC, ...)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidi marks, embeddings, overrides
)


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """``text`` with every control character written out (``\\x1b``), so that printing it
    cannot drive the terminal; printable text, newlines and tabs are kept as they are."""
    return _CONTROL.sub(_visible, str(text))
