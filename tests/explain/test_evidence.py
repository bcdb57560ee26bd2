"""Classes one side of a harmonised pair lacks, as the verdict reads them from the pair report."""

from __future__ import annotations

import torch

from tlcore.data.domain import Domain
from tlcore.data.harmonise import harmonise
from tlcore.explain.evidence import ClassMismatch
from tlcore.explain.settings import ExplainSettings

FDR = ExplainSettings().fdr


def labelled(name: str, counts: dict[str, int], seed: int) -> Domain:
    classes = tuple(counts)
    y = torch.cat([torch.full((n,), i) for i, n in enumerate(counts.values())])
    X = torch.randn(len(y), 4, generator=torch.Generator().manual_seed(seed))
    return Domain(name, X, y, classes)


def test_new_target_classes_are_counted_before_the_drop_and_missing_ones_beyond_chance():
    source = labelled("s", {"a": 100, "b": 100, "c": 100}, 0)
    target = labelled("t", {"a": 60, "b": 60, "z": 30}, 1)
    mismatch = ClassMismatch.of(*harmonise(source, target), FDR)
    assert mismatch == ClassMismatch(new={"z": 30}, n_target=150, missing={"c": 1 / 3})


def test_a_missing_class_is_named_at_the_false_discovery_rate_over_the_source_classes():
    # 10 target samples miss c (100 of 310) by chance p = (210/310)^10 = 2.04% of the time and d
    # (15 of 310) p = (295/310)^10 = 60.9%; a and b are present (p = 1). Benjamini-Hochberg over the
    # 4 source classes: q_c = min(2.04% * 4/1, 60.9% * 4/2, 1 * 4/3, 1 * 4/4) = 8.1%
    small = labelled("small", {"a": 5, "b": 5}, 2)
    source = labelled("s", {"a": 95, "b": 100, "c": 100, "d": 15}, 0)
    pair = harmonise(source, small)
    assert ClassMismatch.of(*pair, 0.05) is None  # 8.1% > 5%: chance explains it
    assert ClassMismatch.of(*pair, 0.09).missing == {"c": 100 / 310}  # 8.1% <= 9%
    assert ClassMismatch.of(*pair, 0.08) is None


def test_a_small_target_drawn_like_the_source_names_no_missing_class_but_one_without_a_big_class_does():
    # QA: 3 of 10 random 30-image uploads of the source's own digits read "no samples of source
    # class 5": 30 samples miss a class of ten by chance 0.9^30 = 4.2% < 5% of the time, but one of
    # the ten classes is missed that often (BH: q = 42%)
    source = labelled("s", {str(c): 100 for c in range(10)}, 0)
    alike = labelled("t", {str(c): n for c, n in enumerate([4, 4, 4, 3, 3, 3, 3, 3, 3])}, 1)
    assert ClassMismatch.of(*harmonise(source, alike), FDR) is None
    # a class of half the source is missed by 30 samples with p = 0.5^30 = 9e-10 (q = 9e-9): named
    source = labelled("s", {"0": 900} | {str(c): 100 for c in range(1, 10)}, 0)
    lacking = labelled("t", {str(c): n for c, n in enumerate([0, 4, 4, 4, 3, 3, 3, 3, 3, 3])}, 1)
    assert ClassMismatch.of(*harmonise(source, lacking), FDR).missing == {"0": 0.5}


def test_agreeing_or_unharmonised_classes_are_no_mismatch():
    source = labelled("s", {"a": 50, "b": 50}, 0)
    assert ClassMismatch.of(*harmonise(source, labelled("t", {"a": 20, "b": 20}, 1)), FDR) is None
    assert ClassMismatch.of(source, labelled("t", {"a": 20, "z": 20}, 1), FDR) is None
