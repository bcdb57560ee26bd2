"""Each cause's share of the gap: the source drawn to class priors, the target without its novel
samples beyond chance, and MMD² with the cause removed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tlcore.data.domain import Domain
from tlcore.explain.check_measure import cheap_measure
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary
from tlcore.explain.gap_shares import measure_shares, quota_index
from tlcore.explain.settings import ExplainSettings
from tlcore.metrics.coverage import Novelty, NoveltySettings

SETTINGS = ExplainSettings(check_samples=300, check_pca=4)


def test_quotas_follow_the_priors_and_a_short_class_gives_all_it_has():
    y = torch.tensor([0] * 100 + [1] * 100 + [2] * 10)
    index = quota_index(y, [0.5, 0.3, 0.2], 100, seed=0)
    assert torch.bincount(y[index]).tolist() == [50, 30, 10]  # class 2 has 10 of its 20
    assert torch.equal(index, quota_index(y, [0.5, 0.3, 0.2], 100, seed=0))  # seeded
    assert torch.bincount(y[quota_index(y, [1, 1, 1], 10, seed=0)]).tolist() == [4, 3, 3]


def test_only_the_novel_samples_beyond_chance_are_dropped_farthest_first():
    distance = np.array([5.0, 0.1, 9.0, 0.2, 7.0, 0.3, 6.0, 0.4, 0.5, 0.6], dtype=np.float32)
    novel = Novelty(0.4, 4, 10, 0.1, 0.01, 1.0, 100, (), (), NoveltySettings(), distance)
    assert novel.covered_index().tolist() == [0, 1, 3, 5, 7, 8, 9]  # 4 novel, 1 by chance: 9, 7, 6 go
    chance = Novelty(0.1, 1, 10, 0.1, 0.5, 8.0, 100, (), (), NoveltySettings(), distance)
    assert len(chance.covered_index()) == 10


def blobs(priors: list[float], n: int, seed: int) -> Domain:
    """Two-dimensional features, class c around (4c, 0), classes drawn by ``priors``."""
    g = torch.Generator().manual_seed(seed)
    y = torch.multinomial(torch.tensor(priors), n, replacement=True, generator=g)
    X = torch.randn(n, 2, generator=g) * 0.5 + torch.stack([4.0 * y, 0 * y], 1)
    return Domain("blobs", X, y, ("a", "b", "c"))


def test_label_shift_and_missing_classes_are_removed_by_drawing_the_source():
    source = blobs([1 / 3, 1 / 3, 1 / 3], 900, seed=0)
    target = blobs([0.7, 0.3, 0.0], 600, seed=1)  # pure label shift, "c" missing
    before = cheap_measure(source, target, SETTINGS)
    shift = LabelShiftSummary(0.37, classes=("a", "b", "c"), priors=(0.7, 0.3, 0.0))
    shares = measure_shares(
        source, target, before, SETTINGS, label_shift=shift, classes=ClassMismatch({}, 600, {"c": 1 / 3})
    )
    assert shares.mmd2 == before.gap.mmd2 > 0.09
    assert shares.share(shares.mmd2, shares.label_shift) > 0.9  # drawn to the true priors: no gap left
    assert 0.3 < shares.share(shares.mmd2, shares.missing_classes) < 0.9  # without "c": a:b 1:1, not 7:3
    blind = measure_shares(source, target, before, SETTINGS, label_shift=LabelShiftSummary(0.37))
    assert blind.label_shift is None and "no estimated target priors" in blind.notes["label_shift"]
    unlabelled = Domain("u", source.X, None, ())
    none = measure_shares(unlabelled, target, before, SETTINGS, label_shift=shift)
    assert none.notes["label_shift"] == "the source has no labels to draw by class"


def test_target_classes_the_source_lacks_are_a_share_of_the_gap_with_them():
    source = blobs([0.5, 0.5, 0.0], 600, seed=0)
    full = blobs([0.4, 0.4, 0.2], 600, seed=1)
    target = full.subset(torch.nonzero(full.y < 2).flatten())
    before = cheap_measure(source, target, SETTINGS)
    mismatch = ClassMismatch({"c": int((full.y == 2).sum())}, 600, {})
    shares = measure_shares(source, target, before, SETTINGS, classes=mismatch, every_class=lambda: full)
    assert shares.with_new_classes > shares.mmd2
    assert shares.new_classes == pytest.approx(
        (shares.with_new_classes - shares.mmd2) / shares.with_new_classes
    )
    assert shares.new_classes > 0.5  # without "c" the sides hardly differ
    # every other share is a share of the gap with them
    assert shares.share(shares.mmd2, 0.0) == pytest.approx(1 - shares.new_classes)
    lost = measure_shares(source, target, before, SETTINGS, classes=mismatch)
    assert lost.new_classes is None and "not named by a spec" in lost.notes["new_classes"]
