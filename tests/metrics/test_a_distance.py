"""Proxy A-distance: about 0 for one distribution, about 2 for separable domains; seeded."""

import numpy as np
import pytest
import torch

from tlcore.errors import TLError
from tlcore.metrics.a_distance import proxy_a_distance


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
