"""An unlabelled target's run, as ``adapt`` and ``runs show`` print it (QA helper-198): each missing
accuracy says why, and a model that predicts one class for every target sample is warned of, as
Predict warns (:func:`tlcore.prediction_summary.one_class_warning`)."""

from __future__ import annotations

import json

import pytest

from tlcore.cli import main
from tlcore.runs import jobs
from tlcore.runs.one_class import run_one_class_warning
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

PAIR = ("--source", "mnist5k:n=300", "--target", "digits:n=200")
WARNING = (
    "every one of the 30 predictions is b (mean confidence 80.0%): a model of 2 classes that reads one "
    "class into all the data has most often met data unlike its source (diagnose the pair: a column in "
    "other units, say), not data of one class; check a few rows by hand before using these predictions"
)


def _cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    return code, capsys.readouterr().out


def test_adapt_and_runs_show_say_the_target_is_unlabelled_and_warn_of_one_class(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:one_class")
    monkeypatch.setenv("COLUMNS", "400")
    code, out = _cli(workspace, capsys, "adapt", *PAIR)
    assert code == 0
    assert "  target accuracy        - (target unlabelled)\n" in out
    assert "  source only accuracy   - (target unlabelled)\n" in out
    # QA helper-218: the one accuracy such a run measures, as Compare's "source acc" shows it
    source = "  source val accuracy    85.0% (the model on the source validation split)\n"
    assert source in out
    # audit helper-275: where to tell whether adapting helped, as the last line, the pair's ranking
    rank = f"python -m tlcore --workspace {workspace.root} runs rank {' '.join(PAIR)}"
    assert out.rstrip("\n").endswith(f"against the source-only model) with:\n      {rank}")
    assert "next: the target is unlabelled, so no accuracy says whether adapting helped;" in out
    run_id = next(line for line in out.splitlines() if line.startswith("run ")).split()[1]
    shown = _cli(workspace, capsys, "runs", "show", run_id)[1]
    assert "  target accuracy        - (target unlabelled)\n" in shown
    assert "  source only accuracy   - (target unlabelled)\n" in shown
    assert source in shown
    assert f"  warning  {WARNING}\n" in shown
    assert "\n  next     the target is unlabelled, so no accuracy says whether adapting helped;" in shown
    assert f"model) with:\n           {rank}\n" in shown  # runs show says it too, before the files
    details = json.loads(_cli(workspace, capsys, "runs", "show", run_id, "--json")[1])
    assert details["one_class_warning"] == WARNING


def test_a_labelled_target_or_a_run_without_predictions_gets_no_one_class_warning(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:one_class")
    assert _cli(workspace, capsys, "adapt", *PAIR)[0] == 0
    store = RunStore(workspace)
    record = store.list()[0]
    result = store.result_of(record)
    assert run_one_class_warning(record.folder, result) == WARNING
    assert run_one_class_warning(record.folder, result | {"target_accuracy": 0.5}) is None  # labelled
    assert run_one_class_warning(workspace.root, result) is None  # no predictions.npz there
