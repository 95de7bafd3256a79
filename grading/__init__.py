"""The course's grading engine around nbgrader. ``python -m grading --help`` lists its commands
(the Makefile's ``assignments``, ``grade`` and ``public`` targets call them); nothing here is
imported by the notebooks.

A grading run is a pipeline of stages, one subpackage each::

    inbox/ --intake/--> submitted/ --batch/ (queue)--> run/ (sandbox) --check/--> run/ (verdict)
           --batch/ (gradebook, one writer)--> outputs/ (CSV, feedback, LMS, report)

- ``intake/``  new notebooks into each student's history, ids, deadlines, repair, roster
- ``batch/``   the coordinator of one run: lock, queue (local or Dask), nbgrader's gradebook
- ``run/``     what a worker needs: the sandbox, the kernel, the verdict (rules: utils.graded)
- ``check/``   the trusted checker: hidden tests out of the notebook, run against the kernel
               through plain data and tensors in a process that holds no student code
- ``outputs/`` the grades CSV (one schema), LMS exports, feedback pages, class report
- ``publish/`` the student releases and the public copy (``template/``), scanned for leaks

Shared by every stage: ``course.py`` (where each file of the course lives) and ``cells.py``
(what a cell is, from its nbgrader metadata, and its solution and hidden-test regions).
``tests/test_architecture.py`` holds the stages to what they may import.
"""
