"""The notebooks as Colab shows them (``export.colab``), on small strings, and the setup cell's
install: a failed one stops with one line, no traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import nbformat
import pytest

from export import bibliography, colab
from export import conventions as conv

FILES = {"book/01_introduction.ipynb", "book/00_pytorch_primer.ipynb", "book/figures/gan.svg",
         "book/study/glossary.md", "book/working_with_the_book.md", "intro.md"}  # fmt: skip
RELEASE = colab.Release(FILES, url="https://github.com/owner/book", tag="2026-fall.1")
RAW = "https://raw.githubusercontent.com/owner/book/2026-fall.1/"


def convert(text: str, path: str = "book/01_introduction.ipynb") -> str:
    return colab.markdown(textwrap.dedent(text), colab.Context(path, RELEASE))


# --- citations ------------------------------------------------------------------------------


def test_parenthetical_citation_of_several_works():
    text = convert("as shown {cite:p}`vaswani2017attention, devlin2018bert`.")
    assert text == "as shown (Vaswani et al., 2017; Devlin et al., 2019)."


def test_textual_citation_and_two_authors():
    assert convert("{cite:t}`vaswani2017attention` wrote") == "Vaswani et al. (2017) wrote"
    assert convert("{cite:t}`kingma2014adam`") == "Kingma and Ba (2015)"
    assert convert("{cite}`kingma2014adam`") == "(Kingma and Ba, 2015)"


def test_latex_in_names_becomes_letters():
    name, year = bibliography.label("hochreiter1997long")
    assert (name, year) == ("Hochreiter and Schmidhuber", "1997")
    assert "Jürgen Schmidhuber" in bibliography.reference("hochreiter1997long")


def test_unknown_key_is_a_clear_error():
    with pytest.raises(colab.ConversionError, match=r"book/01_introduction.ipynb.*'nosuch2020'"):
        convert("{cite:p}`vaswani2017attention, nosuch2020`")
    with pytest.raises(bibliography.UnknownCitation, match="references.bib has no entry"):
        bibliography.cite("p", "nosuch2020")


def test_the_works_cited_are_listed_at_the_end_in_order_of_first_citation():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# T\n\n{cite:t}`kingma2014adam` and {cite:p}`he2016deep`"),
        nbformat.v4.new_code_cell("x = '{cite:p}`he2016deep`'"),
        nbformat.v4.new_markdown_cell("again {cite:p}`kingma2014adam, vaswani2017attention`"),
    ])  # fmt: skip
    view = colab.view(nb, "book/01_introduction.ipynb", RELEASE)
    assert view.cells[1].source == nb.cells[1].source, "a code cell changed"
    assert "{cite" in nb.cells[0].source, "the notebook given was changed in place"
    last = view.cells[-1]
    assert last.metadata[colab.KEY] == "bibliography" and view.metadata[colab.KEY] == "2026-fall.1"
    entries = [ln for ln in last.source.splitlines() if ln.startswith("- ")]
    assert [e.split(" (")[0].split()[-1] for e in entries] == ["Ba", "Sun", "Polosukhin"]
    assert "Adam: A Method for Stochastic Optimization" in entries[0]
    assert "<https://" in entries[1]  # a DOI or URL where the entry has one
    with pytest.raises(colab.ConversionError, match="a Colab view already"):
        colab.view(view, "book/01_introduction.ipynb", RELEASE)


# --- figures, links and the rest of MyST ------------------------------------------------------


def test_figures_point_at_the_raw_file_at_the_release():
    assert convert("![A GAN](figures/gan.svg)") == f"![A GAN]({RAW}book/figures/gan.svg)"
    assert convert('<img src="figures/gan.svg" alt="x">') == (
        f'<img src="{RAW}book/figures/gan.svg" alt="x">'
    )
    assert convert("![x](data:image/png;base64,AAA)") == "![x](data:image/png;base64,AAA)"
    with pytest.raises(colab.ConversionError, match="image 'figures/missing.svg' is not in"):
        convert("![x](figures/missing.svg)")


def test_links_open_notebooks_in_colab_and_pages_on_github():
    text = convert("[the primer](00_pytorch_primer.ipynb) and [a](study/glossary.md#tensor)")
    assert conv.colab_url("book/00_pytorch_primer.ipynb") in text
    assert "(https://github.com/owner/book/blob/2026-fall.1/book/study/glossary.md#tensor)" in text
    assert convert("[x](https://example.org/a.md)") == "[x](https://example.org/a.md)"


def test_roles_become_their_text_or_a_link():
    assert convert("{doc}`working_with_the_book`") == (
        "[working_with_the_book](https://github.com/owner/book/blob/2026-fall.1/"
        "book/working_with_the_book.md)"
    )
    assert conv.colab_url("book/00_pytorch_primer.ipynb") in convert(
        "{doc}`the primer <00_pytorch_primer>`"
    )
    assert convert("{ref}`the loss <sec-loss>` and {ref}`sec-loss`") == "the loss and sec loss"
    assert convert("{eq}`eq-mse`, {term}`logit`, {math}`x^2`") == "(eq-mse), logit, $x^2$"
    assert convert("{numref}`Figure %s <fig-gan>`") == "Figure"


def test_directives_targets_labels_and_comments():
    text = convert("""\
        (sec-intro)=
        % a comment for the authors
        ```{note}
        Read the {cite:t}`kingma2014adam` paper.
        ```

        :::{admonition} Why it works
        :class: tip
        Because.
        :::

        ```{math}
        :label: eq-one
        a = b
        ```

        $$
        y = x
        $$ (eq-two)

        ```{figure} figures/gan.svg
        :name: fig-gan
        The generator and the critic.
        ```

        ```python
        # {cite:p}`not_a_key` stays inside code
        ```
        """)
    assert "> **Note**\n>\n> Read the Kingma and Ba (2015) paper." in text
    assert "> **Why it works**\n>\n> Because." in text and ":class:" not in text
    assert "$$\na = b\n$$" in text and ":label:" not in text
    assert "$$\ny = x\n$$\n" in text and "(eq-two)" not in text
    assert f"![The generator and the critic.]({RAW}book/figures/gan.svg)" in text
    assert "*The generator and the critic.*" in text
    assert "# {cite:p}`not_a_key` stays inside code" in text
    assert "(sec-intro)=" not in text and "a comment" not in text and "{" not in text[:200]


# --- the setup cell -------------------------------------------------------------------------


def test_setup_cell_installs_the_release_named_in_the_configuration():
    url, tag = conv.repository()[0], conv.release()
    source = conv.setup_source()
    assert f'RELEASE = "{tag}"' in source and f'"git+{url}@{{RELEASE}}"' in source
    assert "@main" not in source and "check=True" not in source
    assert conv.config()["repository"]["release"] == tag


@pytest.mark.parametrize("tag", ["", "main branch", "a..b", "-x", "v1.lock", "x/y"])
def test_a_release_that_is_no_plain_tag_is_refused(tag, monkeypatch):
    config = {**conv.config(), "repository": {**conv.config()["repository"], "release": tag}}
    monkeypatch.setattr(conv, "config", lambda: config)
    with pytest.raises(SystemExit, match="repository.release must name a git tag"):
        conv.release()


FAILING = """\
import sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")  # as on Colab
SOURCE = {source!r}
"""


def failing_setup(tmp_path) -> str:
    """The setup cell, installing from a folder that does not exist (pip fails)."""
    package = f'"git+{conv.repository()[0]}@{{RELEASE}}"'
    source = conv.setup_source()
    assert package in source
    return source.replace(package, repr(str(tmp_path / "no-such-repository")))


def test_a_failed_install_stops_with_one_line_and_no_traceback(tmp_path):
    script = FAILING.format(source=failing_setup(tmp_path)) + "exec(SOURCE)\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("Could not install") and conv.release() in lines[0]
    assert "online" in lines[0] and "course board" in lines[0]


def test_in_a_notebook_a_failed_install_stops_the_run_without_a_traceback(tmp_path):
    """IPython (Colab's kernel) shows SystemExit as one line and marks the cell failed, so that
    *Run all* stops there."""
    script = FAILING.format(source=failing_setup(tmp_path)) + textwrap.dedent("""\
        from IPython.core.interactiveshell import InteractiveShell
        result = InteractiveShell.instance().run_cell(SOURCE)
        print("FAILED" if isinstance(result.error_in_exec, SystemExit) else "RAN ON")
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert "FAILED" in result.stdout and "Traceback" not in output, output
    assert sum("Could not install" in ln for ln in output.splitlines()) == 1
    assert "utils.setup" not in output
