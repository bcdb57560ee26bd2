"""The two label-shift estimators and the calibration EM needs, batched over resamples.

Both read a source-only model's outputs on the labelled source *validation* split (held out from
its training, stratified like it, so its class frequencies are ``π_s``) and on the target. Every
function takes ``R`` resamples at once as sample weights (``R x N``, each row summing to 1: plain
means for one row of ``1 / N``, bootstrap multiplicities otherwise):

* **BBSE** (Lipton, Wang & Smola 2018, ICML, "Detecting and Correcting for Label Shift with Black
  Box Predictors"): with the joint confusion matrix ``C[i, j] = p_s(ŷ = i, y = j)`` of the hard
  predictions on the validation split and the target's predicted marginal ``q[i] = p_t(ŷ = i)``,
  label shift gives ``q = C w`` with ``w[j] = π_t(j) / π_s(j)``; so ``w = C⁻¹ q`` (least squares
  through the pseudo-inverse: the minimum-norm solution when ``C`` is singular), clipped at 0, and
  ``π_t = w ∘ π_s`` normalised, with ``π_s[j] = sum_i C[i, j]``.
* **EM** (Saerens, Latinne & Decaestecker 2002, Neural Computation, "Adjusting the outputs of a
  classifier to new a priori probabilities: a simple procedure"): from ``π⁰ = π_s`` iterate

      p_t(y | x) = (π^k(y) / π_s(y)) p_s(y | x) / sum_y' (π^k(y') / π_s(y')) p_s(y' | x)
      π^{k+1}(y) = mean over target samples x of p_t(y | x)

  (the EM steps of the target likelihood in ``π``), stopping when ``max_y |π^{k+1} - π^k| < tol``
  or after ``max_iter`` steps. EM needs calibrated ``p_s(y | x)``: with ``calibrate`` (default) they
  are ``softmax(a · logits + b)`` with ``a ∈ R`` (an inverse temperature) and ``b ∈ R^K`` fitted by
  cross-entropy on the validation split (Newton steps, :data:`RIDGE` penalty): bias-corrected
  temperature scaling (BCTS: Alexandari, Kundaje & Shrikumar 2020, ICML, "Maximum Likelihood with
  Bias-Corrected Calibration is Hard-To-Beat at Label Shift Adaptation"); else the plain softmax.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn.functional import one_hot

from tlcore.errors import TLError


def class_prior(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Class frequencies of the labels ``y`` (float64, length ``n_classes``)."""
    if len(y) == 0:
        raise TLError("class proportions need at least one labelled sample")
    return torch.bincount(y.cpu(), minlength=n_classes).double() / len(y)


def prior_log_ratio(
    target_prior: torch.Tensor, source_prior: torch.Tensor, floor: float = 1e-6
) -> torch.Tensor:
    """``log(π_t(y) / π_s(y))`` with both clamped at ``floor`` (a class estimated absent gets a large,
    finite penalty rather than ``-inf``): the shift that turns source logits into target logits."""
    return torch.log(target_prior.double().clamp_min(floor)) - torch.log(
        source_prior.double().clamp_min(floor)
    )


@dataclass(frozen=True)
class Calibration:
    """BCTS parameters: calibrated logits are ``scale * logits + bias``."""

    scale: float
    bias: tuple[float, ...]


RIDGE = 1e-6  # BCTS: penalty (RIDGE / 2) ((a - 1)^2 + ||b||^2): pins b's free common offset, keeps a
# finite when the validation split is separated perfectly
MAX_CALIBRATION_STEPS = 50


def _bcts_terms(
    a: torch.Tensor, b: torch.Tensor, L: torch.Tensor, onehot: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per resample, the penalised weighted cross-entropy of ``softmax(a L + b)`` (``R``) and the
    class probabilities (``R x N x K``)."""
    z = a[:, None, None] * L + b[:, None, :]  # R x N x K
    log_norm = torch.logsumexp(z, 2, keepdim=True)
    nll = (weight * (log_norm.squeeze(2) - (z * onehot).sum(2))).sum(1)
    return nll + 0.5 * RIDGE * ((a - 1) ** 2 + (b * b).sum(1)), (z - log_norm).exp()


def bcts(logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """BCTS per resample: ``(R scales a, R x K biases b)`` minimising the weighted cross-entropy of
    ``softmax(a · logits + b)`` (convex in ``(a, b)``) by Newton steps, halved while the loss rises."""
    R, K = len(weight), logits.shape[1]
    L, onehot = logits.double(), one_hot(y, K).double()
    a, b = torch.ones(R, dtype=torch.float64), torch.zeros(R, K, dtype=torch.float64)
    loss, p = _bcts_terms(a, b, L, onehot, weight)
    for _ in range(MAX_CALIBRATION_STEPS):
        mean_L = (p * L).sum(2)  # R x N: E_p[L]
        wp, centred = weight[:, :, None] * p, L - mean_L[:, :, None]
        grad_a = (weight * (mean_L - (L * onehot).sum(1))).sum(1, keepdim=True) + RIDGE * (a[:, None] - 1)
        grad = torch.cat([grad_a, wp.sum(1) - weight @ onehot + RIDGE * b], 1)  # R x (1 + K)
        if float(grad.abs().max()) < 1e-8:
            break
        h_ab = (wp * centred).sum(1)  # R x K
        h_bb = torch.diag_embed(wp.sum(1) + RIDGE) - torch.einsum("rnj,rnk->rjk", wp, p)
        h_aa = (wp * centred * L).sum((1, 2)) + RIDGE
        top = torch.cat([h_aa[:, None, None], h_ab[:, None, :]], 2)
        H = torch.cat([top, torch.cat([h_ab[:, :, None], h_bb], 2)], 1)
        step = torch.linalg.solve(H, grad.unsqueeze(-1)).squeeze(-1)
        size = torch.ones(R, dtype=torch.float64)
        for _ in range(30):  # halve the step of each resample whose loss would rise
            trial, trial_p = _bcts_terms(
                a - size * step[:, 0], b - size[:, None] * step[:, 1:], L, onehot, weight
            )
            worse = trial > loss + 1e-12  # rounding at the optimum is no rise
            if not bool(worse.any()):
                break
            size = torch.where(worse, size / 2, size)
        if bool(worse.all()):  # no resample can improve any more
            break
        size = torch.where(worse, 0.0, size)  # those still rising stay where they are
        a, b = a - size * step[:, 0], b - size[:, None] * step[:, 1:]
        loss = torch.where(worse, loss, trial)
        p = torch.where(worse[:, None, None], p, trial_p)
    return a, b


def em(
    probs: torch.Tensor, source_prior: torch.Tensor, weight: torch.Tensor, tol: float, max_iter: int
) -> tuple[torch.Tensor, int, torch.Tensor]:
    """EM priors per resample from ``R x N x K`` probabilities and ``R x K`` source priors:
    ``(R x K priors, steps taken, R converged flags)``. Classes with ``π_s = 0`` stay at 0."""
    active = source_prior > 0
    P = probs * active[:, None, :]
    P = P / P.sum(2, keepdim=True).clamp_min(1e-300)
    inv_source = torch.where(active, 1.0 / source_prior.clamp_min(1e-300), torch.zeros_like(source_prior))
    prior, steps = source_prior.clone(), 0
    converged = torch.zeros(len(prior), dtype=torch.bool)
    for steps in range(1, max_iter + 1):  # noqa: B007 - the number of steps is reported
        ratio = prior * inv_source  # R x K
        norm = torch.einsum("rnk,rk->rn", P, ratio).clamp_min(1e-300)  # sum_y ratio(y) p_s(y | x)
        new = ratio * torch.einsum("rn,rnk->rk", weight / norm, P)  # weighted mean of p_t(y | x)
        converged = (new - prior).abs().amax(1) < tol
        prior = new
        if bool(converged.all()):
            break
    return prior, steps, converged


def bbse(
    pairs: torch.Tensor, predicted: torch.Tensor, w_val: torch.Tensor, w_target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """BBSE per resample from one-hot ``(ŷ, y)`` pairs of the validation split (``N_v x K²``) and
    one-hot target predictions (``N_t x K``): ``(R x K priors, R x K x K joint confusion matrices)``.
    A resample whose clipped weights are all 0 keeps ``π_s``."""
    k = predicted.shape[1]
    C = (w_val @ pairs).reshape(-1, k, k)  # C[r, i, j] = p(ŷ = i, y = j)
    q = w_target @ predicted  # R x K
    w = (torch.linalg.pinv(C) @ q.unsqueeze(-1)).squeeze(-1)
    source = C.sum(1)
    prior = w.clamp_min(0.0) * source
    total = prior.sum(1, keepdim=True)
    return torch.where(total > 0, prior / total.clamp_min(1e-300), source), C
