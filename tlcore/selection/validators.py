"""Label-free validators of one model: functions of its class probabilities, "higher is better".

``p`` is an ``n x K`` matrix of softmax probabilities on the unlabelled target (train split), rows
summing to 1; numpy arrays or tensors, computed in float64. Papers and the trap each one falls in:

* :func:`entropy_score`, :func:`snd_score` reward confident / clustered predictions, and a model
  that predicts one class for everything is the most confident and most clustered of all: they
  rank a collapsed model first ("advanced"; never use them without the collapse guardrail).
* :func:`im_score`, :func:`bnm_score` also reward diversity over the classes: a collapsed model
  scores 0 (IM) and ``1/sqrt(n)`` (BNM), below any accurate model on balanced data.
* :func:`effective_classes` is not a validator but the collapse measure of the guardrail.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from tlcore.metrics.information import entropy, prediction_entropies
from tlcore.selection.ensemble import probability_matrix

SND_BLOCK = 1024  # rows of the SND similarity matrix computed at once


def as_probabilities(p: torch.Tensor | np.ndarray) -> torch.Tensor:
    """``p`` as an ``n x K`` float64 CPU tensor (a TLError when it is not 2-D:
    :func:`~tlcore.selection.ensemble.probability_matrix`)."""
    return torch.as_tensor(probability_matrix(torch.as_tensor(p).detach().cpu()))


def source_accuracy(p: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray) -> float:
    """``(1/n) sum_i 1[argmax_k p_ik = y_i]`` on the labelled source validation split (higher is
    better): the classic check that adapting kept the source task (You et al. 2019 call it "source
    risk"; it ignores the shift entirely)."""
    labels = torch.as_tensor(y).cpu().long()
    return float((as_probabilities(p).argmax(1) == labels).double().mean())


def entropy_score(p: torch.Tensor | np.ndarray) -> float:
    """``-(1/n) sum_i H(p_i)``, ``H(p) = -sum_k p_k log p_k``: confident target predictions (higher
    is better; the entropy-minimisation criterion of Grandvalet & Bengio 2005, pytorch-adapt's
    ``EntropyValidator``). Advanced: a collapsed model scores the maximum 0."""
    return -float(entropy(as_probabilities(p)).mean())


def im_score(p: torch.Tensor | np.ndarray) -> float:
    """Information maximisation ``IM = H(mean_i p_i) - (1/n) sum_i H(p_i)`` (higher is better): the
    mutual information between a target sample and its predicted class, in ``[0, log K]``; SHOT-IM's
    objective (Liang, Hu & Feng 2020, ICML) as a validator (pytorch-adapt's ``IMValidator``). A
    collapsed model scores 0, a confident model spread over the classes ``log K``."""
    conditional, marginal = prediction_entropies(as_probabilities(p))
    return float(marginal - conditional)


def bnm_score(p: torch.Tensor | np.ndarray) -> float:
    """Batch nuclear norm ``||P||_* / n`` (sum of the singular values of the ``n x K`` probability
    matrix over ``n``; Cui et al. 2020, CVPR, "Towards Discriminability and Diversity: Batch
    Nuclear-norm Maximization under Label Insufficient Situations"; higher is better). Large when
    predictions are confident and spread over many classes: one-hot predictions balanced over ``K``
    classes give ``sqrt(K / n)``, its most (:func:`~tlcore.selection.averaged.bnm_ceiling`), a
    collapsed model ``1 / sqrt(n)``."""
    probabilities = as_probabilities(p)
    return float(torch.linalg.svdvals(probabilities).sum() / len(probabilities))


def snd_score(p: torch.Tensor | np.ndarray, temperature: float = 0.05) -> float:
    """Soft neighbourhood density (Saito, Kim, Teterwak, Sclaroff, Darrell & Saenko 2021, ICCV,
    "Tune it the right way"; higher is better). With the softmax outputs L2-normalised,
    ``q_i = p_i / ||p_i||``, and cosine similarities ``S_ij = q_i . q_j``, each sample's soft
    neighbourhood over the *other* samples is

        pi_ij = exp(S_ij / T) / sum_{k != i} exp(S_ik / T)      (j != i, T = 0.05)

    and ``SND = (1/n) sum_i H(pi_i)``, ``H(pi_i) = -sum_{j != i} pi_ij log pi_ij``. Self-similarity is
    excluded exactly (the authors' code fills the diagonal with ``-1 / T``, a weight ``e^-40`` of the
    self-term's; skada fills it with ``-S_ii / T`` but then takes one softmax over the whole matrix
    instead of per row). Advanced: a collapsed model (every ``q_i`` equal) scores the maximum
    ``log(n - 1)``. With fewer than 2 samples it is 0.
    """
    probabilities = as_probabilities(p)
    n = len(probabilities)
    if n < 2:
        return 0.0
    q = torch.nn.functional.normalize(probabilities, dim=1)
    total = 0.0
    for start in range(0, n, SND_BLOCK):
        rows = q[start : start + SND_BLOCK]
        logits = rows @ q.T / temperature  # block x n
        index = torch.arange(len(rows))
        logits[index, index + start] = -math.inf  # no sample is its own neighbour
        total += float(entropy(logits.softmax(1)).sum())
    return total / n


def effective_classes(p: torch.Tensor | np.ndarray) -> float:
    """Effective number of predicted classes ``exp(H(h))``, ``h_k`` the share of samples whose argmax
    is ``k`` (Hill's diversity number of order 1), in ``[1, K]``: ``K`` when every class is predicted
    equally often, 1 when everything is predicted as one class (collapse). Not a validator: the
    guardrail compares it with the source-only model's."""
    probabilities = as_probabilities(p)
    counts = torch.bincount(probabilities.argmax(1), minlength=probabilities.shape[1]).double()
    return math.exp(float(entropy(counts / counts.sum())))
