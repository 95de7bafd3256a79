# The course book's commands. The first target that needs it creates .venv and installs the
# pinned requirements (torch first, alone, so that pip takes the CPU build) and `utils` in
# editable mode; later runs reinstall only when requirements.txt or pyproject.toml change.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH  := $(shell grep -E '^torch==' requirements.txt)
# Progress bars stay in interactive use; the built book shows the printed results instead.
BUILD_ENV := TQDM_DISABLE=1

.PHONY: help install system book slides pdf test lint timings bench-grading sync-notebooks evidence assignments grade public exam-bank clean

help:
	@echo "make book     build the HTML book into _build/html (executes every chapter once)"
	@echo "make slides   one reveal.js deck per chapter into _build/html/slides (from the built book)"
	@echo "make pdf      the printable book, _build/pdf/itm528-book.pdf, copied into _build/html"
	@echo "              (needs Chromium)"
	@echo "make test     build the book, slides and PDF, then lint and run the whole test suite"
	@echo "make timings  write TIMINGS.md: each chapter's time, quiet and beside a busy process"
	@echo "make evidence [CHAPTER=04_cnn]  rerun the chapters' comparisons with every seed into"
	@echo "                              utils/evidence/*.json and the prose that quotes them"
	@echo "make bench-grading            write GRADING_TIMINGS.md: sandboxed grading times"
	@echo "make assignments              regenerate assignments/ from solutions/ (nbgrader)"
	@echo "make grade A=a1_cnn [SUBMISSIONS=folder] [JOBS=n] [SCHEDULER=tcp://host:8786]"
	@echo "                              autograde in sandboxes; writes grades/A.csv, feedback/"
	@echo "make public DEST=folder [PUSH=remote]   the public repository: no solutions or grading"
	@echo "make system   install the Debian packages of .ci/system-packages (as root)"
	@echo "make exam-bank                the question bank, practice exams and instructor questions"
	@echo "                              as Moodle XML, GIFT and Canvas QTI into _build/exam"
	@echo "make clean    remove build outputs (keeps .venv)"

install: $(STAMP)

# Chromium, bubblewrap and poppler-utils (.ci/system-packages): installed with apt-get as root;
# elsewhere one message names the command, and the tests that need a missing one skip.
system:
	@.ci/install-system-packages

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BUILD_ENV) $(VENV)/bin/jupyter-book build . --warningiserror --keep-going
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

# Slides and PDF read the executed chapters and pages of the book build; they execute nothing.
slides: book
	$(PY) -m export slides

pdf: system book
	$(PY) -m export pdf

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Without Debian's Chromium there is no PDF to test: its tests, like the browser tests, skip.
test: system book lint slides
	test ! -x /usr/bin/chromium || $(PY) -m export pdf
	$(BUILD_ENV) $(PY) -m pytest

# Executes every chapter twice, quietly and beside one busy process (a few minutes).
timings: $(STAMP)
	$(BUILD_ENV) $(PY) -m tests.timings_load TIMINGS.md

bench-grading: system $(STAMP)
	$(PY) -m tests.instructor.bench_grading GRADING_TIMINGS.md

# Runs the chapters' comparisons with every seed (one chapter: CHAPTER=04_cnn) and rewrites
# utils/evidence/<chapter>.json and the prose that quotes it (a few minutes a chapter).
evidence: $(STAMP)
	$(BUILD_ENV) $(PY) -m export.evidence run $(CHAPTER)

sync-notebooks: $(STAMP)
	$(PY) -m export.conventions sync
	$(PY) -m export.studyaids sync

assignments: $(STAMP)
	$(PY) -m grading release

grade: system $(STAMP)
	@test -n "$(A)" || { echo "usage: make grade A=<assignment> [SUBMISSIONS=<folder>] [JOBS=n] [SCHEDULER=tcp://host:8786]"; exit 2; }
	$(PY) -m grading grade $(A) $(if $(SUBMISSIONS),--submissions "$(SUBMISSIONS)") \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler "$(SCHEDULER)") \
		$(if $(REGRADE),--regrade) $(if $(ROSTER),--roster "$(ROSTER)") \
		$(if $(TRUST_TIMESTAMPS),--trust-timestamps) $(if $(NO_SANDBOX),--no-sandbox)

public: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make public DEST=<folder> [PUSH=<git remote>]"; exit 2; }
	$(PY) -m grading public "$(DEST)" $(if $(PUSH),--push "$(PUSH)")

# The question bank (book/questions, solutions/exam_bank) for the LMS; see questions/export.py.
exam-bank: $(STAMP)
	$(PY) -m questions export _build/exam

clean:
	rm -rf _build .pytest_cache .ruff_cache
