"""The coordinator of a grading run (``pipeline``): one run at a time (``lock``), the queue of
submissions to grade (``queue``: local workers or Dask), and nbgrader's gradebook, which only
this process writes (``gradebook``)."""
