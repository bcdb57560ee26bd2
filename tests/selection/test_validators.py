"""Each validator against the formula its docstring states, on hand-computed cases; the collapse trap."""

import math

import numpy as np
import pytest
import torch

from tlcore.errors import TLError
from tlcore.selection import validators
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.averaged import bnm_ceiling
from tlcore.selection.importance import (
    cross_entropy_losses,
    dev_risk,
    effective_sample_size,
    importance_weights,
    iwcv_risk,
)
from tlcore.selection.reliability import unreliable_weights


def test_im_is_entropy_of_the_mean_minus_mean_entropy():
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    mean_entropy = (math.log(2) + 0.0) / 2
    marginal = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert validators.im_score(p) == pytest.approx(marginal - mean_entropy, abs=1e-12)
    assert validators.entropy_score(p) == pytest.approx(-mean_entropy, abs=1e-12)


def test_bnm_is_the_nuclear_norm_over_n():
    p = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # P^T P = diag(2, 1): singular values sqrt 2, 1
    assert validators.bnm_score(p) == pytest.approx((math.sqrt(2) + 1) / 3, abs=1e-12)


def test_bnm_reaches_its_ceiling_sqrt_min_n_k_over_n_and_never_passes_it():
    """One-hot predictions spread evenly over the classes reach ``sqrt(min(n, K) / n)`` (12 samples of
    3 classes: sqrt(3 / 12) = 0.5; 2 samples of 5: 1); a collapsed model is ``1 / sqrt(min(n, K))`` of
    it; no probability matrix passes it."""
    assert bnm_ceiling(12, 3) == 0.5 and bnm_ceiling(2, 5) == 1.0
    assert validators.bnm_score(np.eye(3)[np.arange(12) % 3]) == pytest.approx(0.5, abs=1e-12)
    assert validators.bnm_score(np.eye(5)[[0, 3]]) == pytest.approx(1.0, abs=1e-12)
    collapsed = validators.bnm_score(np.eye(3)[np.zeros(12, dtype=int)])
    assert collapsed / bnm_ceiling(12, 3) == pytest.approx(1 / math.sqrt(3), abs=1e-12)
    rng = np.random.default_rng(0)
    for n, k in ((7, 3), (3, 7), (40, 10)):
        p = rng.dirichlet(np.full(k, 0.1), size=n)
        assert 0 < validators.bnm_score(p) <= bnm_ceiling(n, k)


def _snd_by_hand(p: np.ndarray, t: float) -> float:
    """SND with explicit loops: cosine of the softmax vectors, softmax over the other samples."""
    q = [[x / math.sqrt(sum(v * v for v in row)) for x in row] for row in p.tolist()]
    total = 0.0
    for i, qi in enumerate(q):
        logits = {j: sum(a * b for a, b in zip(qi, qj, strict=True)) / t for j, qj in enumerate(q) if j != i}
        z = sum(math.exp(v) for v in logits.values())
        total += -sum(math.exp(v) / z * math.log(math.exp(v) / z) for v in logits.values())
    return total / len(q)


def test_snd_matches_the_paper_with_self_excluded(monkeypatch):
    p = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3], [0.34, 0.33, 0.33]])
    expected = _snd_by_hand(p, 0.05)
    assert validators.snd_score(p) == pytest.approx(expected, rel=1e-10)
    assert validators.snd_score(p, temperature=0.5) == pytest.approx(_snd_by_hand(p, 0.5), rel=1e-10)
    monkeypatch.setattr(validators, "SND_BLOCK", 2)  # block-wise equals all at once
    assert validators.snd_score(p) == pytest.approx(expected, rel=1e-10)
    assert validators.snd_score(p[:1]) == 0.0


def test_effective_classes_is_exp_entropy_of_the_prediction_histogram():
    p = np.eye(3)[[0, 0, 1, 2]]  # shares 1/2, 1/4, 1/4
    assert validators.effective_classes(p) == pytest.approx(2**1.5, rel=1e-12)
    assert validators.effective_classes(np.eye(4)[[2] * 7]) == pytest.approx(1.0)
    assert validators.effective_classes(np.eye(5)) == pytest.approx(5.0)


def test_source_accuracy_and_losses():
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    y = np.array([0, 1, 1])
    assert validators.source_accuracy(p, y) == pytest.approx(2 / 3)
    np.testing.assert_allclose(cross_entropy_losses(p, y), -np.log([0.9, 0.8, 0.4]))
    with pytest.raises(TLError, match="n x K"):
        validators.im_score(np.ones(3))


def test_iwcv_and_dev_with_known_weights():
    losses, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.5])
    wl = w * losses
    assert iwcv_risk(losses, w) == pytest.approx(wl.mean())
    n = len(w)
    cov = sum((a - wl.mean()) * (b - w.mean()) for a, b in zip(wl, w, strict=True)) / (n - 1)
    var = sum((b - w.mean()) ** 2 for b in w) / (n - 1)
    eta = -cov / var
    assert dev_risk(losses, w) == pytest.approx(wl.mean() + eta * w.mean() - eta, rel=1e-12)
    assert dev_risk(losses, w) == pytest.approx(10 / 3 - 3.8333333333 / 1.0833333333 / 3, rel=1e-8)
    # constant weights: no control variate, DEV is IWCV
    assert dev_risk(losses, np.full(3, 0.7)) == pytest.approx(iwcv_risk(losses, np.full(3, 0.7)))


def test_importance_weights_recover_a_known_density_ratio():
    # N(0, 1) source, N(1, 1) target: p_t(x) / p_s(x) = exp(x - 1/2), whatever n_s / n_t
    rng = np.random.default_rng(0)
    xs, xt = rng.normal(0, 1, (2000, 1)), rng.normal(1, 1, (500, 1))
    w = importance_weights(xs, xt, seed=0)
    inner = np.abs(xs[:, 0]) < 1.5
    error = np.abs(np.log(w[inner]) - (xs[inner, 0] - 0.5))
    assert np.median(error) < 0.15
    assert w.mean() == pytest.approx(1.0, abs=0.1)
    np.testing.assert_array_equal(w, importance_weights(xs, xt, seed=0))
    np.testing.assert_array_equal(importance_weights(xs[:1], xt), np.ones(1))  # too few to fit


def test_effective_sample_size_is_kish():
    assert effective_sample_size(np.full(7, 0.3)) == pytest.approx(7.0)  # equal weights: n
    assert effective_sample_size(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)  # (1+1+2)^2 / (1+1+4)
    dominated = np.array([1000.0, *np.full(99, 1e-3)])  # (1000.099)^2 / (1e6 + 99e-6)
    assert effective_sample_size(dominated) == pytest.approx(1000.099**2 / (1e6 + 99e-6), rel=1e-12)
    assert 1.0 < effective_sample_size(dominated) < 1.001
    assert effective_sample_size(np.array([])) == 0.0


def test_separable_domains_leave_too_few_effective_samples():
    # 40 source samples: a target that overlaps them keeps most (36.4), one 2 sd away a handful (5.9)
    rng = np.random.default_rng(0)
    xs = rng.normal(0, 1, (40, 2))
    settings = SelectionSettings()
    healthy = effective_sample_size(importance_weights(xs, rng.normal(0, 1, (200, 2)), seed=0))
    separated = effective_sample_size(importance_weights(xs, rng.normal(2, 1, (200, 2)), seed=0))
    assert healthy > 30 and unreliable_weights(healthy, 40, settings) is None
    assert separated < 10
    assert unreliable_weights(separated, 40, settings) == (
        f"DEV and IWCV unreliable: their importance weights rest on {separated:.1f} effective samples "
        "of 40 (fewer than 30)"
    )


def _accurate_and_collapsed(n_per_class: int = 10, k: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """An accurate model (0.91 on the true class) and one that says class 0 for everything (0.99)."""
    y = torch.arange(k).repeat_interleave(n_per_class)
    accurate = torch.full((len(y), k), 0.01)
    accurate[torch.arange(len(y)), y] = 0.91
    collapsed = torch.full((len(y), k), 0.01 / (k - 1))
    collapsed[:, 0] = 0.99
    return accurate, collapsed


def test_a_collapsed_model_does_not_win_im_or_bnm():
    accurate, collapsed = _accurate_and_collapsed()
    assert validators.im_score(accurate) > validators.im_score(collapsed) + 1.0
    assert validators.bnm_score(accurate) > 2 * validators.bnm_score(collapsed)
    assert validators.effective_classes(collapsed) == 1.0 < validators.effective_classes(accurate)


def test_entropy_and_snd_rank_the_collapsed_model_first():
    """Why both are "advanced": confident, clustered predictions win, and collapse is both."""
    accurate, collapsed = _accurate_and_collapsed()
    assert validators.entropy_score(collapsed) > validators.entropy_score(accurate)
    assert validators.snd_score(collapsed) == pytest.approx(math.log(len(collapsed) - 1))
    assert validators.snd_score(collapsed) > validators.snd_score(accurate)
