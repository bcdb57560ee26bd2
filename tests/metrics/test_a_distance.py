"""Proxy A-distance: about 0 for one distribution, about 2 for separable domains; seeded; its
classifier two-sample test."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from tlcore.errors import TLError
from tlcore.metrics.a_distance import proxy_a_distance
from tlcore.metrics.domain_test import FOLDS, beyond_chance_p


def test_same_distribution_gives_near_zero():
    g = torch.Generator().manual_seed(0)
    result = proxy_a_distance(torch.randn(400, 5, generator=g), torch.randn(150, 5, generator=g))
    assert result.a_distance < 0.3
    assert result.error == pytest.approx(0.5, abs=0.1)


def test_separable_domains_give_near_two_and_foreign_scores():
    g = torch.Generator().manual_seed(1)
    Xs, Xt = torch.randn(300, 5, generator=g), torch.randn(200, 5, generator=g) + 6.0
    result = proxy_a_distance(Xs, Xt, seed=3)
    assert result.a_distance > 1.9
    assert result.target_scores.shape == (200,)
    assert (result.target_scores > 0.5).mean() > 0.95


def test_foreignness_ranks_outliers_first():
    g = torch.Generator().manual_seed(2)
    Xs, Xt = torch.randn(300, 3, generator=g), torch.randn(100, 3, generator=g)
    Xt[:10] += 5.0  # ten target samples unlike anything in the source
    scores = proxy_a_distance(Xs, Xt).target_scores
    assert set(np.argsort(-scores)[:10].tolist()) == set(range(10))


def test_seeded_and_deterministic():
    g = torch.Generator().manual_seed(4)
    Xs, Xt = torch.randn(100, 4, generator=g), torch.randn(80, 4, generator=g) + 0.5
    a, b = proxy_a_distance(Xs, Xt, seed=5), proxy_a_distance(Xs, Xt, seed=5)
    assert a.a_distance == b.a_distance
    np.testing.assert_array_equal(a.target_scores, b.target_scores)


def test_too_few_samples_is_a_tlerror():
    with pytest.raises(TLError):
        proxy_a_distance(torch.randn(1, 3), torch.randn(10, 3))


def test_the_classifier_test_computes_its_stated_formula():
    # z = (1/2 - err) / sqrt(n_folds (1/n_s + 1/n_t) / 16), p = 1 - Phi(z)
    z = (0.5 - 0.318) / np.sqrt(2 * (1 / 121 + 1 / 80) / 16)
    assert beyond_chance_p(0.318, 121, 80, 2) == pytest.approx(norm.sf(z), rel=1e-12)
    assert beyond_chance_p(0.318, 121, 80, 2) == pytest.approx(1.8e-4, rel=0.05)
    assert beyond_chance_p(0.5, 121, 80, 2) == 0.5
    assert beyond_chance_p(0.6, 121, 80, 2) > 0.5  # worse than chance: no evidence of a gap


def test_the_classifier_test_holds_its_level_on_one_distribution():
    # Cross-fitted folds' accuracies are correlated: the plain binomial variance (n_folds = 1 in the
    # formula) rejects one distribution 7.5% of the time here; the fold bound keeps it under 5%.
    errors = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        errors.append(proxy_a_distance(rng.normal(size=(60, 20)), rng.normal(size=(40, 20)), seed=seed).error)
    rate = np.mean([beyond_chance_p(e, 60, 40, FOLDS) < 0.05 for e in errors])
    plain = np.mean([beyond_chance_p(e, 60, 40, 1) < 0.05 for e in errors])
    assert rate <= 0.05 < plain
