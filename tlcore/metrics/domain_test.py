"""The domain classifier's test of ``P_X = P_Y`` (a gap's second test beside the MMD's), without torch:
``runs show`` and ``adapt`` read it off a run's stored gap (its held-out error), as
:attr:`tlcore.metrics.gap.Gap.domain_p_value` does off a measured one."""

from __future__ import annotations

import math

FOLDS = 2  # cross-fitting folds of the domain classifier (a gap's proxy A-distance and its test)


def beyond_chance_p(error: float, n_source: int, n_target: int, n_folds: int) -> float:
    """One-sided p-value of a held-out balanced ``error`` this far below chance when the two domains
    are one distribution: a classifier two-sample test (Lopez-Paz & Oquab 2017) on
    :func:`~tlcore.metrics.a_distance.proxy_a_distance`'s ``n_folds`` cross-fitted predictions. Under
    that null, given a fold's classifier its predictions do not depend on their samples' domain, so
    that fold's balanced accuracy has mean ``1/2`` and variance
    ``q (1 - q) (1/n_s' + 1/n_t') / 4 <= (1/n_s' + 1/n_t') / 16`` (``q`` the share it calls target,
    ``n'`` the fold's samples, ``n / n_folds``). The folds' accuracies are correlated (each classifier
    trained on the others' test folds), so their mean's variance is bounded by one fold's,
    ``V = n_folds (1/n_s + 1/n_t) / 16``: ``p = 1 - Phi(z)``, ``z = (1/2 - err) / sqrt(V)`` (normal
    approximation; conservative by both bounds)."""
    z = (0.5 - error) / math.sqrt(n_folds * (1 / n_source + 1 / n_target) / 16)
    return 0.5 * math.erfc(z / math.sqrt(2))
