"""What staff and students open runs nothing a submission wrote: its feedback page, rendered by
nbgrader's feedback template through the course's preprocessor, and the autograded notebook the
formgrader shows. Honest outputs (a plot, a printed table, an HTML table) survive."""

from __future__ import annotations

import base64
import copy
import io
import json
from pathlib import Path

import matplotlib
import nbgrader
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grading.outputs import safe_html, sanitize
from grading.outputs.feedback import RedactHiddenTests

matplotlib.use("Agg")

FORMGRADER = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
WRITTEN = (
    "## My answer\n\nThe shortcut adds $x$ to $F(x)$, so $\\partial y / \\partial x = 1 + F'$:"
    "\n\n| depth | accuracy |\n|---|---|\n| 8 | 0.91 |\n\n```python\ny = x + f(x)  # a < b\n```\n"
    "\nSee [the paper](https://arxiv.org/abs/1512.03385)."
)
TABLE = (
    "<div>\n<style scoped>\n    .dataframe tbody tr th { vertical-align: top; }\n</style>\n"
    '<table border="1" class="dataframe">\n  <thead>\n    <tr style="text-align: right;">\n'
    "      <th></th>\n      <th>loss</th>\n    </tr>\n  </thead>\n  <tbody>\n    <tr>\n"
    "      <th>0</th>\n      <td>0.693147</td>\n    </tr>\n  </tbody>\n</table>\n</div>"
)  # what a pandas DataFrame shows itself as


def feedback_page(nb) -> str:
    """The page nbgrader's feedback renders of ``nb``, through the course's preprocessor."""
    exporter = HTMLExporter(
        template_name="feedback",
        extra_template_basedirs=[str(FORMGRADER / "templates")],
        extra_template_paths=[str(FORMGRADER / "static/node_modules/bootstrap/dist/css")],
    )
    exporter.register_preprocessor(RedactHiddenTests(), enabled=True)
    resources = {
        "nbgrader": {"notebook": "a1_cnn", "score": 5.0, "max_score": 10.0, "late_penalty": 0}
    }
    return exporter.from_notebook_node(copy.deepcopy(nb), resources=resources)[0]


def plot_png() -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1, 2], [2.3, 1.1, 0.4])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def honest() -> object:
    png = plot_png()
    return new_notebook(cells=[
        new_markdown_cell(WRITTEN),
        new_code_cell("plt.plot(losses)", outputs=[
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"},
                       metadata={"image/png": {"width": 200}}),
        ]),
        new_code_cell("print(table)", outputs=[
            new_output("stream", name="stdout", text="epoch   loss\n    1  0.693\n    2  0.412\n"),
        ]),
    ])  # fmt: skip


def hostile() -> object:
    nb = new_notebook(cells=[
        new_markdown_cell("Answer <img src=x onerror=alert(1)> <script>alert(2)</script> "
                          "[click](javascript:alert(3)) <iframe src='https://x.org'></iframe>"
                          "<p style='display:none'>hidden</p> <form action=x><input></form>"),
        new_code_cell("display(...)", outputs=[
            new_output("display_data", data={"text/html": "<b>hi</b><script>alert(4)</script>"
                       '<a href="JaVaScRiPt:alert(5)">x</a><img src=y onerror="alert(6)">'}),
            new_output("display_data", data={"application/javascript": "alert(7)",
                                              "text/plain": "<Javascript object>"}),
            new_output("display_data", data={"image/svg+xml": "<svg onload=alert(8)></svg>"}),
            new_output("execute_result", execution_count=1,
                       data={"text/markdown": "<img src=z onerror=alert(9)>"}),
            new_output("display_data", data={"application/vnd.jupyter.widget-view+json":
                                              {"model_id": "m", "version_major": 2}}),
            new_output("display_data", data={"image/png": 'x" onerror="alert(10)'}),
            new_output("display_data", data={"text/html": "<!-- --!><script>alert(13)</script>"}),
        ]),
        new_markdown_cell("```mermaid\n<img src=m onerror=alert(14)>\n```"),
    ])  # fmt: skip
    nb.cells[0].metadata["nbgrader"] = {
        "grade": True, "solution": True, "points": 1, "score": 0.5,
        "grade_id": 'w"><script>alert(11)</script>',
        "comment": "<img src=c onerror=alert(12)>",
    }  # fmt: skip
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


@pytest.fixture(scope="module")
def template_page() -> str:
    """The page of an empty notebook: the template's own scripts and style sheets."""
    return feedback_page(new_notebook())


def test_the_feedback_page_runs_nothing_a_submission_wrote(template_page):
    page = feedback_page(hostile())
    assert "alert(" not in page and "onerror=" not in page.lower()
    assert page.count("<script") == template_page.count("<script")  # MathJax, jQuery: its own
    assert page.lower().count("javascript:") == template_page.lower().count("javascript:")
    for tag in ("<iframe", "<form", "<input", "<svg", "display:none"):
        assert page.count(tag) == template_page.count(tag), tag
    assert "<b>hi</b>" in page and "click" in page and "Answer" in page  # the text stays
    assert "[output removed: image/svg+xml" in page and "&lt;Javascript object&gt;" in page


def test_honest_outputs_and_written_answers_survive(template_page):
    nb = honest()
    before = copy.deepcopy(nb)
    assert sanitize.notebook(nb) == [] and nb == before  # nothing honest is touched
    page = feedback_page(honest())
    assert before.cells[1].outputs[0].data["image/png"] in page and 'width="200"' in page
    assert "epoch   loss" in page and "<td>" in page
    assert '<a href="https://arxiv.org/abs/1512.03385">' in page


def test_a_pandas_table_keeps_its_cells_and_loses_its_style():
    nb = new_notebook(cells=[new_code_cell("df", outputs=[
        new_output("execute_result", execution_count=1, data={"text/html": TABLE}),
    ])])  # fmt: skip
    notes = sanitize.notebook(nb)
    cleaned = nb.cells[0].outputs[0].data["text/html"]
    assert "<td>0.693147</td>" in cleaned and "<th>loss</th>" in cleaned
    assert "<style" not in cleaned and "style=" not in cleaned and "vertical-align" not in cleaned
    assert notes == [
        "cell 1: output 1: removed from its HTML: <style>, class= on <table>, style= on <tr>"
    ]


def test_the_autograded_notebook_is_inert_and_the_notes_say_what_went(tmp_path):
    nb = hostile()
    notes = sanitize.notebook(nb)
    text = json.dumps(nb)
    for active in ("<script", "onerror", "javascript:", "<iframe", "<svg", "widget-state"):
        assert active not in text.lower(), active
    assert "the notebook's widget state was removed" in notes
    assert any("application/javascript removed" in n for n in notes)
    assert any("image/svg+xml removed" in n for n in notes)
    assert any(
        "onerror= on <img>" in n and n.startswith("cell 1 ('w_script_alert_11_script_')")
        for n in notes
    )
    assert sanitize.notebook(nb) == []  # a second pass finds nothing left


def test_markup_that_cannot_render_is_shown_as_plain_text():
    nb = new_notebook(cells=[new_markdown_cell("![plot](attachment:missing.png) ```` x")])
    notes = sanitize.notebook(nb)
    assert notes == ["cell 1: removed from the text: markup the page could not render"]
    assert nb.cells[0].source.startswith("`````text\n")
    assert "plot" in feedback_page(nb)  # the page renders instead of failing


def test_only_raster_images_with_their_own_bytes_are_kept():
    assert safe_html.clean('<img src="data:image/png;base64,iVBO">') == (
        '<img src="data:image/png;base64,iVBO">'
    )
    for src in ("https://x.org/t.png", "data:image/svg+xml;base64,PHN2Zz4=", "file:///etc/x"):
        assert safe_html.clean(f'<img src="{src}">') == "<img>"
    assert safe_html.clean('<p class="hidden">x</p>') == "<p>x</p>"  # a page class can hide
