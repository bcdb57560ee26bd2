"""``runs show``: a run's per-class target accuracy, confusion and learning curves (the Compare and
Adapt pages' numbers), in text and JSON, from a stored run (no training)."""

from __future__ import annotations

import json
import os

import pytest

from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.events import ProgressEvent
from tlcore.runs.store import RunStore
from tlcore.views import compare
from tlcore.workspace import Workspace

RESULT = {  # "dog" has no target test sample: its row is left out, as on the Compare page
    "target_accuracy": 0.6,
    "per_class_accuracy": {"cat": 0.5, "dog": None, "fox": 2 / 3},
    "confusion": [[1, 1, 0], [0, 0, 0], [1, 0, 2]],
}
EPOCHS = [("baseline", {"loss": 0.9, "source_accuracy": 0.8}), ("adapt", {"loss": 0.7, "im_entropy": 1.5})]


def stored_run(workspace: Workspace, result: dict, epochs: list = EPOCHS) -> str:
    """A done run with ``result`` and one epoch event per ``epochs`` entry (:data:`EPOCHS`)."""
    store = RunStore(workspace)
    run_id = store.create(AdaptConfig("mnist5k", "digits", ("im",)))
    assert store.start(run_id, os.getpid())
    for i, (stage, metrics) in enumerate(epochs, 1):
        store.record_event(
            run_id, ProgressEvent("epoch", stage, i / 2, epoch=1, metrics={"epoch": 1.0, **metrics})
        )
    assert store.finish(run_id, result)
    return run_id


def show(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["--workspace", str(workspace.root), "runs", "show", *argv]) == 0
    return capsys.readouterr().out


def test_runs_show_prints_per_class_accuracy_and_the_confusion(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = stored_run(workspace, RESULT)
    out = show(workspace, capsys, run_id)
    assert (
        "  per-class target accuracy (5 target test samples)\n"
        "    class  samples  accuracy\n"
        "    cat          2     50.0%\n"
        "    fox          3     66.7%\n"
    ) in out
    assert (
        "  confusion on the target test split (rows: true class, columns: predicted)\n"
        "    true  cat  dog  fox\n"
        "    cat     1    1    0\n"
        "    fox     1    0    2\n"
    ) in out
    details = json.loads(show(workspace, capsys, run_id, "--json"))
    assert details["per_class_accuracy"] == {"cat": 0.5, "fox": 2 / 3}
    assert details["confusion"] == {
        "true": ["cat", "fox"],
        "predicted": ["cat", "dog", "fox"],
        "counts": [[1, 1, 0], [1, 0, 2]],
    }
    figure = compare.confusion_figure("run", RESULT)  # the Compare page's heatmap: the same rows
    assert figure is not None and list(figure.data[0].y) == ["cat", "fox"]


def test_an_unlabelled_target_has_no_per_class_table(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = stored_run(workspace, {"target_accuracy": None, "per_class_accuracy": {}, "confusion": []})
    assert "per-class" not in show(workspace, capsys, run_id)
    details = json.loads(show(workspace, capsys, run_id, "--json"))
    assert details["per_class_accuracy"] is None and details["confusion"] is None


def test_runs_show_history_prints_the_learning_curves(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = stored_run(workspace, RESULT)
    assert "learning curves" not in show(workspace, capsys, run_id)
    out = show(workspace, capsys, run_id, "--history")
    assert out.endswith(  # the last row: the final model the headline scores, as the page's star
        "  learning curves (epochs numbered through both stages)\n"
        "    epoch  stage     loss  source_accuracy  target_accuracy\n"
        "        1  baseline   0.9              0.8                -\n"
        "        2  adapt      0.7                -                -\n"
        "        2  final        -                -              0.6\n"
        "    final: the final model, whose accuracies the headline above gives\n"
    )
    details = json.loads(show(workspace, capsys, run_id, "--json"))
    assert details["learning_curves"] == [  # the Adapt page's rows (tlcore.views.run_tables.curve_rows)
        {"loss": 0.9, "source_accuracy": 0.8, "epoch": 1.0, "stage": "baseline"},
        {"loss": 0.7, "im_entropy": 1.5, "epoch": 2.0, "stage": "adapt"},
        {"target_accuracy": 0.6, "epoch": 2.0, "stage": "final", "label": "final model"},
    ]


def test_runs_show_history_fits_100_columns_with_every_curve(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLI audit: the final row, its label beside it, made 107 columns; with every curve the Adapt
    page draws (a settle-tol run's target_changed too) and a transform's label, 125."""
    monkeypatch.setenv("COLUMNS", "100")
    curves = {"loss": 2.05, "source_val_loss": 1.87, "source_accuracy": 0.488, "target_accuracy": 0.209}
    epochs = [("baseline", curves), ("adapt", {**curves, "target_changed": 0.0123})]
    final = {**RESULT, "source_accuracy": 0.474, "info": {"transforms": {"adabn": {}}}}
    out = show(workspace, capsys, stored_run(workspace, final, epochs), "--history")
    lines = out.split("  learning curves (epochs numbered through both stages)\n")[1].splitlines()
    assert max(map(len, lines)) <= 100  # (the lines above it name files by their path: never cut)
    assert lines[0].split() == ["epoch", "stage", *curves, "target_changed"]
    assert lines[3].split() == ["2", "final", "-", "-", "0.474", "0.6", "-"]
    assert lines[4] == "    final: the final model (after adabn), whose accuracies the headline above gives"


def test_runs_show_gives_the_count_and_interval_behind_a_target_accuracy_and_the_gap_samples(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """On 8 target test samples 87.5% is 7 of 8, anywhere from 52.9% to 97.8%: the text said only
    "0.875". The gap lines say they were measured on the run's held-out splits, the source's validation
    split and the target's test split (Diagnose: the whole pair)."""
    gap = {
        "mmd2": -0.007,
        "p_value": 0.636,
        "coral": 0.003,
        "a_distance": 0.0,
        "n_source": 200,
        "n_target": 8,
    }
    small = {
        **RESULT,
        "target_accuracy": 0.875,
        "source_only_accuracy": 0.75,
        "gap_before": gap,
        "gap_after": gap,
        "info": {"n_target_test": 8},
    }
    run_id = stored_run(workspace, small)
    out = show(workspace, capsys, run_id)
    assert "  target accuracy        87.5% (7 of 8, 95% CI 52.9 to 97.8%)\n" in out
    assert "  source only accuracy   75.0% (6 of 8, 95% CI 40.9 to 92.9%)\n" in out
    assert "gaps measured on the run's held-out splits: 200 source validation, 8 target test samples\n" in out
    details = json.loads(show(workspace, capsys, run_id, "--json"))
    assert details["target_test_counts"]["target_accuracy"]["correct"] == 7
    assert details["target_test_counts"]["target_accuracy"]["ci95"] == pytest.approx(
        [0.52911, 0.97758], abs=1e-5
    )
    assert details["gap_measured_on"] == "200 source validation, 8 target test samples"


def test_runs_show_gives_the_paired_test_of_a_fall_or_says_an_older_run_did_not_store_it(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """One sample more wrong of 30 read as a 3.3-point fall; now ``runs show`` gives the McNemar test
    the run stored (within chance), and says when an older run stored none."""
    fell = {
        **RESULT,
        "target_accuracy": 19 / 30,
        "source_only_accuracy": 20 / 30,
        "paired": {"b": 2, "c": 1, "n": 30, "p_value": 1.0},
        "info": {"n_target_test": 30},
    }
    out = show(workspace, capsys, stored_run(workspace, fell))
    assert (
        "  change                 target accuracy fell 3.3 points against source-only (1 more wrong of 30, "
        "2 right to wrong and 1 wrong to right; McNemar p = 1.0: within chance)\n"
    ) in out
    older = {key: value for key, value in fell.items() if key != "paired"}
    run_id = stored_run(workspace, older)
    assert "fell 3.3 points against source-only (paired test not stored by this older run)\n" in show(
        workspace, capsys, run_id
    )
    assert json.loads(show(workspace, capsys, run_id, "--json"))["paired_test"] == {
        "stored": False,
        "text": "target accuracy fell 3.3 points against source-only "
        "(paired test not stored by this older run)",
    }
    unlabelled = stored_run(workspace, {"target_accuracy": None, "source_only_accuracy": None})
    assert json.loads(show(workspace, capsys, unlabelled, "--json"))["paired_test"] is None


def test_runs_show_reads_its_config_and_gaps_as_settings_and_diagnose_s_labels(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLI audit: the config read as a Python repr (``methods=['dann'], params={}, image_size=None``)
    and the gaps by their keys (``mmd2=0.167  p_value=0.000999``), where ``diagnose`` labels them."""
    monkeypatch.setenv("COLUMNS", "100")
    gap = {
        "mmd2": 0.16712,
        "p_value": 0.000999000999,
        "n_permutations": 1000,
        "bandwidth": 3.0512,
        "mmd_test_samples": [1000, 359],
        "coral": 2.1291e-05,
        "mean_distance": 2.2063,
        "a_distance": 1.998,
        "domain_error": 0.0005,
        "n_source": 1000,
        "n_target": 359,
    }
    older = {"mmd2": -0.007, "p_value": 0.636, "coral": 0.003, "a_distance": 0.0}  # and n_source, n_target
    older |= {"n_source": 20, "n_target": 8}
    store = RunStore(workspace)
    config = AdaptConfig("mnist5k", "digits", ("dann", "im"), {"dann": {"weight": 0.5}}, epochs=2, lr=1e-05)
    run_id = store.create(config)
    assert store.start(run_id, os.getpid()) and store.finish(run_id, {"gap_before": gap, "gap_after": older})
    lines = show(workspace, capsys, run_id).splitlines()
    start = lines.index("  gap before")
    assert lines[start : start + 10] == [
        "  gap before",
        "    MMD²              0.1671      p = 0.000999 (1000 permutations on 1000 vs 359 samples, bandwidth",
        " " * 34 + "3.05)",
        "    CORAL             2.129e-05",
        "    mean distance     2.206",
        "    proxy A-distance  1.998       domain classifier error 0.1% (p < 1e-16 against chance)",
        "  gap after",  # an older run's: no permutations, mean distance or domain error stored
        "    MMD²              -0.007      p = 0.636",
        "    CORAL             0.003",
        "    proxy A-distance  0.000",
    ]
    start = next(i for i, line in enumerate(lines) if line.startswith("  config   "))
    assert [line[11:] for line in lines[start : start + 21]] == [
        "source: mnist5k",
        "target: digits",
        "methods: dann, im",
        "params.dann.weight: 0.5",
        "model: auto",
        "image_size: not set",
        "bottleneck: 256",
        "epochs: 2",
        "adapt_epochs: not set",
        "warm_start: off",
        "batch_size: 32",
        "lr: 1e-05",
        "seed: 0",
        "augment: on",
        "target_labels: 0",
        "test_fraction: 0.2",
        "patience: not set",
        "steps_per_epoch: not set",
        "ema_decay: 0",
        "settle_tol: 0",
        "device: not set",
    ]
    assert lines[start + 21].startswith("  methods  ")  # the parameters every method ran with, after it


@pytest.mark.parametrize(("shape", "noted"), [([33], True), ([1, 28, 28], False)])
def test_runs_show_says_augment_does_not_apply_to_feature_vectors(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], shape: list[int], noted: bool
) -> None:
    """QA helper-142: a table run's config read ``augment: on`` (the random affine moves images only);
    the stored config keeps it (its baseline key), ``--json`` too."""
    model = {"name": "mlp" if len(shape) == 1 else "lenet_bn", "input_shape": shape, "options": {}}
    run_id = stored_run(workspace, {**RESULT, "info": {"model": model}})
    lines = show(workspace, capsys, run_id).splitlines()
    said = " " * 11 + "augment: on" + (" (images only: not applied to feature vectors)" if noted else "")
    assert said in lines
    said = json.loads(show(workspace, capsys, run_id, "--json"))
    assert said["config"]["augment"] is True
