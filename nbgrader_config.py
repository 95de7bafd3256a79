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

DEADLINES = {}
"""Due dates and late penalties per assignment (see grading/intake/deadlines.py), e.g.
``{"a1_cnn": {"due": "2026-10-09T23:59:00+09:00", "penalty_per_day": 10, "cutoff_days": 3}}``:
10 % of the score off per started day late, 0 after three days. ``"graded": "last"`` grades the
last submission even when late; by default the last one before the deadline is graded."""

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
