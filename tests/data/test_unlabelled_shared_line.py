"""The shared-samples line of an unlabelled target (QA helper-198: it said "so its target accuracy reads
too high" of a target with no labels): copies there sway the gap and validators a run measures on its
target test split, and what it adapts to on its training split (counted too: it said "scores on" and
"to score transfer" of a run that scores nothing, and counted the test split alone); a stored finding
without the keys reads as before."""

from __future__ import annotations

import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import pair_shared, split_pair
from tlcore.data.domain import Domain
from tlcore.data.overlap import RunSplits, copied_samples
from tlcore.views.overlap_lines import inflated_line
from tlcore.views.run_tables import inflated, shared_note, swayed

SOURCE, TARGET = "/data/sensors.csv", "/data/sensors_new.csv"
KEYS = ["a", "b", "c", "d"], ["x", "b", "d", "c", "y"]
SPLITS = RunSplits(["a", "b", "c"], ["d"], ["b", "d", "y"], 5, 0.25, ["x", "c"])  # t3 (c): adapted to
IDS = ["t0", "t1", "t2", "t3", "t4"]


def test_an_unlabelled_targets_line_names_the_gap_and_validators_not_an_accuracy() -> None:
    shared = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS, target_labelled=False)
    assert shared is not None and not shared.target_labelled
    assert shared.line() == (
        "the target repeats source samples, found by content: 3 of the target's 5 samples are exact "
        "copies of source samples, and 1 of the 2 target samples a run with seed 5 adapts to and 1 of "
        "the 3 it measures its gap and validators on are copies of source training samples, so it adapts "
        "to and measures its gap and validators on source samples it trained on (target unlabelled); to "
        "measure transfer, remove the copies from the target (sample ids t1, t2, t3; python -m tlcore data "
        "drop-copies drops them)"
    )
    assert (shared.shared_train, shared.n_train) == (1, 2) and shared.to_dict()["shared_train"] == 1
    assert shared.to_dict()["target_labelled"] is False and "accuracy" not in shared.to_dict()["text"]
    labelled = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS)
    assert labelled is not None and labelled.to_dict()["target_labelled"] is True
    assert "so its target accuracy reads too high" in labelled.line()
    assert "1 of the 3 target test samples a run with seed 5 scores on is a copy" in labelled.line()
    adapted_only = RunSplits(["a", "b", "c"], ["d"], ["d", "y"], 5, 0.25, ["x", "b", "c"])
    found = copied_samples(
        SOURCE, TARGET, KEYS, adapted_only, images=False, target_ids=IDS, target_labelled=False
    )
    assert (
        found is not None
        and "and 2 of the 3 target samples a run with seed 5 adapts to and 0 of the 2 it" in (found.line())
    )
    assert (
        "are copies of source training samples, so it adapts to source samples it trained on ("
        in found.line()
    )


def test_a_run_pair_knows_its_target_is_unlabelled() -> None:
    """Two tables, the target unlabelled and repeating source rows 1, 4 and 6: the finding says so."""
    rows = [[float(i), i % 3 + 0.5] for i in range(20)]
    source = Domain("s", torch.tensor(rows), torch.tensor([i % 2 for i in range(20)]), ("a", "b"))
    target_rows = [rows[i] for i in (1, 4, 6, 4)] + [[100.0 + i, 0.5] for i in range(8)]
    target = Domain("t", torch.tensor(target_rows), None, ("a", "b"))
    config = AdaptConfig(source=SOURCE, target=TARGET, seed=3)
    shared = pair_shared(source, target, config)
    assert shared is not None and shared.shared == 4 and shared.target_labelled is False
    pair = split_pair(source, target, config)  # what adapt says before the run, and the run keeps
    copied = {i for i, row in enumerate(target.X.tolist()) if row in pair.source_train.X.tolist()}
    adapted = sum(int(i) in copied for i in pair.target_train.ids)
    measured = sum(int(i) in copied for i in pair.target_test.ids)
    assert (adapted, measured) == (3, 0)  # rows 4, 6, 4 train the source; row 1 validates it
    assert (shared.shared_train, shared.n_train, shared.shared_test) == (adapted, 10, measured)
    assert pair.shared(config) == shared


def test_a_runs_note_follows_the_stored_key_or_else_its_target_accuracy() -> None:
    found = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS, target_labelled=False)
    assert found is not None
    unlabelled = {"target_accuracy": None, "shared_samples": found.to_dict()}
    note = shared_note(unlabelled)
    assert note == (
        "1 of the 2 target samples it adapted to and 1 of the 3 it measured its gap and validators on are "
        "copies of source training samples, so it adapts to and measures its gap and validators on source "
        "samples it trained on (target unlabelled) (3 of its target's 5 samples are exact copies of source "
        "samples)"
    )
    before = {k: v for k, v in found.to_dict().items() if k not in ("shared_train", "n_train")}
    assert (shared_note({"target_accuracy": None, "shared_samples": before}) or "").startswith(
        "1 of the 3 target test samples it scored on is a copy of a source training sample"
    )  # stored before runs counted what they adapt to
    older = {k: v for k, v in found.to_dict().items() if k != "target_labelled"}  # stored before the key
    assert "(target unlabelled)" in (shared_note({"target_accuracy": None, "shared_samples": older}) or "")
    assert "reads too high" in (shared_note({"target_accuracy": 0.8, "shared_samples": older}) or "")


def test_compares_line_of_an_unlabelled_targets_runs_names_no_accuracy() -> None:
    found = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS, target_labelled=False)
    assert found is not None
    result = {"target_accuracy": None, "shared_samples": found.to_dict()}
    assert inflated_line({"dann · a": result}) == (
        "Adaptation, gap and validators are swayed for dann · a (1 of the 2 target samples it adapted to "
        "and 1 of the 3 it measured its gap and validators on are copies of source training samples): its "
        "target splits hold samples its model trained on (the target is unlabelled); to measure transfer, "
        "remove the copies from the target (sample ids t1, t2, t3; python -m tlcore data drop-copies drops "
        "them)."
    )
    before = {k: v for k, v in found.to_dict().items() if k not in ("shared_train", "n_train")}
    assert inflated_line({"dann · a": {"target_accuracy": None, "shared_samples": before}}) == (
        "Gap and validators are swayed for dann · a (1 of its 3 target test samples is a copy of a source "
        "training sample): its target test split holds samples its model trained on (the target "
        "is unlabelled); to measure transfer, remove the copies from the target (sample ids t1, t2, t3; "
        "python -m tlcore data drop-copies drops them)."
    )  # stored before runs counted what they adapt to
    labelled = {"target_accuracy": 0.8, "shared_samples": found.to_dict() | {"target_labelled": True}}
    assert (inflated_line({"dann · a": labelled}) or "").startswith("Target accuracy reads too high for")


def test_compare_warns_of_an_unlabelled_targets_run_that_adapted_to_copies_only() -> None:
    """QA: a run whose copies lie in the target training split alone (what it adapts to) was warned of
    on ``runs show`` and the Adapt card, not on Compare (it read the test split alone): now each says it,
    by the one rule (:func:`tlcore.views.run_tables.swayed`)."""
    adapted_only = RunSplits(["a", "b", "c"], ["d"], ["d", "y"], 5, 0.25, ["x", "b", "c"])
    found = copied_samples(
        SOURCE, TARGET, KEYS, adapted_only, images=False, target_ids=IDS, target_labelled=False
    )
    assert found is not None and (found.shared_train, found.shared_test) == (2, 0)
    result = {"target_accuracy": None, "shared_samples": found.to_dict()}
    assert swayed(result) and not inflated(result)
    assert (shared_note(result) or "").startswith("2 of the 3 target samples it adapted to and 0 of the 2")
    assert inflated_line({"dann · a": result}, {"a1b2c3": "dann · a"}) == (
        "Adaptation is swayed for dann · a (run a1b2c3: 2 of the 3 target samples it adapted to and 0 of the "
        "2 it measured its gap and validators on are copies of source training samples): its target "
        "training split holds samples its model trained on (the target is unlabelled); to measure "
        "transfer, remove the copies from the target (sample ids t1, t2, t3; python -m tlcore data "
        "drop-copies drops them)."
    )
    two = inflated_line({"dann · a": result, "im · b": result}) or ""
    assert two.startswith("Adaptation is swayed for dann · a (2 of the 3 target samples it adapted to")
    assert "; im · b (2 of the 3" in two and ": their target training splits hold samples their models" in two
    labelled = {"target_accuracy": 0.8, "shared_samples": found.to_dict() | {"target_labelled": True}}
    assert not swayed(labelled) and inflated_line({"dann · a": labelled}) is None  # scored on none of them


def test_compares_line_of_labelled_and_unlabelled_targets_runs_says_each_its_own() -> None:
    """QA: with a labelled target's run beside an unlabelled one's, the one sentence followed the labelled
    run, "Target accuracy reads too high" of both, and "to score transfer" of a run that scores nothing."""
    found = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS, target_labelled=False)
    assert found is not None
    unlabelled = {"target_accuracy": None, "shared_samples": found.to_dict()}
    labelled = {"target_accuracy": 0.8, "shared_samples": found.to_dict() | {"target_labelled": True}}
    line = inflated_line({"im · b": unlabelled, "dann · a": labelled}, {"b2": "im · b"})
    assert line == (
        "Target accuracy reads too high for dann · a (1 of its 3 target test samples is a copy of a source "
        "training sample): its target test split holds samples its model trained on; to score transfer, "
        "remove the copies from the target (sample ids t1, t2, t3; python -m tlcore data drop-copies drops "
        "them). Adaptation, gap and validators are swayed for im · b (run b2: 1 of the 2 target samples it "
        "adapted to and 1 of the 3 it measured its gap and validators on are copies of source training "
        "samples): its target splits hold samples its model trained on (the target is unlabelled); to "
        "measure transfer, remove the copies from the target (sample ids t1, t2, t3; python -m tlcore data "
        "drop-copies drops them)."
    )
