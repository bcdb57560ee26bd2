"""Every two-sample metric checks its inputs the same way before computing anything (one line)."""

from __future__ import annotations

import pytest
import torch

from tlcore.errors import TLError
from tlcore.metrics.coverage import novelty
from tlcore.metrics.gap import measure_gap

GOOD = torch.randn(12, 3)


@pytest.mark.parametrize(
    ("Fs", "Ft", "message"),
    [
        (
            GOOD,
            torch.randn(12, 4),
            r"a gap needs two N x D matrices of one width, got \(12, 3\) and \(12, 4\)",
        ),
        (GOOD, torch.randn(12), r"a gap needs two N x D matrices of one width, got \(12, 3\) and \(12,\)"),
        (GOOD, GOOD[:1], "a gap needs at least 2 samples per domain, got 12 and 1"),
        (GOOD, torch.cat([GOOD[:5], torch.full((1, 3), float("nan"))]), "the target features hold NaN"),
        (GOOD.clone().fill_(float("inf")), GOOD, "the source features hold NaN or infinite values"),
    ],
    ids=["widths", "1-d", "one-sample", "nan", "inf"],
)
def test_measure_gap_refuses_bad_features_in_one_line(
    Fs: torch.Tensor, Ft: torch.Tensor, message: str
) -> None:
    with pytest.raises(TLError, match=message):
        measure_gap(Fs, Ft)


def test_novelty_refuses_nan_instead_of_calling_it_covered() -> None:
    with pytest.raises(TLError, match="novelty: the target features hold NaN"):
        novelty(GOOD, torch.full((4, 3), float("nan")))
    with pytest.raises(TLError, match="novelty needs at least 2 source and 1 target samples, got 1 and 4"):
        novelty(GOOD[:1], GOOD[:4])
