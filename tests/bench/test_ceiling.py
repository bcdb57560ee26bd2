"""The throughput ceiling's shares pair each round's figures, so a drift between rounds cancels."""

import statistics

import pytest

from bench.ceiling import paired_share
from bench.report_speed import ceiling_section


def test_share_is_the_median_of_per_round_ratios_not_the_ratio_of_medians():
    ceiling = [3000.0, 2000.0, 3200.0]  # round 2 ran while the machine was slow
    tlcore = [2850.0, 1900.0, 2400.0]
    assert paired_share(tlcore, ceiling) == pytest.approx(0.95)  # ratios 0.95, 0.95, 0.75
    assert statistics.median(tlcore) / statistics.median(ceiling) == pytest.approx(2400 / 3000)


def test_rounds_without_a_figure_are_left_out():
    assert paired_share([None, 900.0, 800.0], [1000.0, 1000.0, None]) == pytest.approx(0.9)
    assert paired_share([None, None], [1000.0, 1000.0]) is None
    with pytest.raises(ValueError):  # a figure per round, or None
        paired_share([900.0], [1000.0, 1000.0])


def test_report_shows_each_rounds_share_beside_the_median():
    runs = {"ceiling": [3000.0, 2000.0, 3200.0], "tlcore": [2850.0, 1900.0, 2400.0], "skada": [None] * 3}
    ce = {
        "source": "a", "target": "b", "method": "deep_coral", "network": "lenet_bn", "epochs": 1,
        "batch_size": 32, "optimizer": "fused Adam", "rounds": 3, "threads": 2, "load_start": [0.1] * 3,
        "load_end": [0.2] * 3, "skada_name": "DeepCoral", "skada_status": "not installed", "runs": runs,
        "share": "per-round ratios", "ceiling": 3000.0, "tlcore": 2400.0, "skada": None,
        "tlcore_share": paired_share(runs["tlcore"], runs["ceiling"]), "skada_share": None,
        "tlcore_over_skada": None,
    }  # fmt: skip
    tlcore_row = next(line for line in ceiling_section(ce) if line.startswith("| tlcore"))
    assert "| 95% |" in tlcore_row and "2,400 (75%)" in tlcore_row and "1,900 (95%)" in tlcore_row
