"""Test doubles that the grading checker builds in a student's kernel: small models with known
behaviour (a language model whose state counts the ids it read, one with fixed logits) through
which a hidden test drives the student's code. Public on purpose: knowing them answers no test,
and they must run where the student's code runs. One module per assignment.
"""
