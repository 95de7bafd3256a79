"""The course's question bank: one YAML file per chapter in ``book/questions/`` (the format is in
``book/questions/README.md``), instructor-only exam questions in ``solutions/exam_bank/``.

- ``load_bank()`` reads and validates every file (``BankError`` lists each violation);
- ``check_answer(question)`` / ``run_check(problem)`` run a question's ``compute`` and a worked
  problem's ``check`` code;
- ``practice_exam("midterm" | "final")`` is a fixed, balanced draw with its answer key;
- ``python -m questions export`` (``make exam-bank``) writes Moodle XML, GIFT and Canvas QTI.
"""

from questions.bank import Bank, BankError, instructor_fragments, load_bank, notebook_stems
from questions.exams import PRACTICE_EXAMS, ExamItem, PracticeExam, answer_text, practice_exam
from questions.model import TYPES, Chapter, Option, Question, WorkedProblem
from questions.run import CodeError, check_answer, compute, run_check
from questions.validate import Problem

__all__ = [
    "PRACTICE_EXAMS",
    "TYPES",
    "Bank",
    "BankError",
    "Chapter",
    "CodeError",
    "ExamItem",
    "Option",
    "PracticeExam",
    "Problem",
    "Question",
    "WorkedProblem",
    "answer_text",
    "check_answer",
    "compute",
    "instructor_fragments",
    "load_bank",
    "notebook_stems",
    "practice_exam",
    "run_check",
]
