"""The instructor's tests: they read solutions/ or run the grading tools, so ``make public`` does
not copy them into the student-facing repository."""
