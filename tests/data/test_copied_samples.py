"""Samples a pair of other datasets shares, found by content (QA helper-154: a copy of the source
uploaded under another name got no warning, and ``diagnose`` read MMD p = 1, CORAL 0): exact copies of
source samples counted in all, in the target's test split and in the held-out splits."""

from __future__ import annotations

import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import content_keys, pair_shared, split_pair
from tlcore.data.domain import Domain
from tlcore.data.overlap import RunSplits, copied_samples

SOURCE, TARGET = "/data/sensors.csv", "/data/sensors_new.csv"  # two files: no id in common


def table(rows: list[list[float]], labels: list[int], name: str) -> Domain:
    return Domain(
        name,
        torch.tensor(rows),
        torch.tensor(labels),
        ("a", "b"),
        ids=tuple(f"r{i}" for i in range(len(rows))),
    )


def test_content_keys_are_equal_for_exact_copies_only() -> None:
    X = torch.tensor([[0.5, 1.0], [0.5, 1.0], [0.5, 1.0000001], [1.0, 0.5], [0.0, 0.0], [-0.0, 0.0]])
    keys = content_keys(X)
    assert len(keys) == 6 and keys[0] == keys[1]
    assert len(set(keys)) == 5  # a last-bit change, swapped columns and -0.0 are other bytes
    images = torch.zeros(3, 1, 2, 2)
    images[2, 0, 1, 1] = 1.0
    assert content_keys(images)[0] == content_keys(images)[1] != content_keys(images)[2]


def test_copies_are_counted_in_all_in_the_test_split_and_in_the_held_out_splits() -> None:
    keys = ["a", "b", "c", "d"], ["x", "b", "d", "d", "y"]  # b once, d twice (the target repeats it)
    target_ids = ["t0", "t1", "t2", "t3", "t4"]
    splits = RunSplits(["a", "b", "c"], ["d"], ["b", "d", "y"], 5, 0.25)
    shared = copied_samples(SOURCE, TARGET, keys, splits, images=False, target_ids=target_ids)
    assert shared is not None and shared.by == "content" and shared.fix is None
    assert (shared.shared, shared.n_source, shared.n_target) == (3, 4, 5)
    assert (shared.shared_test, shared.n_test, shared.shared_held_out, shared.n_source_val) == (1, 3, 1, 1)
    assert shared.copies == ("t1", "t2", "t3")
    assert shared.line(held_out=True) == (
        "the target repeats source samples, found by content: 3 of the target's 5 samples are exact "
        "copies of source samples, and 1 of the 3 target test samples a run with seed 5 scores on is "
        "a copy of a source training sample, so its target accuracy reads too high; to score transfer, "
        "remove the copies from the target (sample ids t1, t2, t3; python -m tlcore data drop-copies "
        "drops them); the held-out splits a run measures "
        "its gap on share samples: 1 of the 3 target test samples is a copy of a sample among the 1 "
        "source validation sample, so the gap compares it with itself"
    )
    as_json = shared.to_dict()
    assert (as_json["by"], as_json["base"], as_json["copies"], as_json["fix"]) == (
        "content",
        "/data/sensors_new.csv",
        ["t1", "t2", "t3"],
        None,
    )
    assert (as_json["source_share"], as_json["target_share"]) == (0.75, 0.6)
    assert (
        copied_samples(SOURCE, TARGET, (keys[0], ["x", "y"]), splits, images=False, target_ids=["0", "1"])
        is None
    )


def test_a_whole_copy_split_alike_holds_out_the_same_samples() -> None:
    """The source uploaded again under another name: every target sample a copy, none of the test
    split a source training sample (one seed splits both alike), every one a source validation one."""
    keys = [str(i) for i in range(10)]
    splits = RunSplits(keys[:8], keys[8:], keys[8:], 0, 0.2)
    shared = copied_samples(
        "upload:a.zip", "upload:b.zip", (keys, keys), splits, images=True, target_ids=keys
    )
    assert shared is not None and (shared.shared, shared.shared_test, shared.shared_held_out) == (10, 0, 2)
    assert shared.line(held_out=True) == (
        "the target repeats source images, found by content: all 10 of the target's samples are exact "
        "copies of source samples, though none of the 2 target test samples a run with seed 0 scores on is "
        "a copy of a source training sample; to measure transfer, remove the copies from the target (sample "
        "ids 0, 1, 2 and 7 more; python -m tlcore data drop-copies drops them); "
        "the held-out splits a run measures its gap on share images: 2 of the 2 target test samples are "
        "copies of samples among the 2 source validation samples, so the gap compares them with themselves"
    )


def test_a_pair_of_other_datasets_is_compared_by_its_harmonised_bytes() -> None:
    """Hand-made tables: the target repeats source rows 1, 4 and 6 (row 4 twice) among new rows; the
    page's count (each side hashed once, no row copied) and a run's split count the same."""
    rows = [[float(i), i % 3 + 0.5] for i in range(20)]  # no row of one value (those match nothing)
    source = table(rows, [i % 2 for i in range(20)], "sensors")
    picked = [1, 4, 6, 4]
    new = [[100.0 + i, 0.5] for i in range(8)]
    target_rows = [rows[i] for i in picked] + new
    target = table(target_rows, [i % 2 for i in picked] + [i % 2 for i in range(8)], "sensors_new")
    config = AdaptConfig(source=SOURCE, target=TARGET, seed=3)
    shared = pair_shared(source, target, config)
    assert shared is not None and shared.by == "content"
    assert (shared.shared, shared.n_source, shared.n_target) == (4, 20, 12)
    assert shared.copies == ("r0", "r1", "r2", "r3")
    pair = split_pair(source, target, config)
    train = {tuple(x.tolist()) for x in pair.source_train.X}
    validation = {tuple(x.tolist()) for x in pair.source_val.X}
    tested = [tuple(x.tolist()) for x in pair.target_test.X]
    assert shared.shared_test == sum(x in train for x in tested) == 1
    assert shared.shared_held_out == sum(x in validation for x in tested) == 1
    assert shared.n_test == len(tested) == 2 and shared.n_source_val == 4
    assert pair.shared(config) == shared  # the run's count, by the split's own bytes
    fresh = table(new + new, [i % 2 for i in range(16)], "sensors_fresh")
    assert pair_shared(source, fresh, config) is None  # no copy of a source row: no finding


def test_a_blank_sample_or_a_row_the_source_repeats_is_no_copy() -> None:
    """Content that names no one source sample: a constant sample (a blank image, alike on two sides by
    chance) and a row the source itself holds twice (a table of a few discrete values repeats rows
    without any copying); a unique source row copied still counts."""
    rows = [[0.0, 0.0], [1.0, 2.0], [1.0, 2.0], [3.0, 4.0]] + [[5.0 + i, 0.5] for i in range(16)]
    source = table(rows, [i % 2 for i in range(20)], "sensors")
    target = table([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0], [9.5, 7.0]] * 3, [0, 1] * 6, "sensors_new")
    shared = pair_shared(source, target, AdaptConfig(source=SOURCE, target=TARGET))
    assert shared is not None and shared.shared == 3  # [3, 4] three times; [0, 0] and [1, 2] not
    assert shared.copies == ("r2", "r6", "r10")
