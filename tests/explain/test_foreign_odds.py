"""Diagnose's most foreign target samples of images (QA helper-220, mnist5k to digits): captioned with
the domain classifier's p(target) at 2 decimals, all 24 read 1.00; their log-odds tell them apart."""

from __future__ import annotations

import math

import numpy as np

from tlcore.data import harmonise
from tlcore.data.spec import load_sides
from tlcore.diagnosis import diagnose
from tlcore.views.explore import foreign_log_odds, most_foreign
from tlcore.workspace import Workspace


def test_the_most_foreign_samples_of_a_clear_gap_are_told_apart_by_their_log_odds(tmp_path) -> None:
    pair = harmonise(*load_sides("mnist5k:n=600", "digits:n=400", Workspace(tmp_path), 0))
    report = diagnose(*pair, umap=False)
    index = most_foreign(report, 24)
    p, log_odds = report.target_foreignness[index], report.target_log_odds[index]
    assert {f"{v:.2f}" for v in p} == {"1.00"}  # the old captions: one value for all 24
    captions = [foreign_log_odds(v) for v in log_odds]
    assert len(set(captions)) >= 20 and [float(c) for c in captions] == sorted(map(float, captions))[::-1]
    assert captions[0] == "10" and captions[-1] == "7.65"  # p 0.999954 and 0.999526: 10x the odds
    np.testing.assert_allclose(np.log(p / (1 - p)), log_odds, atol=0.01)  # the log-odds of the same p


def test_log_odds_read_by_the_rule() -> None:
    shown = [foreign_log_odds(x) for x in (math.log(99), 19.234, -0.5123, 0.0)]
    assert shown == ["4.6", "19.2", "-0.512", "0"]
