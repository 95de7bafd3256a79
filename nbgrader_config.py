"""nbgrader configuration of the course: the repository itself is the course directory.

Instructors edit the source notebooks in ``solutions/<id>/``; ``make assignments`` generates the
student versions into ``assignments/<id>/``; ``make grade A=<id>`` autogrades submissions.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # nbgrader loads the feedback preprocessor from grading/
    sys.path.insert(0, str(ROOT))

ASSIGNMENTS = ["a1_cnn", "a2_rnn", "a3_transformer", "a4_generative"]
"""The course's four assignments, in release order."""

DEADLINES = {
    "a1_cnn": {"due": "2026-10-09T23:59:00+09:00", "penalty_per_day": 10, "cutoff_days": 3},
    "a2_rnn": {"due": "2026-10-23T23:59:00+09:00", "penalty_per_day": 10, "cutoff_days": 3},
    "a3_transformer": {"due": "2026-11-13T23:59:00+09:00", "penalty_per_day": 10, "cutoff_days": 3},
    "a4_generative": {"due": "2026-12-11T23:59:00+09:00", "penalty_per_day": 10, "cutoff_days": 3},
}
"""Due dates and late penalties per assignment (see grading/intake/deadlines.py): 10 % of the
score off per started day late, 0 after three days. ``"graded": "last"`` grades the last
submission even when late; by default the last one before the deadline is graded.

Fall 2026: week 1 of intro.md's schedule starts on Monday, September 7, so that the midterm
(October 30) falls on Friday of week 8 and the final (December 18) on Friday of week 15. Each
assignment is due on Friday of the last week of its topic, at 23:59 KST: A1 week 5, A2 week 7
(its cut-off a few days before the midterm), A3 week 10, A4 week 14 (its cut-off before the
final). ``python -m grading release`` writes these dates into each assignment's "Before you
start" cell (grading/publish/handin_block.py); a test fails when the two disagree."""

CANVAS_ASSIGNMENT_IDS = {}
"""Canvas's id of each assignment (``{"a1_cnn": 12345}``), for the column of the Canvas export."""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "itm528"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "data"]

# Student versions: solution blocks become this stub.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding runs in the grading engine's sandbox (grading/run/), with its own limits
# (grading/run/sandbox.py: Limits; `python -m grading grade --help`), not in nbgrader's Execute.
c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and graded
c.LimitOutput.max_lines = 1000

# Feedback shows what each test expected and got, never the hidden tests' source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grading.outputs.feedback.RedactHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
