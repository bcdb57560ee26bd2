"""Deterministic stratified splits, deterministic paired batches, class balance."""

from __future__ import annotations

import pytest
import torch

from tlcore.data.domain import Domain
from tlcore.data.splits import PairedBatchSampler, train_test_split
from tlcore.errors import TLError


def test_split_is_stratified_disjoint_and_deterministic(mnist5k: Domain) -> None:
    train, test = train_test_split(mnist5k, 0.2, seed=0)
    assert train.n_samples == 4000 and test.n_samples == 1000
    assert set(test.class_counts().values()) == {100}
    assert train.name == "mnist5k [train]" and test.name == "mnist5k [test]"
    again_train, again_test = train_test_split(mnist5k, 0.2, seed=0)
    assert torch.equal(test.X, again_test.X) and torch.equal(train.y, again_train.y)
    _, other = train_test_split(mnist5k, 0.2, seed=1)
    assert not torch.equal(test.X, other.X)
    # disjoint and complete: every image lands on exactly one side
    total = mnist5k.X.sum(dim=(1, 2, 3)).sort().values
    torch.testing.assert_close(torch.cat([train.X, test.X]).sum(dim=(1, 2, 3)).sort().values, total)


def test_split_small_classes_and_unlabelled() -> None:
    y = torch.tensor([0, 0, 1, 1, 1, 2])
    domain = Domain("tiny", torch.rand(6, 3), y, ("a", "b", "c"))
    train, test = train_test_split(domain, 0.2)
    assert test.class_counts() == {"a": 1, "b": 1, "c": 0}  # each class of >= 2 keeps both sides
    unlabelled = Domain("u", torch.rand(10, 2), None, ())
    train, test = train_test_split(unlabelled, 0.3, stratify=True)
    assert (train.n_samples, test.n_samples) == (7, 3)
    with pytest.raises(TLError, match="between 0 and 1"):
        train_test_split(unlabelled, 1.0)
    with pytest.raises(TLError, match="at least 2 samples"):
        train_test_split(unlabelled.subset([0]), 0.5)


def test_paired_batches_cover_the_source_and_cycle_the_target() -> None:
    sampler = PairedBatchSampler(10, 4, batch_size=3, seed=5)
    batches = list(sampler.epoch(0))
    assert [len(s) for s, _ in batches] == [3, 3, 3, 1]
    assert all(len(s) == len(t) for s, t in batches)
    assert sorted(torch.cat([s for s, _ in batches]).tolist()) == list(range(10))
    target = torch.cat([t for _, t in batches]).tolist()
    assert sorted(target[:4]) == [0, 1, 2, 3] and sorted(target[4:8]) == [0, 1, 2, 3]  # fresh permutations
    again = list(sampler.epoch(0))
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(batches, again, strict=True))
    next_epoch = torch.cat([s for s, _ in sampler.epoch(1)])
    assert not torch.equal(next_epoch, torch.cat([s for s, _ in batches]))


def test_an_epoch_is_one_pass_over_the_source() -> None:
    assert len(PairedBatchSampler(4, 10, batch_size=4)) == 1
    assert len(PairedBatchSampler(10, 4, batch_size=4)) == 3
    assert len(PairedBatchSampler(10, 4, batch_size=4, drop_last=True)) == 2
    with pytest.raises(TLError, match="samples on both sides"):
        PairedBatchSampler(0, 4, batch_size=2)


def test_an_epoch_over_the_larger_side_draws_every_target_sample_and_cycles_the_source() -> None:
    sampler = PairedBatchSampler(4, 10, batch_size=3, seed=5, over="larger")
    batches = list(sampler.epoch(0))
    assert len(sampler) == len(batches) == 4 and [len(t) for _, t in batches] == [3, 3, 3, 1]
    assert sorted(torch.cat([t for _, t in batches]).tolist()) == list(range(10))
    source = torch.cat([s for s, _ in batches]).tolist()
    assert sorted(source[:4]) == [0, 1, 2, 3] and sorted(source[4:8]) == [0, 1, 2, 3]
    assert len(PairedBatchSampler(4, 10, batch_size=4, drop_last=True, over="larger")) == 2


def test_with_the_larger_source_both_epoch_settings_draw_the_same_batches() -> None:
    by_source, by_larger = (PairedBatchSampler(10, 4, 3, seed=2, over=o) for o in ("source", "larger"))
    pairs = zip(by_source.epoch(1), by_larger.epoch(1), strict=True)
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in pairs)
