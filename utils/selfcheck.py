"""A chapter's self-check: questions answered in the page itself, offline.

``quiz(bank)`` returns an object that Jupyter, Colab and the built book display as HTML with an
inline script (no external files): pick an option or type a number, press *Check*, and the page
says right or wrong, shows the feedback of the chosen options and the explanation. Where no
script runs, its plain text lists the questions and, at the end, the answers; its Markdown lists
the questions only (the slides show that). ``bank`` is one chapter of the question bank
(``book/questions/<chapter>.yml``): a title and its questions.

Question and option texts are Markdown (paragraphs, lists, code, ``**bold**``, ``*italic*``,
links); math in ``$...$`` is written out as ``\\(...\\)`` for MathJax, everything else is escaped.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

TOKEN_RE = re.compile(r"(`+)(.+?)\1|\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)(.+?)(?<![\\\s])\$", re.S)
LIST_RE = re.compile(r"^(?:[-*]|\d+\.)\s+")
KINDS = {
    "multichoice": "choose one",
    "multiselect": "choose all that apply",
    "truefalse": "true or false",
    "numerical": "type a number",
    "shortanswer": "type a word or phrase",
}
LETTERS = "abcdefghijklmnopqrstuvwxyz"
CSS = """.selfcheck{border:1px solid #ccd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.selfcheck .sc-q{margin:0 0 1.2em}.selfcheck fieldset{border:0;margin:.3em 0;padding:0}
.selfcheck label{display:block;margin:.15em 0;cursor:pointer}
.selfcheck .sc-kind{color:#666;font-size:90%}.selfcheck input[type=text]{width:12em}
.selfcheck .sc-right{color:#1a7f37;font-weight:bold}
.selfcheck .sc-wrong{color:#b3261e;font-weight:bold}
.selfcheck .sc-feedback,.selfcheck .sc-explanation{border-left:3px solid #ccd;
  padding-left:.6em;margin:.3em 0}"""
SCRIPT = """(() => {
  const root = document.getElementById(%s);
  if (!root) return;
  const norm = s => s.trim().toLowerCase().replace(/\\s+/g, " ");
  const number = s => {
    s = s.trim().replace(/[\\s_]/g, "");
    s = /^-?\\d{1,3}(,\\d{3})+(\\.\\d+)?$/.test(s) ? s.replace(/,/g, "") : s.replace(",", ".");
    return s === "" ? NaN : Number(s);
  };
  const grade = q => {
    const inputs = [...q.querySelectorAll("input")];
    if (q.dataset.type === "numerical") {
      const x = number(inputs[0].value), answer = Number(inputs[0].dataset.answer);
      if (Number.isNaN(x)) return null;
      return Math.abs(x - answer) <= Number(inputs[0].dataset.tolerance) + 1e-9 * Math.abs(answer);
    }
    if (q.dataset.type === "shortanswer") {
      if (!inputs[0].value.trim()) return null;
      return JSON.parse(inputs[0].dataset.answers).map(norm).includes(norm(inputs[0].value));
    }
    const chosen = inputs.filter(b => b.checked).map(b => b.value);
    if (!chosen.length) return null;
    for (const f of q.querySelectorAll(".sc-feedback")) {
      f.hidden = !chosen.includes(f.dataset.option);
    }
    return inputs.every(b => b.checked === (b.dataset.correct === "1"));
  };
  const check = q => {
    const ok = grade(q), verdict = q.querySelector(".sc-verdict");
    verdict.hidden = false;
    verdict.className = "sc-verdict" + (ok === null ? "" : ok ? " sc-right" : " sc-wrong");
    verdict.textContent =
      ok === null ? "Choose or type an answer first." : ok ? "Right." : "Not quite.";
    q.querySelector(".sc-explanation").hidden = ok === null;
  };
  root.addEventListener("click", e => {
    const button = e.target.closest(".sc-check");
    if (button) check(button.closest(".sc-q"));
  });
  root.addEventListener("keydown", e => {
    if (e.key === "Enter" && e.target.matches("input[type=text]")) {
      e.preventDefault();
      check(e.target.closest(".sc-q"));
    }
  });
  const mathjax = window.MathJax;  // typeset here where MathJax is loaded already (Jupyter)
  if (mathjax && mathjax.typesetPromise) mathjax.typesetPromise([root]).catch(() => {});
})();"""


def inline(text: str) -> str:
    """One line of Markdown as HTML: code spans, math for MathJax, bold, italic, links."""
    out, last = [], 0
    for match in TOKEN_RE.finditer(text):
        out.append(_emphasis(html.escape(text[last : match.start()], quote=False)))
        code, display, math = match.group(2), match.group(3), match.group(4)
        if code is not None:
            out.append(f"<code>{html.escape(code.strip(), quote=False)}</code>")
        elif display is not None:
            out.append(f"\\[{html.escape(display.strip(), quote=False)}\\]")
        else:
            out.append(f"\\({html.escape(math, quote=False)}\\)")
        last = match.end()
    out.append(_emphasis(html.escape(text[last:], quote=False)))
    return "".join(out).replace("\\$", "$")


def _emphasis(escaped: str) -> str:
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped, flags=re.S)
    escaped = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", escaped)
    link = r"\[([^\]]+)\]\(((?:https?://|\.{0,2}/|#)[^)\s\"]*)\)"
    return re.sub(link, r'<a href="\2">\1</a>', escaped)


def markdown(text: str) -> str:
    """A few paragraphs of Markdown as HTML: fenced code, bullet and numbered lists, paragraphs."""
    blocks, lines = [], str(text).strip("\n").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("```"):
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), len(lines)
            )
            code = html.escape("\n".join(lines[i + 1 : end]), quote=False)
            blocks.append(f"<pre><code>{code}</code></pre>")
            i = end + 1
            continue
        j = i
        while j < len(lines) and lines[j].strip() and not lines[j].lstrip().startswith("```"):
            j += 1
        if j > i:
            blocks.append(_paragraph(lines[i:j]))
        i = max(j, i + 1)
    return "\n".join(blocks)


def flow(text: object) -> str:
    """Markdown without blocks (one paragraph) as inline HTML; with blocks, as :func:`markdown`."""
    text = str(text).strip()
    if "\n\n" in text or "```" in text or LIST_RE.match(text):
        return markdown(text)
    return inline(" ".join(text.splitlines()))


def _paragraph(lines: list[str]) -> str:
    if not LIST_RE.match(lines[0]):
        return f"<p>{inline(' '.join(s.strip() for s in lines))}</p>"
    items: list[str] = []
    for line in lines:
        if LIST_RE.match(line):
            items.append(LIST_RE.sub("", line, count=1))
        else:
            items[-1] += " " + line.strip()
    tag = "ul" if lines[0].lstrip()[0] in "-*" else "ol"
    return f"<{tag}>" + "".join(f"<li>{inline(s)}</li>" for s in items) + f"</{tag}>"


def options(question: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The question's options (text, correct, feedback); true/false questions get two."""
    if question["type"] == "truefalse":
        truth = bool(question["answer"])
        return [
            {"text": "True", "correct": truth, "feedback": question.get("feedback_true", "")},
            {"text": "False", "correct": not truth, "feedback": question.get("feedback_false", "")},
        ]
    return [dict(o) for o in question.get("options", [])]


def answer_text(question: Mapping[str, Any]) -> str:
    """The right answer in words (Markdown): the correct options, the number or the phrases."""
    kind = question["type"]
    if kind == "numerical":
        tolerance = question.get("tolerance", 0)
        return f"{question['answer']}" + (f" (± {tolerance})" if tolerance else "")
    if kind == "shortanswer":
        return " / ".join(str(a) for a in question["answers"])
    chosen = enumerate(options(question))
    return "; ".join(
        f"{LETTERS[i]}) {str(o['text']).strip().rstrip('.')}" for i, o in chosen if o["correct"]
    )


def _choices(question: Mapping[str, Any], name: str) -> str:
    kind = "checkbox" if question["type"] == "multiselect" else "radio"
    parts = []
    for i, o in enumerate(options(question)):
        flag = "1" if o["correct"] else "0"
        parts.append(
            f'<label><input type="{kind}" name="{name}" value="{i}" data-correct="{flag}"> '
            f"{LETTERS[i]}) {flow(o['text'])}</label>"
        )
    feedback = "".join(
        f'<div class="sc-feedback" data-option="{i}" hidden>{LETTERS[i]}) '
        f"{flow(o.get('feedback', ''))}</div>"
        for i, o in enumerate(options(question))
    )
    return f"<fieldset>{''.join(parts)}</fieldset>{feedback}"


def _entry(question: Mapping[str, Any], name: str) -> str:
    if question["type"] == "numerical":
        data = f'data-answer="{question["answer"]}" data-tolerance="{question.get("tolerance", 0)}"'
        mode = 'inputmode="decimal"'
    else:
        accepted = html.escape(json.dumps([str(a) for a in question["answers"]]))
        data, mode = f'data-answers="{accepted}"', 'autocomplete="off"'
    return f'<p><input type="text" name="{name}" {mode} {data} aria-label="your answer"></p>'


def question_html(question: Mapping[str, Any], ident: str, number: int) -> str:
    """One question as a list item: text, options or a text field, Check, verdict, feedback."""
    name = f"{ident}-q{number}"
    typed = question["type"] in ("numerical", "shortanswer")
    body = _entry(question, name) if typed else _choices(question, name)
    return (
        f'<li class="sc-q" id="{name}" data-type="{question["type"]}">'
        f'{markdown(str(question["text"]))}<p class="sc-kind">({KINDS[question["type"]]})</p>'
        f'{body}<p><button type="button" class="sc-check">Check</button> '
        f'<span class="sc-verdict" role="status" hidden></span></p>'
        f'<div class="sc-explanation" hidden><strong>Explanation.</strong> '
        f"{flow(question.get('explanation', ''))}</div></li>"
    )


def _key(questions: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<li>{inline(_stop(answer_text(q)))} {flow(q.get('explanation', ''))}</li>"
        for q in questions
    )
    title = "<p><strong>Answers to the self-check</strong></p>"
    return f'<div class="sc-key" hidden>{title}<ol>{rows}</ol></div>'


class SelfCheck:
    """A chapter's self-check as Jupyter shows it: HTML with its script, Markdown, plain text."""

    def __init__(self, title: str, questions: Sequence[Mapping[str, Any]], ident: str) -> None:
        self.title, self.questions, self.ident = title, list(questions), ident

    def _repr_html_(self) -> str:
        items = "\n".join(question_html(q, self.ident, n) for n, q in enumerate(self.questions, 1))
        return (
            f'<div class="selfcheck tex2jax_process mathjax_process" id="{self.ident}">\n'
            f"<style>{CSS}</style>\n<p><strong>Self-check: {inline(self.title)}</strong> "
            f"({len(self.questions)} questions): answer, then press <em>Check</em>.</p>\n"
            f"<ol>\n{items}\n</ol>\n{_key(self.questions)}\n"
            f"<noscript><style>#{self.ident} .sc-key{{display:block}}</style></noscript>\n"
            f"<script>{SCRIPT % json.dumps(self.ident)}</script>\n</div>"
        )

    def _repr_markdown_(self) -> str:
        lines = []
        for n, q in enumerate(self.questions, 1):
            choices = " · ".join(f"({LETTERS[i]}) {o['text']}" for i, o in enumerate(options(q)))
            kind = f"*({KINDS[q['type']]})*"
            text = _indent(str(q["text"]).strip(), 3)
            lines.append(f"{n}. {text}\n   {kind}: {choices}" if choices else f"{n}. {text} {kind}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        lines = [f"Self-check: {self.title} ({len(self.questions)} questions; answers at the end)"]
        for n, q in enumerate(self.questions, 1):
            lines += ["", f"{n}. " + _indent(str(q["text"]).strip(), 3), f"   ({KINDS[q['type']]})"]
            lines += [f"   {LETTERS[i]}) {o['text']}" for i, o in enumerate(options(q))]
        lines += ["", "Answers"]
        for n, q in enumerate(self.questions, 1):
            explanation = " ".join(str(q.get("explanation", "")).split())
            lines.append(f"{n}. {_stop(answer_text(q))} {explanation}")
        return "\n".join(lines)


def _stop(text: str) -> str:
    """``text`` ending in a full stop (or the question or exclamation mark it has)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


def quiz(bank: Mapping[str, Any] | str) -> SelfCheck:
    """The self-check of one chapter of the bank (a mapping, or the same as JSON text).

    Each call gets its own id (``selfcheck-`` and 8 hex digits), so two quizzes on one page never
    share an element id or a group of options.
    """
    data = json.loads(bank) if isinstance(bank, str) else bank
    questions = data.get("questions") or []
    unknown = [
        f"{q.get('id', '?')}: {q.get('type')!r}" for q in questions if q.get("type") not in KINDS
    ]
    if not questions or unknown:
        raise ValueError(f"self-check needs questions of the types {list(KINDS)}; got {unknown}")
    return SelfCheck(str(data.get("title", "")), questions, f"selfcheck-{secrets.token_hex(4)}")
