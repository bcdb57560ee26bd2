"""``predict``'s accuracy as a count with its 95% Wilson interval, and a run's target shifts given to
new data (``--run-shifts``, the app's new batch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from tlcore.cli import main
from tlcore.predict import shifts_fix_data, with_run_shifts
from tlcore.prediction_summary import PredictionSummary
from tlcore.workspace import Workspace


def test_the_accuracy_comes_with_its_count_and_wilson_interval(
    tiny_run: tuple[Workspace, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The QA case: ``accuracy 85.0%`` with neither the count nor an interval, unlike Compare."""
    workspace, run_id = tiny_run
    out = tmp_path / "rows.csv"
    argv = ["--workspace", str(workspace.root), "predict", run_id, "--data", "digits:n=30"]
    assert main([*argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = pd.read_csv(out)
    correct = int((rows["predicted"] == rows["label"]).sum())
    ci = binomtest(correct, 30).proportion_ci(0.95, method="wilson")  # an independent Wilson interval
    low, high = 100 * ci.low, 100 * ci.high
    line = f"  accuracy {correct / 30:.1%} ({correct} of 30, 95% CI {low:.1f} to {high:.1f}%): predicted "
    assert line + "class = the data's label" in text.splitlines()
    assert main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["correct"] == correct and payload["accuracy"] == pytest.approx(correct / 30)
    assert payload["accuracy_ci95"] == pytest.approx([ci.low, ci.high], abs=1e-9)


def test_unlabelled_data_have_no_count() -> None:
    """to_dict of an unlabelled summary: no count, no interval (the other keys are tested elsewhere)."""
    summary = PredictionSummary(2, ("a", "b"), {"a": 1, "b": 1}, np.array([0.9, 0.6]), None, ())
    assert summary.accuracy is None and summary.counted_accuracy is None
    assert {k: summary.to_dict()[k] for k in ("accuracy", "correct", "accuracy_ci95")} == dict.fromkeys(
        ("accuracy", "correct", "accuracy_ci95")
    )


@pytest.mark.parametrize(
    ("spec", "target", "given"),
    [
        ("upload:batch.zip", "upload:target.zip:contrast=2.95", "upload:batch.zip:contrast=2.95"),
        (  # after the data's own shifts, in the target's order; label= and n= kept
            "upload:batch.zip:n=40,label=none,blur=0.5",
            "upload:t.zip:invert=1,blur=0.5,rotate=10",
            "upload:batch.zip:n=40,label=none,blur=0.5,invert=1,rotate=10",
        ),
        ("digits:contrast=2", "upload:t.zip:contrast=2.95", "digits:contrast=2"),  # its own value stays
        ("digits", "upload:t.zip:contrast=1", "digits"),  # an identity shift changes nothing
        ("digits", "upload:t.zip", "digits"),
    ],
)
def test_a_runs_target_shifts_are_given_to_data_that_lack_them(spec: str, target: str, given: str) -> None:
    assert with_run_shifts(spec, target) == given
    assert with_run_shifts(spec, None) == spec


@pytest.mark.parametrize(
    ("target", "ticked"),
    [
        ("upload:target.zip:contrast=2.95", True),  # a diagnosis' fix of the user's files
        ("/data/field:invert=1", True),
        ("upload:target.zip", False),  # no shift to give
        ("mnist5k:colour=1", False),  # the shift makes the target domain: field data already is it
        ("fashion:split=test,rotate=30", False),
        (None, False),
    ],
)
def test_a_new_batch_gets_the_runs_shifts_by_default_only_when_they_fix_the_users_files(
    target: str | None, ticked: bool
) -> None:
    assert shifts_fix_data(target) is ticked
