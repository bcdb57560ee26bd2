"""EnsV: agreement with the ensemble of the candidate models (Hu, Luo, Liang & Foo 2024, NeurIPS
Datasets & Benchmarks, "Towards Reliable Model Selection for Unsupervised Domain Adaptation: An
Empirical Study and A Certified Baseline").

With ``M`` candidate models' target probabilities ``P_1 .. P_M`` (each ``n x K``, the same samples
in the same order), the ensemble's pseudo-labels are ``y_i = argmax_k (1/M) sum_m P_m[i, k]`` and a
model's score is its agreement ``EnsV(P) = (1/n) sum_i 1[argmax_k P[i, k] = y_i]`` (higher is
better). It is computed across runs when they are read, so it changes as runs finish.

Numpy in float64 (the stored probabilities are float32, so every member enters exactly): reading
runs (``runs show``'s alarm, ``runs rank``, ``sweeps show``, the Compare page) loads no torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from tlcore.errors import TLError


def probability_matrix(p: ArrayLike) -> np.ndarray:
    """``p`` as an ``n x K`` float64 array (a TLError when it is not 2-D)."""
    out = np.asarray(p, dtype=np.float64)
    if out.ndim != 2:
        raise TLError(f"need an n x K probability matrix, got shape {out.shape}")
    return out


def ensemble_labels(members: Sequence[ArrayLike]) -> np.ndarray:
    """``argmax_k (1/M) sum_m P_m[i, k]`` for every sample ``i`` (first class on a tie)."""
    if not members:
        raise TLError("an ensemble needs at least one model")
    stacked = [probability_matrix(p) for p in members]
    if len({p.shape for p in stacked}) != 1:
        raise TLError("the ensemble's members predict different samples or classes")
    return np.stack(stacked).mean(0).argmax(1)


def agrees(p: ArrayLike, labels: np.ndarray) -> np.ndarray:
    """Whether one model's argmax equals the ensemble's label, sample by sample (booleans)."""
    return probability_matrix(p).argmax(1) == labels


def ensemble_agreement(p: ArrayLike, labels: np.ndarray) -> float:
    """EnsV of one model: the share of samples whose argmax equals the ensemble's label."""
    return float(np.mean(agrees(p, labels)))
