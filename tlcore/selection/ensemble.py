"""EnsV: agreement with the ensemble of the candidate models (Hu, Luo, Liang & Foo 2024, NeurIPS
Datasets & Benchmarks, "Towards Reliable Model Selection for Unsupervised Domain Adaptation: An
Empirical Study and A Certified Baseline").

With ``M`` candidate models' target probabilities ``P_1 .. P_M`` (each ``n x K``, the same samples
in the same order), the ensemble's pseudo-labels are ``y_i = argmax_k (1/M) sum_m P_m[i, k]`` and a
model's score is its agreement ``EnsV(P) = (1/n) sum_i 1[argmax_k P[i, k] = y_i]`` (higher is
better). It is computed across runs when they are read, so it changes as runs finish.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from tlcore.errors import TLError
from tlcore.selection.validators import as_probabilities


def ensemble_labels(members: Sequence[torch.Tensor | np.ndarray]) -> torch.Tensor:
    """``argmax_k (1/M) sum_m P_m[i, k]`` for every sample ``i`` (first class on a tie)."""
    if not members:
        raise TLError("an ensemble needs at least one model")
    stacked = [as_probabilities(p) for p in members]
    if len({tuple(p.shape) for p in stacked}) != 1:
        raise TLError("the ensemble's members predict different samples or classes")
    return torch.stack(stacked).mean(0).argmax(1)


def ensemble_agreement(p: torch.Tensor | np.ndarray, labels: torch.Tensor) -> float:
    """EnsV of one model: the share of samples whose argmax equals the ensemble's label."""
    return float((as_probabilities(p).argmax(1) == labels).double().mean())
