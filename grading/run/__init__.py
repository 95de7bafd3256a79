"""Sandbox run: everything a worker needs, local or on a Dask worker, and nothing else.

A worker takes a prepared notebook (``worker.Job``), runs it in a bubblewrap sandbox of its own
(``sandbox``, ``execute``), decides the verdict outside the kernel (``verdict``, ``policy``) and
returns the executed notebook. Nothing here reads the course directory, the gradebook, the
intake or the outputs (an architecture test checks it).
"""
