"""The contract between the loop and a method: what an objective sees at one step (:class:`StepInputs`)
and how a loss term is declared (:class:`Term`), with the schedule terms share (:func:`ramp_up`).

A term may declare :data:`Need` s, extra inputs the loop then adds to every step (for all terms):
``"strong_target_view"`` appends a :func:`~tlcore.data.augment.strong_augment` ed copy of the
target batch to the same forward pass (``StepInputs.target_strong()``, for consistency terms such
as FixMatch; the plain target batch is the weak view); ``"labelled_target"`` appends a batch of the
stage's few labelled target samples (``train(target_labelled=...)``, ``min(batch_size, n)`` drawn
afresh each step, with the source's augmentation) to it (``StepInputs.labelled_target()``, for
semi-supervised terms); ``"target_teacher"`` runs the plain target batch through the stage's weight
average as well (:meth:`tlcore.weight_average.WeightAverage.teacher`: eval mode, no gradient;
``StepInputs.teacher_target()``, for self-training terms that label the target with a mean teacher).
Without such a need nothing changes, random draws included.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from tlcore.method_table import Need  # extra inputs a term may ask the loop for


@dataclass
class StepInputs:
    """What an objective sees at one step (``B_s``/``B_t``: batch sizes, ``d``: feature width)."""

    epoch: int
    step: int  # global step within this stage, from 0
    progress: float  # step / total steps of the stage, in [0, 1)
    x_s: torch.Tensor  # B_s x ... (after augmentation)
    y_s: torch.Tensor  # B_s
    w_s: torch.Tensor  # B_s sample weights (mean 1 over the source)
    logits_s: torch.Tensor  # B_s x n_classes
    feats_s: torch.Tensor  # B_s x d
    x_t: torch.Tensor | None = None  # B_t x ...
    logits_t: torch.Tensor | None = None  # B_t x n_classes
    feats_t: torch.Tensor | None = None  # B_t x d
    # the same target batch, strongly augmented (only when a term needs "strong_target_view")
    x_t_strong: torch.Tensor | None = None  # B_t x ...
    logits_t_strong: torch.Tensor | None = None  # B_t x n_classes
    feats_t_strong: torch.Tensor | None = None  # B_t x d
    # a batch of the labelled target samples (only when a term needs "labelled_target")
    x_tl: torch.Tensor | None = None  # B_l x ...
    y_tl: torch.Tensor | None = None  # B_l
    logits_tl: torch.Tensor | None = None  # B_l x n_classes
    feats_tl: torch.Tensor | None = None  # B_l x d
    # the target batch under the stage's weight average (only when a term needs "target_teacher" and
    # the stage keeps an average that has had its first update)
    logits_t_teacher: torch.Tensor | None = None  # B_t x n_classes, no gradient

    def target(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits_t, feats_t)``; a ValueError when the step has no target batch."""
        if self.logits_t is None or self.feats_t is None:
            raise ValueError("this objective needs target batches: train with a target domain")
        return self.logits_t, self.feats_t

    def target_strong(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits_t_strong, feats_t_strong)``, row ``i`` a strong view of target sample ``i``; a
        ValueError when the step has none (a term reading it must declare ``"strong_target_view"``)."""
        self.target()
        if self.logits_t_strong is None or self.feats_t_strong is None:
            raise ValueError(
                "this objective needs a strong view of the target batch: its term must declare "
                "needs=('strong_target_view',)"
            )
        return self.logits_t_strong, self.feats_t_strong

    def teacher_target(self) -> torch.Tensor:
        """The target batch's logits under the stage's weight average (the mean teacher), or the live
        model's, detached, where the stage keeps no average (yet)."""
        logits_t, _ = self.target()
        return logits_t.detach() if self.logits_t_teacher is None else self.logits_t_teacher

    def labelled_target(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits_tl, y_tl)`` of the step's labelled target batch; a ValueError when the step has
        none (a term reading it must declare ``"labelled_target"``)."""
        if self.logits_tl is None or self.y_tl is None:
            raise ValueError(
                "this objective needs labelled target samples: its term must declare "
                "needs=('labelled_target',)"
            )
        return self.logits_tl, self.y_tl


Objective = Callable[[StepInputs], tuple[torch.Tensor, dict[str, float]]]


@dataclass(frozen=True)
class Term:
    """A weighted loss term: ``weight * objective(step)`` (objective: usually an ``nn.Module``)."""

    name: str
    objective: Objective
    weight: float = 1.0
    needs: frozenset[Need] = frozenset()  # extra step inputs the objective reads


def ramp_up(progress: float, gamma: float = 10.0) -> float:
    """The sigmoid ramp ``2 / (1 + exp(-gamma p)) - 1`` of DANN (Ganin et al. 2016): 0 at ``p = 0``,
    about 1 from ``p ~ 0.5`` on (``gamma = 10``); schedules loss terms over a stage's progress ``p``."""
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0
