"""Classes one side of a harmonised pair lacks, as the verdict reads them from the pair report."""

from __future__ import annotations

import torch

from tlcore.data.domain import Domain
from tlcore.data.harmonise import harmonise
from tlcore.explain.evidence import ClassMismatch


def labelled(name: str, counts: dict[str, int], seed: int) -> Domain:
    classes = tuple(counts)
    y = torch.cat([torch.full((n,), i) for i, n in enumerate(counts.values())])
    X = torch.randn(len(y), 4, generator=torch.Generator().manual_seed(seed))
    return Domain(name, X, y, classes)


def test_new_target_classes_are_counted_before_the_drop_and_missing_ones_beyond_chance():
    source = labelled("s", {"a": 100, "b": 100, "c": 100}, 0)
    target = labelled("t", {"a": 60, "b": 60, "z": 30}, 1)
    mismatch = ClassMismatch.of(*harmonise(source, target))
    assert mismatch == ClassMismatch(new={"z": 30}, n_target=150, missing={"c": 1 / 3})
    # 10 target samples miss a class of a third by chance (2/3)^10 = 1.7% of the time: named;
    # a class of 5% by chance 60% of the time: not
    small = labelled("small", {"a": 5, "b": 5}, 2)
    source = labelled("s", {"a": 95, "b": 100, "c": 100, "d": 15}, 0)
    assert ClassMismatch.of(*harmonise(source, small)).missing == {"c": 100 / 310}


def test_agreeing_or_unharmonised_classes_are_no_mismatch():
    source = labelled("s", {"a": 50, "b": 50}, 0)
    assert ClassMismatch.of(*harmonise(source, labelled("t", {"a": 20, "b": 20}, 1))) is None
    assert ClassMismatch.of(source, labelled("t", {"a": 20, "z": 20}, 1)) is None
