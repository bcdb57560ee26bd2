"""Entropies of predicted class probabilities: the one implementation the IM loss and the validators use."""

from __future__ import annotations

import torch


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Row-wise Shannon entropy ``H(p) = -sum_k p_k log p_k`` (natural log; ``0 log 0 = 0``)."""
    return -(p * torch.log(p.clamp_min(1e-12))).sum(-1)


def prediction_entropies(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean_i H(p_i), H(mean_i p_i))`` of ``n x K`` probabilities: how confident each prediction
    is, and how spread the predictions are over the classes (the two halves of information
    maximisation, their difference the mutual information between a sample and its predicted class)."""
    return entropy(p).mean(), entropy(p.mean(0))
