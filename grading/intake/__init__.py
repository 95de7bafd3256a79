"""Intake: new notebooks from an inbox into each student's history (``collect``, ``identity``,
``history``), the version to grade and its lateness (``deadlines``), its metadata repaired
against the release (``repair``), and the roster (``roster``)."""
