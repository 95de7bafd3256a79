"""The question bank: every chapter file validates, every numerical answer is what its code
computes, every worked problem's check passes, and the validator catches what breaks the rules."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from questions import BankError, CodeError, check_answer, load_bank, notebook_stems, run_check
from questions.bank import PUBLIC, ROOT, chapter_files, read_chapter, read_folder
from questions.validate import bank_problems, chapter_problems, sentences
from tests import bank_fixture

FILES = chapter_files(ROOT, PUBLIC)
CHAPTERS = read_folder(ROOT, PUBLIC)[0]
NUMERICAL = [q for c in CHAPTERS for q in c.questions if q.type == "numerical"]
WORKED = [(c.chapter, w) for c in CHAPTERS for w in c.worked_problems]


def test_every_chapter_notebook_has_a_bank_file():
    assert len(notebook_stems()) == 9
    assert [p.stem for p in FILES] == notebook_stems()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_bank_file_validates(path: Path):
    chapter, problems = read_chapter(path)
    assert problems == []
    assert [str(p) for p in chapter_problems(chapter)] == []


def test_ids_are_unique_across_the_whole_bank():
    load_bank()  # BankError lists each id used twice, with both files


@pytest.mark.parametrize("question", NUMERICAL, ids=[q.id for q in NUMERICAL])
def test_numerical_answer_is_what_its_code_computes(question):
    assert check_answer(question).agrees


@pytest.mark.parametrize("chapter, problem", WORKED, ids=[w.id for _, w in WORKED])
def test_worked_problem_check_passes(chapter, problem):
    run_check(problem, chapter)


# The validator, on a small bank of its own


@pytest.fixture
def fixture_root(tmp_path: Path) -> Path:
    return bank_fixture.write_bank(tmp_path)


def test_fixture_bank_is_valid_and_its_code_agrees(fixture_root: Path):
    bank = load_bank(fixture_root)
    assert len(bank.chapters) == 9 and len(bank.instructor) == 1
    for q in bank.questions:
        if q.type == "numerical":
            assert check_answer(q).agrees, q.id
    for chapter in bank.chapters:
        for problem in chapter.worked_problems:
            run_check(problem, chapter.chapter)


def broken(root: Path, change) -> list[str]:
    """The problems of the bank at ``root`` after ``change`` edited chapter 1's content."""
    path = root / "book/questions" / f"{bank_fixture.STEMS[1]}.yml"
    content = bank_fixture.chapter(1, bank_fixture.STEMS[1])
    change(content)
    bank_fixture.write(path, content)
    with pytest.raises(BankError) as caught:
        load_bank(root)
    return str(caught.value).splitlines()[1:]


def question(content: dict, qid: str) -> dict:
    return next(q for q in content["questions"] if q["id"] == qid)


BROKEN = {
    "multichoice-two-correct": (
        lambda c: question(c, "c1-multichoice-0")["options"][1].update(correct=True),
        "c1-multichoice-0: multichoice needs exactly one correct option, has 2",
    ),
    "numerical-without-tolerance": (
        lambda c: question(c, "c1-num-half").pop("tolerance"),
        "c1-num-half: numerical needs `tolerance`",
    ),
    "negative-tolerance": (
        lambda c: question(c, "c1-num-half").update(tolerance=-0.1),
        "c1-num-half: numerical needs `tolerance` >= 0, has -0.1",
    ),
    "numerical-without-compute": (
        lambda c: question(c, "c1-num-int").pop("compute"),
        "c1-num-int: numerical needs `compute`",
    ),
    "duplicate-id": (
        lambda c: question(c, "c1-num-int").update(id="c1-num-half"),
        "c1-num-half: id already used in book/questions/01_topic1.yml",
    ),
    "id-used-in-another-chapter": (
        lambda c: question(c, "c1-num-int").update(id="c2-num-int"),
        "book/questions/02_topic2.yml: c2-num-int: id already used in book/questions/01_topic1.yml",
    ),
    "multiselect-one-correct": (
        lambda c: question(c, "c1-multiselect-0")["options"][1].update(correct=False),
        "c1-multiselect-0: multiselect needs >= 2 correct and >= 1 wrong options, has 1 and 3",
    ),
    "option-without-feedback": (
        lambda c: question(c, "c1-multichoice-1")["options"][2].pop("feedback"),
        "c1-multichoice-1: option 3 ('option 2 = {2}') has no feedback",
    ),
    "truefalse-without-feedback": (
        lambda c: question(c, "c1-tf-true").pop("feedback_false"),
        "c1-tf-true: truefalse needs both `feedback_true` and `feedback_false`",
    ),
    "truefalse-answer-not-bool": (
        lambda c: question(c, "c1-tf-false").update(answer="no way"),
        "c1-tf-false: truefalse needs `answer: true` or `answer: false`",
    ),
    "shortanswer-without-answers": (
        lambda c: question(c, "c1-short-0").update(answers=[]),
        "c1-short-0: shortanswer needs `answers`",
    ),
    "unknown-type": (
        lambda c: question(c, "c1-short-1").update(type="essay"),
        "c1-short-1: type 'essay' is not one of multichoice | multiselect",
    ),
    "long-explanation": (
        lambda c: question(c, "c1-short-1").update(explanation="One. Two. Three. Four."),
        "c1-short-1: `explanation` must have 1-3 sentences, has 4",
    ),
    "too-few-questions": (
        lambda c: c["questions"].pop(),
        "(chapter): 11 questions, at least 12 needed",
    ),
    "too-few-numerical": (
        lambda c: c["questions"].__setitem__(
            0, copy.deepcopy(question(c, "c1-short-1")) | {"id": "x"}
        ),
        "(chapter): 3 of 12 questions are numerical, at least a third needed",
    ),
    "two-worked-problems": (
        lambda c: c["worked_problems"].pop(),
        "(chapter): 2 worked problems, at least 3 needed",
    ),
    "worked-problem-without-check": (
        lambda c: c["worked_problems"][0].pop("check"),
        "c1-wp-0: worked problem lacks check",
    ),
    "exercises-out-of-order": (
        lambda c: c["exercises"].reverse(),
        "(chapter): exercises must be numbered 1..2 in order, are [2, 1]",
    ),
    "wrong-chapter-name": (
        lambda c: c.update(chapter="01_intro"),
        "(chapter): `chapter: 01_intro` must be 01_topic1",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_validator_names_file_id_and_problem(fixture_root: Path, case: str):
    change, message = BROKEN[case]
    problems = broken(fixture_root, change)
    expected = (
        message if message.startswith("book/") else f"book/questions/01_topic1.yml: {message}"
    )
    assert len(problems) == 1, problems
    assert problems[0].strip().startswith(expected)


def test_a_file_that_is_not_yaml_is_named(fixture_root: Path):
    (fixture_root / "book/questions/03_topic3.yml").write_text("questions: [unclosed\n")
    with pytest.raises(BankError, match=r"03_topic3.yml: \(chapter\): not valid YAML"):
        load_bank(fixture_root)


def test_instructor_ids_must_not_clash_with_public_ones(fixture_root: Path):
    path = fixture_root / "solutions/exam_bank/01_topic1.yml"
    path.write_text(path.read_text().replace("secret-c1-num-int", "c2-num-int"))
    with pytest.raises(BankError, match="exam_bank/01_topic1.yml: c2-num-int: id already used"):
        load_bank(fixture_root)


def test_instructor_files_need_no_chapter_quotas(fixture_root: Path):
    chapter = read_folder(fixture_root, Path("solutions/exam_bank"))[0]
    assert len(chapter[0].questions) == 2
    assert bank_problems([], chapter) == []
    assert "2 questions, at least 12 needed" in str(chapter_problems(chapter[0], public=True))


def test_compute_that_disagrees_or_fails_is_reported(fixture_root: Path):
    bank = load_bank(fixture_root)
    q = bank.question("c1-num-half")
    off = type(q)(**{**q.__dict__, "answer": 0.2})
    with pytest.raises(CodeError, match=r"c1-num-half: compute gives 0.125, the bank states 0.2"):
        check_answer(off)
    silent = type(q)(**{**q.__dict__, "compute": "x = 1"})
    with pytest.raises(CodeError, match="does not set `answer`"):
        check_answer(silent)
    problem = bank.chapters[1].worked_problems[0]
    wrong = type(problem)(**{**problem.__dict__, "check": "assert 1 + 1 == 3, 'two'"})
    with pytest.raises(CodeError, match=r"c1-wp-0 \(check\): an assertion failed: two"):
        run_check(wrong, "01_topic1")


@pytest.mark.parametrize(
    "text, count",
    [
        ("One sentence.", 1),
        ("Slope 1 for $x > 0.5$. Zero below.", 2),
        ("It is 0.5, e.g. half. The rest `x. Y` follows! Why? Yes.", 4),
        ("", 0),
    ],
)
def test_sentences_are_counted_outside_math_and_code(text: str, count: int):
    assert sentences(text) == count


def test_each_chapter_file_has_its_notebooks_title():
    """The self-check, the study pages and the exams name a chapter as its notebook does."""
    for chapter in load_bank().chapters:
        nb = nbformat.read(ROOT / "book" / f"{chapter.chapter}.ipynb", as_version=4)
        heading = nb.cells[0].source.splitlines()[0]
        assert heading == f"# {chapter.title}", chapter.path
