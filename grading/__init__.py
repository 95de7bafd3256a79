"""The course's grading pipeline around nbgrader: release, intake and repair, autograde, public.

``python -m grading --help`` lists the commands; the Makefile's ``assignments``, ``grade`` and
``public`` targets call them. Nothing here is imported by the notebooks.
"""
