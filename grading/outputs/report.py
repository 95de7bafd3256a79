"""The class report, ``grades/<assignment>.html``: the page an instructor opens first.

One self-contained page (figures as base64 PNG, CSS inline, no script, nothing fetched) read from
``grades/<assignment>.csv``, the autograded notebooks ``autograded/<student>/<assignment>/`` and
the release: a summary, the histogram of totals, each part's score distribution and pass rate,
each test cell's most frequent failures (grouped with their numbers normalised), similar pairs of
submissions (copydetect, template removed) with their matching code side by side, the time per
submission, every note by student, and the CSV itself as a table.

``write(assignment)`` after each grading run; by hand:
``python -m grading.outputs.report <assignment>``.
"""

from __future__ import annotations

import argparse
import html
import os
from datetime import datetime
from pathlib import Path

from grading import cells, course
from grading.outputs import report_data, report_figures, similarity, table
from grading.outputs.report_data import FailureGroup, PartStats
from grading.outputs.table import Row

TOP_FAILURES = 8
"""Kinds of failure shown per test cell (the rest are counted)."""
NAMES_SHOWN = 12
"""Students named per kind of failure (the rest are counted)."""
CLOSEST_UNFLAGGED = 5
"""Pairs below the similarity threshold shown for calibration."""
SLOWEST = 10
EXCERPTS = 40
"""Flagged pairs shown with their matching code (all are in the table)."""

CSS = (Path(__file__).parent / "report.css").read_text()
"""The report's style sheet, inlined so that the page is one file."""


def _e(value: object) -> str:
    return html.escape(str(value))


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _table(header: list[str], rows: list[list[str]], css_id: str = "", numeric=()) -> str:
    """A table of already escaped cells; columns in ``numeric`` are right-aligned."""
    attr = f' id="{css_id}"' if css_id else ""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )  # fmt: skip
        + "</tr>"
        for row in rows
    )
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _names(students: list[str]) -> str:
    shown = ", ".join(_e(s) for s in students[:NAMES_SHOWN])
    more = len(students) - NAMES_SHOWN
    return shown + (f" <span class=muted>and {more} more</span>" if more > 0 else "")


def _summary(rows, stats, pairs, missing, max_score) -> str:
    totals = [r.score for r in rows]
    final = any(r.values.get("final_score") for r in rows)
    seconds = [r.seconds for r in rows if r.seconds is not None]
    mean = sum(totals) / len(totals) if totals else None
    cards = [
        ("submissions", str(len(rows))),
        (f"mean{' final score' if final else ''} (of {_num(max_score)})", _num(mean)),
        ("median", _num(report_data.median(totals))),
        ("flagged pairs", str(len(pairs))),
        ("awaiting manual grade", str(sum(r.needs_manual_grade for r in rows))),
        ("with notes", str(sum(bool(r.notes.strip()) for r in rows))),
        ("median seconds", _num(report_data.median(seconds))),
    ]
    html_cards = "".join(
        f'<div class="card" data-key="{_e(k)}"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in cards
    )
    part_rows = [
        [_e(s.part.grade_id), _num(s.part.points), "written" if s.part.manual else "test",
         _num(s.mean, 2), _rate(s.pass_rate), str(s.passed), str(len(s.scores)), str(s.awaiting)]
        for s in stats
    ]  # fmt: skip
    header = ["part", "points", "kind", "mean", "pass rate", "full points", "scored", "awaiting"]
    text = ""
    if missing:
        text = (f"<p>No readable autograded notebook (counted in the totals, not in failures or "
                f"similarity): {_names(missing)}</p>")  # fmt: skip
    return (
        f'<section id="summary"><div class="cards">{html_cards}</div>{text}'
        f"<p class=muted>Pass rate: the share of students with a part's full points, among those "
        f"with a score for it.</p>"
        f"{_table(header, part_rows, 'parts-table', numeric=(1, 3, 4, 5, 6, 7))}</section>"
    )


def _parts(stats: list[PartStats]) -> str:
    figures = "".join(report_figures.part_distribution(s) for s in stats)
    return f'<section id="parts"><h2>Parts</h2><div class="parts">{figures}</div></section>'


def _failure_table(groups: list[FailureGroup]) -> str:
    rows = []
    for g in groups[:TOP_FAILURES]:
        examples = "".join(f"<li><code>{_e(x)}</code></li>" for x in g.examples[:5])
        variants = (f"<details><summary>{len(g.examples)} distinct messages</summary>"
                    f"<ul>{examples}</ul></details>") if len(g.examples) > 1 else ""  # fmt: skip
        pattern = f'<code class="pattern">{_e(g.pattern)}</code>{variants}'
        rows.append([str(len(g.students)), pattern, _names(g.students)])
    table = _table(["students", "failure (numbers as #)", "who"], rows, numeric=(0,))
    rest = groups[TOP_FAILURES:]
    if rest:
        n = len({s for g in rest for s in g.students})
        table += f"<p class=muted>{len(rest)} other kinds of failure, {n} students.</p>"
    return table


def _failures(stats, groups) -> str:
    out = ['<section id="failures"><h2>Most frequent failures per test cell</h2>']
    for s in stats:
        if s.part.manual:
            continue
        gid = s.part.grade_id
        found = groups.get(gid, [])
        out.append(f'<h3 id="failures-{_e(gid)}">{_e(gid)}</h3>')
        out.append(_failure_table(found) if found else "<p class=muted>No error output.</p>")
    return "".join(out) + "</section>"


def _similarity(pairs, closest, compared: int) -> str:
    out = [
        '<section id="similarity"><h2>Similarity</h2>',
        f"<p>Solution code (answer cells and added cells) of {compared} submissions, the "
        f"release's code removed, compared pairwise with copydetect (names ignored, order "
        f"ignored); flagged at a similarity of {similarity.THRESHOLD:.0%} or more. Similarity: "
        f"the share of one submission's code found in the other. Read the code before "
        f"concluding anything.</p>",
    ]
    header = ["first", "second", "similarity (first, second)", "matched characters"]

    def row(p):
        flag = f"{p.similarity[0]:.0%}, {p.similarity[1]:.0%}"
        return [_e(p.first), _e(p.second), flag, str(p.overlap)]

    if pairs:
        out.append(_table(header, [row(p) for p in pairs], "flagged-pairs", numeric=(2, 3)))
    else:
        out.append('<p id="flagged-pairs">No pair reaches the threshold.</p>')
    for p in pairs[:EXCERPTS]:
        first, second = p.excerpts()
        out.append(
            f'<details class="pair"><summary><span class="flag">{_e(p.first)} and '
            f"{_e(p.second)}</span>: {p.score:.0%}</summary><div class=side>"
            f"<div><b>{_e(p.first)}</b><pre>{first}</pre></div>"
            f"<div><b>{_e(p.second)}</b><pre>{second}</pre></div></div></details>"
        )
    if len(pairs) > EXCERPTS:
        out.append(f"<p>Excerpts of the {EXCERPTS} most similar pairs only.</p>")
    if closest:
        out.append("<h3>Closest pairs below the threshold</h3>")
        out.append(_table(header, [row(p) for p in closest], "closest-pairs", numeric=(2, 3)))
    return "".join(out) + "</section>"


def _time(rows: list[Row]) -> str:
    timed = sorted((r for r in rows if r.seconds is not None), key=lambda r: -(r.seconds or 0))
    seconds = [r.seconds for r in timed if r.seconds is not None]
    if not seconds:
        return '<section id="time"><h2>Time per submission</h2><p>No times recorded.</p></section>'
    total = sum(seconds)
    slow = [[_e(r.student), _num(r.seconds)] for r in timed[:SLOWEST]]
    return (
        f'<section id="time"><h2>Time per submission</h2>'
        f"{report_figures.seconds_histogram(seconds)}"
        f"<p>{len(seconds)} timed, {_num(total)} s in all, median "
        f"{_num(report_data.median(seconds))} s, longest {_num(seconds[0])} s.</p>"
        f"<h3>Slowest</h3>{_table(['student', 'seconds'], slow, 'slowest', numeric=(1,))}</section>"
    )


def _notes(rows: list[Row]) -> str:
    noted = [[_e(r.student), _e(r.notes)] for r in rows if r.notes.strip()]
    body = _table(["student", "notes"], noted, "notes") if noted else "<p>No notes.</p>"
    return f'<section id="notes-section"><h2>Notes by student</h2>{body}</section>'


def _submissions(header: list[str], rows: list[Row]) -> str:
    values = [[_e(r.values.get(h, "")) for h in header] for r in rows]
    shown = _table([_e(h) for h in header], values, "submissions")
    return f'<section id="all"><h2>All submissions (the CSV)</h2>{shown}</section>'


def build(assignment: str, root: Path | None = None) -> str:
    """The report's HTML for ``assignment`` of the course in ``root`` (default: this one)."""
    root = root or course.ROOT
    csv_path = course.paths(root).grades(assignment)
    if not csv_path.exists():
        raise SystemExit(f"no {csv_path}: grade {assignment} first (make grade A={assignment})")
    release_path = course.paths(root).release(assignment)
    release = report_data.read_json(release_path)
    if release is None:
        raise SystemExit(f"{assignment}: no readable release notebook at {release_path}")
    graded = cells.parts(release)
    header, rows = table.read(csv_path, graded)
    graded = [p for p in graded if p.grade_id in header]
    rows.sort(key=lambda r: r.student)
    tests = {p.grade_id for p in graded if not p.manual}

    code, failed, missing = {}, {}, []
    autograded = course.paths(root).autograded_dir
    for row in rows:
        nb = report_data.read_json(report_data.notebook_path(autograded, row.student, assignment))
        if nb is None:
            missing.append(row.student)
            continue
        failed[row.student] = report_data.failures(nb, tests)
        code[row.student] = similarity.solution_code(nb, release)
    compared = similarity.compare(code, similarity.template_code(release))
    pairs = similarity.flagged(compared)
    shown = {(p.first, p.second) for p in pairs}
    closest = [p for p in compared if (p.first, p.second) not in shown][:CLOSEST_UNFLAGGED]
    stats = [report_data.part_stats(p, rows) for p in graded]
    max_score = next((r.max_score for r in rows if r.max_score is not None), None)
    if max_score is None:
        max_score = sum(p.points for p in graded) or None

    sections = [
        _summary(rows, stats, pairs, missing, max_score),
        '<section id="totals"><h2>Totals</h2>'
        f"{report_figures.totals_histogram([r.score for r in rows], max_score)}</section>",
        _parts(stats),
        _failures(stats, report_data.group_failures(failed)),
        _similarity(pairs, closest, len(code)),
        _time(rows),
        _notes(rows),
        _submissions(header, rows),
    ]
    nav = "".join(
        f'<a href="#{a}">{t}</a>'
        for a, t in [("parts", "Parts"), ("failures", "Failures"), ("similarity", "Similarity"),
                     ("time", "Time"), ("notes-section", "Notes"), ("all", "All submissions")]
    )  # fmt: skip
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(assignment)}: class report</title><style>{CSS}</style></head><body>"
        f"<h1>{_e(assignment)}: class report</h1>"
        f"<p class=muted>From grades/{_e(assignment)}.csv and the autograded notebooks, "
        f"{stamp}.</p><nav>{nav}</nav>{''.join(sections)}</body></html>\n"
    )


def write(assignment: str, root: Path | None = None) -> Path:
    """Write ``grades/<assignment>.html`` (replacing the old one at once) and return its path."""
    root = root or course.ROOT
    page = build(assignment, root)
    out = course.paths(root).grades(assignment, ".html")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grading.outputs.report", description=__doc__)
    parser.add_argument("assignment")
    parser.add_argument("--root", type=Path, help="the course directory (default: this one)")
    args = parser.parse_args(argv)
    out = write(args.assignment, args.root)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
