"""Test doubles of assignment 4 (generative models), built in the student's kernel by the
grading checker."""

from __future__ import annotations

import torch
from torch import nn


class NoiseModelProbe(nn.Module):
    """A stand-in noise predictor for ``diffusion_loss``: ``eps_theta(x_t, t) = weight * x_t``.
    It remembers what it is given: ``calls`` holds a detached copy of ``(x_t, t)`` per call."""

    def __init__(self, weight: float = 0.5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(float(weight)))
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls.append((x_t.detach().clone(), t.detach().clone()))
        return self.weight * x_t
