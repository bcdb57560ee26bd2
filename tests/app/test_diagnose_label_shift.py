"""The Diagnose page reads the label shift with the source-only model the CLI picks for the chosen
feature space (``diagnose --features run:ID``), and shows the CLI's numbers."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data import load_domain
from tlcore.runs import jobs
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"


def plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def missing_model(at: AppTest) -> bool:
    return any("no source-only model" in plain(i.value) for i in at.info)


def test_a_runs_feature_space_reads_the_label_shift_with_the_clis_model(
    app: OpenApp,
    workspace: Path,
    trained_run: Callable[[AdaptConfig], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A source_only run whose cached baseline is gone: in raw features the pair has no source-only
    model, in the run's features the run's own model is one (as ``diagnose --features run:ID`` says)."""
    run_id = trained_run(AdaptConfig(source=SOURCE, target=TARGET, methods=("source_only",), epochs=1))
    shutil.rmtree(BaselineCache.of_workspace(Workspace.resolve(workspace)).folder or "")
    argv = ["--workspace", str(workspace), "diagnose", "--source", SOURCE, "--target", TARGET, "--json"]
    argv += ["--features", f"run:{run_id}", "--no-umap", "--no-explain", "--permutations", "50"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    cli, counted = payload["label_shift_estimate"], payload["label_shift"]
    assert "em" in cli, cli
    # one counted label shift: the estimate quotes the diagnosis's (every source label, not only the
    # validation split the estimator reads); the old text said a second number beside it
    assert counted["target_labels"] == "true" and cli["true_tv"] == counted["tv_distance"]
    assert cli["true_p_value"] == counted["p_value"] and cli["true_counted_from"]["source"] == "source"
    assert f"total variation {counted['tv_distance']:.3f}" in cli["description"]

    at = app("diagnose", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    assert missing_model(at)  # raw features: the pair's cached baseline is gone
    (space,) = [s for s in at.selectbox if s.label == "Feature space"]
    space.set_value(run_id).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not missing_model(at), [i.value for i in at.info]
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("proportions")]
    bars = {trace["name"]: trace["x"] for trace in json.loads(chart.proto.spec)["data"]}  # bars across
    assert bars["target (EM)"] == pytest.approx(cli["em"]["priors"])
    assert bars["target (BBSE)"] == pytest.approx(cli["bbse"]["priors"])
    boxes = [plain(box.value) for box in (*at.info, *at.warning) if "Counted from" in box.value]
    assert boxes == [cli["description"]]  # the page's words are the CLI's, with the same count
    # the caption names the model that read it, as the CLI's JSON does
    assert cli["model"] == f"Read by run {run_id}'s model."
    assert cli["model"] in [plain(c.value) for c in at.caption]
    held_out = f"diagnose --features run:{run_id} --held-out` reproduces it."  # QA: all samples here
    (caption,) = [c.value for c in at.caption if c.value.endswith(held_out)]
    # the source's held-out split is its validation split, as diagnose --held-out and runs show say
    assert "(Compare, runs show) is on its held-out splits (source validation, target test): " in caption


def test_predicted_target_labels_say_whose_shift_they_are_and_why_not_to_trust_them(
    app: OpenApp, workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unlabelled target read by a run's model: the per-class gaps and the label shift are by the
    labels the model predicts, which the caption under them says, with the CLI's numbers and its
    reason not to trust them (:func:`tlcore.diagnosis.predictions_doubt`)."""
    np.savez(tmp_path / "u.npz", X=load_domain("digits:n=120").X.numpy()[:, 0])  # no labels
    assert main(["--workspace", str(workspace), "data", "upload", str(tmp_path / "u.npz")]) == 0
    config = AdaptConfig(source=SOURCE, target="upload:u.npz", methods=("source_only",), epochs=1)
    record = jobs.run_inline(Workspace.resolve(workspace), config)
    assert record.status == "done", record.error
    capsys.readouterr()
    argv = ["--workspace", str(workspace), "diagnose", "--source", SOURCE, "--target", "upload:u.npz"]
    assert main([*argv, "--features", f"run:{record.id}", "--no-umap", "--no-explain", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    shift = payload["label_shift"]
    assert shift["target_labels"] == "predicted"

    at = app("diagnose", source=SOURCE, target="upload:u.npz")
    (space,) = [s for s in at.selectbox if s.label == "Feature space"]
    space.set_value(record.id).run()
    assert not at.exception, [e.message for e in at.exception]
    captions = [plain(c.value) for c in at.caption]
    (said,) = [c for c in captions if c.startswith("Shift of the predicted labels")]
    assert said == (
        "Shift of the predicted labels: the labels the model predicts for the target differ from the "
        f"source's class priors by {shift['tv_distance']:.1%} (total variation; p = {shift['p_value']:.3g} "
        "against random splits of the pooled labels), a shift of the model's predictions, not a measured "
        "label shift of the target, whose labels are unknown. Not to be trusted, nor the per-class gaps by "
        "them: the source-only model's estimate of the target's class proportions is not to be trusted."
    )
    assert shift["tv_distance"] > 0.3  # 55.0% here: the model predicts few of the source's classes
    # the chart above it did not say whose labels split the target (the HTML report did)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    titles = [title.replace("<br>", " ") for title in titles]  # wrapped to fit half a page
    assert "Per-class gaps (predicted target labels): class-conditional MMD²" in titles
    # QA helper-279: the bars left out the classes the model (almost) never predicted, unsaid; the
    # caption under them names each with the reason diagnose's text puts after its row
    skipped = [g for g in payload["per_class"] if g["reason"]]
    assert skipped and any(g["mmd2"] is not None for g in payload["per_class"])
    (note,) = [c for c in captions if c.startswith("Not measured, so not in the bars: ")]
    assert all(f"{g['name']}" in note and g["reason"] in note for g in skipped), (note, skipped)
