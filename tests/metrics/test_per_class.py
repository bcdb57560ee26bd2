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


def test_the_label_shift_p_value_is_the_share_of_random_splits_as_far_apart_on_hand_numbers():
    # source 2 x class 0, target 2 x class 1: of the 6 equally likely splits of the pooled [2, 2]
    # labels, the target gets [0, 2] or [2, 0] in 2 (TV 1, as observed) and [1, 1] in 4 (TV 0)
    apart = label_shift(torch.tensor([0, 0]), torch.tensor([1, 1]), 2, n_permutations=4000)
    assert apart.tv_distance == 1.0 and apart.p_value == pytest.approx(1 / 3, abs=0.03)
    same = label_shift(torch.tensor([0, 1, 1]), torch.tensor([1, 0, 1]), 2)
    assert same.tv_distance == 0.0 and same.p_value == 1.0  # every split is at least as far apart
    # seeded: the same p-value again
    assert label_shift(torch.tensor([0, 0]), torch.tensor([1, 1]), 2, n_permutations=4000).p_value == (
        apart.p_value
    )


def test_two_small_samples_of_one_class_distribution_differ_by_chance_and_the_test_says_so():
    g = torch.Generator().manual_seed(0)
    p_values = []
    for seed in range(100):
        ys, yt = torch.randint(0, 10, (30,), generator=g), torch.randint(0, 10, (30,), generator=g)
        p_values.append(label_shift(ys, yt, 10, seed=seed).p_value)
    rejected = sum(p < 0.05 for p in p_values)
    assert rejected <= 10  # about 5 of 100 at the 5% level (a permutation test is at or under it)
    ys, yt = torch.randint(0, 10, (30,), generator=g), torch.randint(0, 4, (30,), generator=g)
    assert label_shift(ys, yt, 10).p_value < 0.01  # the target holds 4 of the 10 classes
