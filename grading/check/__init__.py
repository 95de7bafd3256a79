"""Check: the trusted checker that decides every graded part.

It holds the hidden tests and the reference implementations, never student code: once the
student's notebook has run in its sandbox, ``runner`` executes each part's hidden tests in a
process of its own, where the notebook's names are proxies (``remote``) that drive the kernel
through a narrow protocol of plain data and tensors (``utils.wire``, ``utils.agent``), and the
checks (``grader``) compare what came back with values computed here. ``hidden`` takes the
hidden tests out of the notebook before it goes to the sandbox.
"""
