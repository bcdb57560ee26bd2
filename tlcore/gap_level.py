"""A gap's size in plain words, and what the sample sizes allow one to read of it.

:func:`gap_level` sizes a :class:`~tlcore.metrics.gap.Gap` by its two tests and its proxy
A-distance; :func:`low_power_note` and :func:`coral_note` say when a side is too small for the tests
or for CORAL's covariances. :func:`tlcore.diagnosis.describe_gap` reads them for a person.
"""

from __future__ import annotations

from typing import Literal

from tlcore.metrics.coverage import SIGNIFICANCE
from tlcore.metrics.gap import Gap

GapLevel = Literal["none", "small", "moderate", "large"]

PAD_SMALL, PAD_MODERATE = 0.5, 1.5  # proxy A-distance below them: "small", "moderate"; else "large"
MIN_POWER = 30  # samples per side below which a test finds only gross differences


def gap_level(gap: Gap) -> GapLevel:
    """Plain-words size of the gap.

    ``none`` when neither test rejects equal distributions at 0.05: the MMD permutation test
    (``p_value``) nor the domain classifier's (``domain_p_value``; not for results stored without
    it). Either test may miss what the other finds (the kernel's one bandwidth, the classifier's
    linear boundary), so a gap is read when either finds one. Its size by the proxy A-distance,
    which is scale-free in any feature space: ``small`` below 0.5 (the domain classifier is right
    < 62.5% of the time, balanced), ``moderate`` below 1.5 (< 87.5%), ``large`` from 1.5 on.
    """
    if not detected_by(gap):
        return "none"
    if gap.a_distance < PAD_SMALL:
        return "small"
    return "moderate" if gap.a_distance < PAD_MODERATE else "large"


def detected_by(gap: Gap) -> tuple[str, ...]:
    """The tests that reject equal distributions at :data:`SIGNIFICANCE`: ``"mmd"`` (the permutation
    test) and ``"classifier"`` (the domain classifier's held-out accuracy against chance)."""
    found = ("mmd",) if gap.p_value < SIGNIFICANCE else ()
    classifier = gap.domain_p_value
    return found + (("classifier",) if classifier is not None and classifier < SIGNIFICANCE else ())


def low_power_note(n_source: int, n_target: int) -> str:
    """A sentence when a side has fewer than :data:`MIN_POWER` samples (empty otherwise): with a
    handful of samples the tests find only gross differences, so "no gap" is no evidence of none."""
    few = [(n, side) for side, n in (("source", n_source), ("target", n_target)) if n < MIN_POWER]
    if not few:
        return ""
    noun = "sample" if len(few) == 1 and few[0][0] == 1 else "samples"
    return (
        f"Only {' and '.join(f'{n} {side}' for n, side in few)} {noun}: too few for the tests to find "
        f"any but a gross difference; collect at least {MIN_POWER} per side and diagnose again."
    )


def coral_note(n_source: int, n_target: int, dim: int) -> str:
    """A sentence when a side has no more samples than the features have dimensions (empty
    otherwise): ``n`` samples give a covariance of rank at most ``n - 1``, so with ``n <= d`` the
    ``d x d`` covariances CORAL compares (:func:`tlcore.metrics.coral.coral_distance`) are
    rank-deficient estimates and their distance mostly sampling noise."""
    few = [(n, side) for side, n in (("source", n_source), ("target", n_target)) if n <= dim]
    if not few:
        return ""
    return (
        f"CORAL compares {dim}x{dim} feature covariances estimated from only "
        f"{' and '.join(f'{n} {side}' for n, side in few)} samples (no more than the {dim} dimensions): "
        "they are rank-deficient and CORAL is mostly noise here; read MMD² and the proxy A-distance."
    )
