"""Test doubles of assignment 2 (recurrent networks), built in the student's kernel by the
grading checker: small language models with known behaviour that the hidden tests pass into
``train_tbptt`` and ``generate``, and an optimizer that records the gradient norm of each step.
None of them answers a part.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TinyLM(nn.Module):
    """A small LSTM language model that records the chunks and states it is given.

    ``inputs``: each chunk ``x`` it was called on; ``received``: per call, None for
    ``state=None``, else ``[(attached, value), ...]`` for the tensors of the state (``attached``:
    whether the tensor is still part of an autograd graph); ``returned``: the values of the state
    it returned.
    """

    def __init__(self, vocab: int = 7, hidden: int = 16, scale: float = 1.0) -> None:
        super().__init__()
        self.embed, self.lstm = nn.Embedding(vocab, 8), nn.LSTM(8, hidden, batch_first=True)
        self.head, self.scale = nn.Linear(hidden, vocab), scale
        self.inputs: list[torch.Tensor] = []
        self.received: list[list[tuple[bool, torch.Tensor]] | None] = []
        self.returned: list[list[torch.Tensor]] = []

    def forward(self, x, state=None):
        self.inputs.append(x.detach().clone())
        self.received.append(
            None if state is None else [(s.grad_fn is not None, s.detach().clone()) for s in state]
        )
        out, state = self.lstm(self.embed(x), state)  # (B, t, H)
        self.returned.append([s.detach().clone() for s in state])
        return self.scale * self.head(out), state  # (B, t, V)


def recording_sgd(model: nn.Module, lr: float) -> torch.optim.SGD:
    """``torch.optim.SGD(model.parameters(), lr=lr)`` whose ``norms`` list receives, before each
    step, the global L2 norm of the gradients that step is about to apply."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.norms = []

    def record(opt, args, kwargs):
        grads = [p.grad.detach().double().norm() for g in opt.param_groups for p in g["params"]
                 if p.grad is not None]  # fmt: skip
        opt.norms.append(float(torch.stack(grads).norm()) if grads else 0.0)

    optimizer.register_step_pre_hook(record)
    return optimizer


class NextIdLM(nn.Module):
    """Predicts, with near certainty, that id v is followed by id v + 1 (mod V)."""

    def __init__(self, vocab: int = 10) -> None:
        super().__init__()
        self.vocab = vocab

    def forward(self, x, state=None):
        return 50.0 * F.one_hot((x + 1) % self.vocab, self.vocab).float(), state  # (1, t, V)


class CountingLM(nn.Module):
    """The state counts the ids read so far; after n ids it predicts id n mod V."""

    def __init__(self, vocab: int = 7) -> None:
        super().__init__()
        self.vocab = vocab

    def forward(self, x, state=None):
        seen = 0 if state is None else int(state[0])
        nxt = (seen + 1 + torch.arange(x.shape[1], device=x.device)) % self.vocab  # (t,)
        logits = 50.0 * F.one_hot(nxt, self.vocab).float()[None]  # (1, t, V)
        return logits, (torch.tensor([seen + x.shape[1]], device=x.device),)


class FixedLM(nn.Module):
    """The same logits (shape (1, 1, V)) after every id."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, x, state=None):
        return self.logits.expand(x.shape[0], x.shape[1], -1), state  # (B, t, V)
