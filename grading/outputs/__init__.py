"""Outputs of a grading run: the grades CSV (``table``: its schema; ``grades``: its rows from the
gradebook), the LMS exports (``lms``), the feedback pages (``feedback``) and the class report
(``report``, ``report_data``, ``report_figures``, ``similarity``)."""
