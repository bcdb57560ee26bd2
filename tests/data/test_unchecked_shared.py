"""QA helper-167: Compare showed an older tlstudio's run and today's run of one config side by side and
flagged only today's as scored on source training samples; the older one, whose result never recorded
the check, now reads 'Not checked for shared samples' where its pair reads one dataset."""

from __future__ import annotations

import json

import pytest

from tests.data.test_shared_samples_run import CLEAN, SHARING, TINY, cli
from tlcore.runs.store import RunStore
from tlcore.views import compare
from tlcore.views.overlap_lines import inflated_line, unchecked_line
from tlcore.workspace import Workspace


def _older(result: dict) -> dict:
    """``result`` as a tlstudio before runs kept their shared-samples finding stored it."""
    return {key: value for key, value in result.items() if key != "shared_samples"}


def test_compare_names_an_older_run_of_one_dataset_as_not_checked_and_the_report_says_it(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = json.loads(cli(workspace, capsys, "adapt", *SHARING, *TINY, "--json"))["run_id"]
    clean = json.loads(cli(workspace, capsys, "adapt", *CLEAN, *TINY, "--json"))["run_id"]
    store = RunStore(workspace)
    today, other = store.result(shared), store.result(clean)
    labels = {shared: "today · a", "20250101-000000-abcdef": "older · b", clean: "clean · c"}
    results = {"today · a": today, "older · b": _older(today), "clean · c": _older(other)}
    assert unchecked_line(results, labels) == (
        "Not checked for shared samples: older · b (run 20250101-000000-abcdef), stored by an older "
        "tlstudio (before shared_samples), reads its source and target from one dataset (mnist5k): its "
        "target test split may hold samples its model trained on, and its target accuracy read too "
        "high; a launch of its config today checks it."
    )
    assert inflated_line(results, labels).startswith("Target accuracy reads too high for today · a")
    assert unchecked_line({"today · a": today, "clean · c": _older(other)}) is None
    report = compare.comparison_report(results, labels=labels)
    assert "Not checked for shared samples: older · b (run 20250101-000000-abcdef)" in report


@pytest.mark.parametrize(
    ("source", "target", "named"),
    [
        ("fashion:split=train,n=5000", "fashion:split=test,n=2000,rotate=30", False),  # disjoint splits
        ("fashion:split=train,n=5000", "fashion:n=2000,rotate=30", True),  # the whole set holds train
        ("fashion:split=all", "fashion:split=test", True),
        ("mnist5k", "mnist5k:n=2000,rotate=30", True),
    ],
)
def test_an_older_run_of_two_native_splits_is_not_named(source: str, target: str, named: bool) -> None:
    older = {"config": {"source": source, "target": target}, "target_accuracy": 0.5}
    line = unchecked_line({"older · a": older})
    assert (line is not None) == named
