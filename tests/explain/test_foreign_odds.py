"""Diagnose's most foreign target samples of images (QA helper-220, mnist5k to digits): captioned with
the domain classifier's p(target) at 2 decimals, all 24 read 1.00; their log-odds tell them apart."""

from __future__ import annotations

import math

import numpy as np
import torch

from tlcore.data import harmonise
from tlcore.data.domain import Domain
from tlcore.data.spec import load_sides
from tlcore.diagnosis import diagnose
from tlcore.views.explore import LOG_ODDS, foreign_log_odds, foreign_rows, most_foreign
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


def test_the_most_foreign_rows_of_a_table_show_their_log_odds() -> None:
    rng = np.random.default_rng(220)
    source, target = rng.normal(0.0, 1.0, (300, 4)), rng.normal(0.0, 1.0, (200, 4))
    target[:, 0] += 4.0  # one column moved far
    sides = (("s", source), ("t", target))
    pair = [Domain(n, torch.from_numpy(X.astype(np.float32)), None, ()) for n, X in sides]
    report = diagnose(*pair, umap=False)
    index = most_foreign(report, 5)
    assert {round(float(v), 3) for v in report.target_foreignness[index]} == {1.0}  # the old column
    rows = foreign_rows(report, pair[1], index)
    shown = [row[LOG_ODDS] for row in rows]
    assert len(set(shown)) == 5 and shown == sorted(shown, reverse=True) and shown[-1] > 6.9  # p > 0.999
