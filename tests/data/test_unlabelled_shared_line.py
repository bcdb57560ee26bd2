"""The shared-samples line of an unlabelled target (QA helper-198: it said "so its target accuracy reads
too high" of a target with no labels): copies there sway the gap and validators a run measures on its
target test split, and a stored finding without the key reads as before."""

from __future__ import annotations

import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import pair_shared
from tlcore.data.domain import Domain
from tlcore.data.overlap import RunSplits, copied_samples
from tlcore.views.compare import inflated_line
from tlcore.views.run_tables import shared_note

SOURCE, TARGET = "/data/sensors.csv", "/data/sensors_new.csv"
KEYS = ["a", "b", "c", "d"], ["x", "b", "d", "d", "y"]
SPLITS = RunSplits(["a", "b", "c"], ["d"], ["b", "d", "y"], 5, 0.25)
IDS = ["t0", "t1", "t2", "t3", "t4"]


def test_an_unlabelled_targets_line_names_the_gap_and_validators_not_an_accuracy() -> None:
    shared = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS, target_labelled=False)
    assert shared is not None and not shared.target_labelled
    assert shared.line() == (
        "the target repeats source samples, found by content: 3 of the target's 5 samples are exact "
        "copies of source samples, and 1 of the 3 target test samples a run with seed 5 scores on is "
        "a copy of a source training sample, so its gap and validators are measured on source samples it "
        "trained on (target unlabelled); to score transfer, remove the copies from the target (sample ids "
        "t1, t2, t3; python -m tlcore data drop-copies drops them)"
    )
    assert shared.to_dict()["target_labelled"] is False and "accuracy" not in shared.to_dict()["text"]
    labelled = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS)
    assert labelled is not None and labelled.to_dict()["target_labelled"] is True
    assert "so its target accuracy reads too high" in labelled.line()


def test_a_run_pair_knows_its_target_is_unlabelled() -> None:
    """Two tables, the target unlabelled and repeating source rows 1, 4 and 6: the finding says so."""
    rows = [[float(i), i % 3 + 0.5] for i in range(20)]
    source = Domain("s", torch.tensor(rows), torch.tensor([i % 2 for i in range(20)]), ("a", "b"))
    target_rows = [rows[i] for i in (1, 4, 6, 4)] + [[100.0 + i, 0.5] for i in range(8)]
    target = Domain("t", torch.tensor(target_rows), None, ("a", "b"))
    shared = pair_shared(source, target, AdaptConfig(source=SOURCE, target=TARGET, seed=3))
    assert shared is not None and shared.shared == 4 and shared.target_labelled is False


def test_a_runs_note_follows_the_stored_key_or_else_its_target_accuracy() -> None:
    found = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS, target_labelled=False)
    assert found is not None
    unlabelled = {"target_accuracy": None, "shared_samples": found.to_dict()}
    note = shared_note(unlabelled)
    assert note is not None and note.startswith(
        "1 of the 3 target test samples it scored on is a copy of a source training sample, so its gap and "
        "validators are measured on source samples it trained on (target unlabelled)"
    )
    older = {k: v for k, v in found.to_dict().items() if k != "target_labelled"}  # stored before the key
    assert "(target unlabelled)" in (shared_note({"target_accuracy": None, "shared_samples": older}) or "")
    assert "reads too high" in (shared_note({"target_accuracy": 0.8, "shared_samples": older}) or "")


def test_compares_line_of_an_unlabelled_targets_runs_names_no_accuracy() -> None:
    found = copied_samples(SOURCE, TARGET, KEYS, SPLITS, images=False, target_ids=IDS, target_labelled=False)
    assert found is not None
    result = {"target_accuracy": None, "shared_samples": found.to_dict()}
    assert inflated_line({"dann · a": result}) == (
        "Gap and validators are swayed for dann · a (1 of its 3 target test samples is a copy of a source "
        "training sample): its target test split holds samples its model trained on (the target "
        "is unlabelled); to score transfer, remove the copies from the target (sample ids t1, t2, t3; "
        "python -m tlcore data drop-copies drops them)."
    )
    labelled = {"target_accuracy": 0.8, "shared_samples": found.to_dict() | {"target_labelled": True}}
    assert (inflated_line({"dann · a": labelled}) or "").startswith("Target accuracy reads too high for")
