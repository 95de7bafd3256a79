"""Feedback that shows students what each test expected and got, never the hidden tests.

nbgrader's feedback page renders the autograded notebook, hidden tests included. This
preprocessor (configured in nbgrader_config.py) removes the hidden regions from every cell and
reduces each error in a test cell to its message, so that a traceback cannot quote hidden code.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
PLACEHOLDER = "# (hidden tests: their results are shown below)"


def redact_source(source: str) -> str:
    """``source`` with every hidden-test region replaced by one placeholder line."""
    lines, hidden = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
            lines.append(line[: line.index(BEGIN)] + PLACEHOLDER)
        elif END in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests from sources and tracebacks in the feedback."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        had_hidden = BEGIN in cell.source
        cell.source = redact_source(cell.source)
        if had_hidden or cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [
                        f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                    ]
        return cell, resources
