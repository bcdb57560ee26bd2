"""Per-class MMD² singles out the shifted class, each tested and adjusted across the classes; label
shift's total variation."""

import pytest
import torch

from tlcore.data.rng import derive_seed
from tlcore.metrics.mmd import mmd2_unbiased, mmd_permutation_test
from tlcore.metrics.per_class import ClassGapSettings, class_conditional_mmd, label_shift


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
    few = ClassGapSettings(n_permutations=100, min_samples=5)
    gaps = class_conditional_mmd(Xs, ys, Xt[keep], yt[keep], ("a", "b", "c"), settings=few)
    assert gaps[2].mmd2 is None
    assert gaps[2].reason == "only 3 target samples (fewer than 5)"
    assert (gaps[2].p_value, gaps[2].q_value, gaps[2].significant) == (None, None, False)
    assert gaps[0].mmd2 is not None and gaps[0].reason is None


def test_a_class_a_model_rarely_or_never_predicted_says_so():
    """QA helper-275: by a model's predicted labels, "only 0 target samples" meant that the model never
    predicted the class; the reason says so, and counts one sample in the singular."""
    Xs, ys = _three_classes(0)
    Xt, yt = _three_classes(1)
    few = ClassGapSettings(n_permutations=20, min_samples=5)
    for kept, labels, reason in (
        (0, "predicted", "predicted for no target sample"),
        (1, "predicted", "predicted for only 1 target sample (fewer than 5)"),
        (3, "predicted", "predicted for only 3 target samples (fewer than 5)"),
        (1, "true", "only 1 target sample (fewer than 5)"),
    ):
        keep = torch.cat([torch.arange(120), torch.arange(120, 120 + kept)])
        gaps = class_conditional_mmd(
            Xs, ys, Xt[keep], yt[keep], ("a", "b", "c"), settings=few, target_labels=labels
        )
        assert (gaps[2].n_target, gaps[2].mmd2, gaps[2].reason) == (kept, None, reason)
    Xs_few = Xs[torch.cat([torch.arange(120), torch.arange(120, 123)])]  # 3 source samples of class 2
    gaps = class_conditional_mmd(
        Xs_few, ys[: len(Xs_few)], Xt, yt, ("a", "b", "c"), settings=few, target_labels="predicted"
    )
    assert gaps[2].reason == "only 3 source samples (fewer than 5)"  # the source's labels are its own


def _benjamini_hochberg(p: list[float]) -> list[float]:
    """q_(i) = min_{j >= i} p_(j) C / j over the sorted p-values, by hand."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    q, running = [0.0] * len(p), 1.0
    for rank in range(len(p), 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * len(p) / rank)
        q[i] = running
    return q


def test_each_class_p_value_is_its_own_permutation_test_and_q_is_benjamini_hochberg():
    Xs, ys = _three_classes(0)
    Xt, yt = _three_classes(1)
    Xt[yt == 2] += 0.6  # one class moved a little: p-values spread between the classes
    settings = ClassGapSettings(n_permutations=300)
    gaps = class_conditional_mmd(Xs, ys, Xt, yt, ("a", "b", "c"), bandwidth=2.0, settings=settings, seed=7)
    for c, gap in enumerate(gaps):
        test = mmd_permutation_test(
            Xs[ys == c], Xt[yt == c], 300, seed=derive_seed(7, "class gap", c), bandwidth=2.0
        )
        assert gap.p_value == test.p_value
    p = [g.p_value for g in gaps]
    assert len(set(p)) > 1 and gaps[2].p_value == pytest.approx(1 / 301)
    assert [g.q_value for g in gaps] == pytest.approx(_benjamini_hochberg(p), abs=1e-12)
    assert [g.significant for g in gaps] == [q <= 0.05 for q in _benjamini_hochberg(p)]
    again = class_conditional_mmd(Xs, ys, Xt, yt, ("a", "b", "c"), bandwidth=2.0, settings=settings, seed=7)
    assert again == gaps  # seeded: the same p-values again


def _clusters(counts: list[int], seed: int, moved: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``counts[c]`` samples of class ``c``, a unit Gaussian around ``3 e_c`` (class ``moved`` by 1.5)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    X = torch.randn(len(y), len(counts), generator=g) + 3.0 * torch.nn.functional.one_hot(y).float()
    if moved is not None:
        X[y == moved] += 1.5
    return X, y


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_under_the_null_no_class_is_beyond_chance_while_a_moved_class_is(seed):
    names = tuple("abcdef")
    Xs, ys = _clusters([20] * 6, 0)
    Xt, yt = _clusters([20] * 6, seed)  # two samples of one distribution, 20 per class
    same = class_conditional_mmd(Xs, ys, Xt, yt, names)
    assert max(g.mmd2 for g in same) > 0  # the largest MMD² is positive by chance ...
    assert not any(g.significant for g in same)  # ... and beyond chance in no class
    assert min(g.q_value for g in same) > 0.05
    Xm, ym = _clusters([20] * 6, seed, moved=4)
    moved = class_conditional_mmd(Xs, ys, Xm, ym, names)
    assert [g.name for g in moved if g.significant] == ["e"]


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
