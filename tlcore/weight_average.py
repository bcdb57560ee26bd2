"""An exponential moving average of a model's weights (Polyak averaging; the "mean teacher" of
Tarvainen & Valpola, NeurIPS 2017).

After every optimizer step each floating-point tensor of the state dict (parameters and BatchNorm
running statistics) moves towards the live one,

    θ̄ ← d · θ̄ + (1 - d) · θ,

starting from the weights after the first step; its horizon is about ``1 / (1 - d)`` steps. At a
constant learning rate the live weights move around a good region from epoch to epoch; their average
stays in it, so an averaged model's accuracy settles earlier. The average is also a teacher
(:meth:`WeightAverage.teacher`): a model whose weights are θ̄ itself, for terms that label the target
with it (FixMatch's ``teacher``).
"""

from __future__ import annotations

import copy
from typing import TypeVar, cast

import torch
from torch import nn

M = TypeVar("M", bound=nn.Module)


class WeightAverage:
    """The moving average θ̄ of one model's floating-point state (see the module docstring)."""

    def __init__(self, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"the decay of a weight average must lie in [0, 1), got {decay}")
        self.decay = decay
        self.state: dict[str, torch.Tensor] | None = None
        self._teacher: nn.Module | None = None

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """One step of the recursion with ``model``'s current weights (the first call copies them)."""
        live = {k: v for k, v in model.state_dict().items() if v.is_floating_point()}
        if self.state is None:
            self.state = {k: v.detach().clone() for k, v in live.items()}
            return
        for name, value in live.items():
            self.state[name].lerp_(value, 1.0 - self.decay)

    def load_into(self, model: nn.Module) -> None:
        """Give ``model`` the averaged weights (its integer buffers stay); nothing before an update."""
        if self.state is not None:
            model.load_state_dict({**model.state_dict(), **self.state})

    def teacher(self, model: M) -> M | None:
        """A copy of ``model`` in eval mode whose floating-point tensors *are* the average (they move with
        each :meth:`update`, no copy per step); None before the first update."""
        if self.state is None:
            return None
        if self._teacher is None:
            teacher = copy.deepcopy(model).eval().requires_grad_(False)
            tensors = teacher.state_dict()
            for name, value in self.state.items():
                tensors[name].copy_(value)
            self.state = {name: tensors[name] for name in self.state}
            self._teacher = teacher
        return cast(M, self._teacher)

    def averaged(self, model: M) -> M:
        """A copy of ``model`` with the averaged weights."""
        out = copy.deepcopy(model)
        self.load_into(out)
        return out
