"""Per-class MMD² singles out the shifted class; label shift's total variation."""

import pytest
import torch

from tlcore.metrics import class_conditional_mmd, label_shift, mmd2_unbiased


def _three_classes(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(3).repeat_interleave(60)
    X = torch.randn(180, 4, generator=g) + 3.0 * torch.nn.functional.one_hot(y, 4).float()
    return X, y


def test_the_shifted_class_has_the_largest_gap():
    Xs, ys = _three_classes(0)
    Xt, yt = _three_classes(1)
    Xt[yt == 2] += 1.5
    gaps = class_conditional_mmd(Xs, ys, Xt, yt, ("a", "b", "c"), bandwidth=2.0)
    assert [g.name for g in gaps] == ["a", "b", "c"]
    assert max(gaps, key=lambda g: g.mmd2).name == "c"
    assert gaps[2].mmd2 > 5 * max(gaps[0].mmd2, gaps[1].mmd2)
    assert gaps[1].mmd2 == pytest.approx(mmd2_unbiased(Xs[ys == 1], Xt[yt == 1], 2.0))


def test_small_classes_get_none_and_a_reason():
    Xs, ys = _three_classes(0)
    Xt, yt = _three_classes(1)
    keep = torch.cat([torch.arange(120), torch.arange(120, 123)])  # 3 target samples of class 2
    gaps = class_conditional_mmd(Xs, ys, Xt[keep], yt[keep], ("a", "b", "c"), min_samples=5)
    assert gaps[2].mmd2 is None
    assert gaps[2].reason == "only 3 target samples (fewer than 5)"
    assert gaps[0].mmd2 is not None and gaps[0].reason is None


def test_label_shift_priors_and_total_variation():
    ys = torch.tensor([0, 0, 1, 1])
    yt = torch.tensor([0, 1, 1, 1, 2, 2, 2, 2])
    shift = label_shift(ys, yt, 3, target_labels="predicted")
    assert shift.source_prior == pytest.approx((0.5, 0.5, 0.0))
    assert shift.target_prior == pytest.approx((0.125, 0.375, 0.5))
    assert shift.tv_distance == pytest.approx(0.5)
    assert shift.target_labels == "predicted"
    assert label_shift(ys, ys, 3).tv_distance == 0.0
