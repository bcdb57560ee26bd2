"""Samples a pair shares (QA helper-143: ``fashion:n=2000 -> fashion:n=1000`` scored a source-only
model on its own training images): counted exactly by base dataset and sample id, and the fix."""

from __future__ import annotations

from pathlib import Path

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import load_run_pair, pair_shared
from tlcore.data import harmonise, load_domain
from tlcore.data.overlap import RunSplits, base_dataset, shared_samples, split_fix
from tlcore.workspace import Workspace


def test_two_draws_of_one_dataset_share_the_smaller_and_a_run_scores_on_training_images(
    workspace: Workspace,
) -> None:
    config = AdaptConfig(source="mnist5k:n=400", target="mnist5k:n=200,rotate=30")
    pair = load_run_pair(config, workspace)
    shared = pair.shared(config)
    assert shared is not None
    assert (shared.base, shared.shared, shared.n_target) == ("mnist5k", 200, 200)
    assert (shared.shared_test, shared.n_test) == (35, 40)
    # the same count by pixels: target test images (unrotated) found among the source's training images
    plain = load_run_pair(AdaptConfig(source="mnist5k:n=400", target="mnist5k:n=200"), workspace)
    train = {bytes(x.numpy()) for x in plain.source_train.X}
    assert sum(bytes(x.numpy()) in train for x in plain.target_test.X) == 35
    assert shared.fix is None  # mnist5k has no train / test split
    assert shared.line().endswith("reads too high; to score transfer, take the target from other data")
    # the held-out splits a run measures its gap on: target test images among the source validation ones
    validation = {bytes(x.numpy()) for x in plain.source_val.X}
    held_out = sum(bytes(x.numpy()) in validation for x in plain.target_test.X)
    assert (shared.shared_held_out, shared.n_source_val) == (held_out, 80) == (5, 80)
    # the page's version (no pixels copied) counts the same
    source = load_domain(config.source, workspace)
    target = load_domain(config.target, workspace)
    assert pair_shared(*harmonise(source, target), config) == shared


def test_a_shift_of_the_whole_dataset_shares_every_sample_but_no_test_sample() -> None:
    """The benchmark's colour task: the same seeded split holds out the same images on both sides."""
    ids = [str(i) for i in range(10)]
    shared = shared_samples(
        "mnist5k", "mnist5k:colour=1", (ids, ids), RunSplits(ids[:8], ids[8:], ids[8:], 4, 0.2), images=True
    )
    assert shared is not None
    assert (shared.shared, shared.n_target, shared.shared_test, shared.n_test) == (10, 10, 0, 2)
    line = shared.line()
    assert line.startswith(
        "source and target share images of mnist5k: all 10 of the target's samples are source samples "
        "(the same images, told apart only by the target's colour=1), though none of the 2 target test "
        "samples a run with seed 4 scores on is a source training sample"
    )
    assert shared.line(held_out=True) == (
        f"{line}; the held-out splits a run measures its gap on share images: 2 of the 2 target test "
        "samples are among the 2 source validation samples, so the gap compares them with themselves, shifted"
    )


def test_the_benchmarks_base_pair_reads_as_a_part_of_the_source() -> None:
    """``mnist5k -> mnist5k:n=2000`` (the explain benchmark's base pair) is built from the source's images."""
    source, target = [str(i) for i in range(10)], ["3", "1", "4"]
    splits = RunSplits(source[:8], source[8:], ["4"], 0, 0.2, ["3", "1"])
    shared = shared_samples("mnist5k", "mnist5k:n=3", (source, target), splits, images=True)
    assert shared is not None
    assert (
        "all 3 of the target's samples are source samples (the target is part of the source, unshifted)"
        in (shared.line())
    )
    assert shared.line(held_out=True).endswith(
        "the held-out splits a run measures its gap on share none: no target test sample is among the 2 "
        "source validation samples"
    )
    assert shared.to_dict() == {
        "by": "ids",
        "base": "mnist5k",
        "shared": 3,
        "n_source": 10,
        "n_target": 3,
        "source_share": 0.3,
        "target_share": 1.0,
        "shared_test": 1,
        "n_test": 1,
        "shared_held_out": 0,
        "n_source_val": 2,
        "seed": 0,
        "test_fraction": 0.2,
        "fix": None,
        "copies": None,
        "near_copies": None,
        "target_labelled": True,
        "shared_train": 2,
        "n_train": 2,
        "text": shared.line(),
    }


def test_other_datasets_or_other_splits_share_nothing() -> None:
    ids = ["train/1", "train/2"]
    splits = RunSplits(["0"], [], ["1"], 0, 0.5)
    assert shared_samples("mnist5k", "digits", (["0", "1"], ["0", "1"]), splits, images=True) is None
    test_ids = ["test/1", "test/2"]
    splits = RunSplits(ids[:1], ids[1:], test_ids[1:], 0, 0.5)
    assert (
        shared_samples("fashion:split=train", "fashion:split=test", (ids, test_ids), splits, images=True)
        is None
    )


def test_the_fix_is_the_datasets_train_and_test_splits() -> None:
    assert base_dataset("fashion:n=10,rotate=30") == base_dataset("fashionmnist@/data:split=test")
    assert split_fix("fashion:n=2000", "fashion:n=1000,rotate=30") == (
        "fashion:split=train,n=2000",
        "fashion:split=test,n=1000,rotate=30",
    )
    assert split_fix("mnist5k:n=400", "mnist5k:n=200") is None


def test_a_table_drawn_twice_shares_samples_not_images(tmp_path: Path, workspace: Workspace) -> None:
    """A table upload and a draw of it: its rows are samples (the line said "images" of a table)."""
    table = tmp_path / "sensors.csv"
    rows = [f"{i % 7}.5,{i % 3},{'ab'[i % 2]}" for i in range(60)]
    table.write_text("temp,flow,label\n" + "\n".join(rows) + "\n")
    config = AdaptConfig(source=str(table), target=f"{table}:n=30")
    shared = load_run_pair(config, workspace).shared(config)
    assert shared is not None and not shared.images
    assert (shared.shared, shared.n_target, shared.shared_test, shared.n_test) == (30, 30, 4, 6)
    assert shared.line().startswith("source and target share samples of ")
    assert "all 30 of the target's samples are source samples" in shared.line()
    source, target = (load_domain(spec, workspace) for spec in (config.source, config.target))
    assert pair_shared(*harmonise(source, target), config) == shared  # the page's count, the same words


def test_a_pair_too_small_for_a_runs_split_shares_nothing_a_run_scores(workspace: Workspace) -> None:
    """Two target samples split into no test split: None, as ``diagnose`` and the pages need (the Data
    page raised)."""
    config = AdaptConfig(source="mnist5k:n=40", target="mnist5k:n=2")
    source, target = (load_domain(spec, workspace) for spec in (config.source, config.target))
    assert pair_shared(*harmonise(source, target), config) is None
