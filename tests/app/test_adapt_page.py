"""The Adapt page through ``streamlit.testing.v1.AppTest``: its form, its launches and the runs they start,
driving the real engine on tiny data."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean, errors, image_zip, metric_rows, plain
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.data import save_upload
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def test_adapt_launches_a_run_that_compare_shows(app: OpenApp) -> None:
    at = app("adapt", source="mnist5k:n=120", target="digits:n=120")
    at.multiselect[0].set_value(["deep_coral"])
    next(w for w in at.number_input if w.label == "Epochs").set_value(1)
    next(w for w in at.checkbox if w.label == "Warm start").check()
    next(w for w in at.number_input if w.label.startswith("Adapt epochs")).set_value(2)
    next(w for w in at.number_input if w.label.startswith("Steps per epoch")).set_value(3)
    next(w for w in at.number_input if w.label.startswith("Weight average")).set_value(0.9)
    next(w for w in at.number_input if w.label.startswith("Stop if settled")).set_value(0.05)
    at.button[[b.label for b in at.button].index("Launch")].click().run()
    assert_clean(at)
    workspace = Workspace.resolve()
    (record,) = RunStore(workspace).list()
    assert record.config["epochs"] == 1 and record.method == "deep_coral"
    assert record.config["warm_start"] is True and record.config["adapt_epochs"] == 2
    assert record.config["steps_per_epoch"] == 3 and record.config["ema_decay"] == 0.9
    assert record.config["settle_tol"] == 0.05
    assert jobs.wait(workspace, record.id, timeout=240).status == "done"
    at.run()
    assert_clean(at)
    assert any(m.help.startswith("Target accuracy (test split, ") for m in at.metric)
    at.switch_page("app_pages/compare.py").run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) >= 5  # accuracy, gap, UMAP before/after, per-class, confusion
    buttons = at.get("download_button")
    labels = [b.label for b in buttons]
    assert labels == ["Checkpoint", "Metrics (CSV)", "Report (HTML)"]  # short: whole in a third at 1000 px
    assert record.id[-6:] in buttons[0].proto.help  # the run it holds, on its help


def test_adapt_refuses_an_unlabelled_source_before_any_run(app: OpenApp, workspace: Path) -> None:
    loose = zipfile.ZipFile(io.BytesIO(image_zip(("0", "1"), 6)))
    flat = io.BytesIO()
    with zipfile.ZipFile(flat, "w") as archive:  # loose images: an unlabelled upload
        for i, name in enumerate(n for n in loose.namelist() if n.endswith(".png")):
            archive.writestr(f"scan_{i:02d}.png", loose.read(name))
    save_upload(Workspace.resolve(workspace), "loose.zip", flat.getvalue())
    at = app("adapt", source="upload:loose.zip", target="digits:n=120")
    at.button[[b.label for b in at.button].index("Launch")].click().run()
    assert_clean(at)
    expected = "the source upload:loose.zip is unlabelled; a run trains on the source's labels"
    assert any(expected in e for e in errors(at)), errors(at)
    assert RunStore(Workspace.resolve(workspace)).list() == []


def test_hyper_parameters_start_at_the_registry_defaults_choices_in_select_boxes(app: OpenApp) -> None:
    at = app("adapt")
    at.multiselect[0].set_value(["finetune", "kmm", "dann"]).run()
    assert_clean(at)
    mode = at.selectbox(key="param_finetune_mode")
    assert mode.options == ["head", "all"] and mode.value == "all"
    features = at.selectbox(key="param_kmm_features")
    assert features.options == ["model", "raw"] and features.value == "model"
    assert at.number_input(key="param_dann_weight").value == 1.0
    assert at.number_input(key="param_kmm_B").value == 3.0 and at.checkbox(key="param_kmm_per_class").value


def test_the_adapt_forms_switches_share_a_row_of_their_own(app: OpenApp) -> None:
    """QA: in a sixth and a fifth of the form at 1000 px they read "A…" and "War…"; now a row of
    their own, each as wide as its label."""
    at = app("adapt")
    assert_clean(at)
    rows = [
        row for row in metric_rows(at._tree, "checkbox") if "flex_container" in row.DESCRIPTOR.fields_by_name
    ]
    flags = [row for row in rows if row.flex_container.direction == row.flex_container.Direction.HORIZONTAL]
    assert len(flags) == 1 and flags[0].flex_container.wrap
    labels = [c.label for c in at.checkbox]
    assert labels.index("Warm start") == labels.index("Augment source") + 1


def test_the_recommended_recipe_launches_the_budget_it_quotes(
    app: OpenApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "2")  # its two runs side by side, not one after the other
    at = app("adapt", source="mnist5k:n=120", target="digits:n=120")
    next(w for w in at.number_input if w.label == "Epochs").set_value(1)  # the recipe keeps its budget
    launch = [b.label for b in at.button].index("Launch the recommended recipe")
    at.button[launch].click().run()
    assert_clean(at)
    workspace = Workspace.resolve()
    (record,) = RunStore(workspace).list()
    assert record.config == RECOMMENDED.config("mnist5k:n=120", "digits:n=120").to_dict()
    assert (
        record.method == RECOMMENDED.label and record.config["epochs"] == RECOMMENDED.config("a", "b").epochs
    )
    at.number_input(key="recipe_target_labels").set_value(2).run()
    assert "on 2 labelled target samples per class" in " ".join(c.value for c in at.caption)
    at.button[launch].click().run()
    assert_clean(at)
    labelled = next(r for r in RunStore(workspace).list() if r.id != record.id)
    assert labelled.config == RECOMMENDED.config("mnist5k:n=120", "digits:n=120", target_labels=2).to_dict()
    assert "labelled_target" in labelled.config["methods"]
    for run in (record, labelled):
        assert jobs.wait(workspace, run.id, timeout=240).status == "done"


def test_back_to_the_defaults_shows_the_engine_defaults(app: OpenApp) -> None:
    """The form opens on the recommended recipe (tests/app/test_adapt_form_recipe_first.py); its
    "Back to the defaults" shows AdaptConfig's, with the recipe's methods."""
    at = app("adapt")
    at.button[[b.label for b in at.button].index("Back to the defaults")].click().run()
    defaults = AdaptConfig.defaults()
    shown = {w.label: w.value for w in at.number_input}
    assert shown["Epochs"] == defaults["epochs"] and shown["Batch size"] == defaults["batch_size"]
    assert shown["Learning rate"] == defaults["lr"] and shown["Seed"] == defaults["seed"]
    assert at.selectbox[0].value == defaults["model"]
    assert at.multiselect[0].value == list(RECOMMENDED.methods)
    assert at.checkbox[0].value == defaults["augment"]
    assert next(w for w in at.checkbox if w.label == "Warm start").value == defaults["warm_start"]
    assert shown["Adapt epochs"] == (defaults["adapt_epochs"] or 0)
    assert shown["Steps per epoch"] == (defaults["steps_per_epoch"] or 0)
    assert shown["Weight average"] == defaults["ema_decay"]
    assert shown["Stop if settled"] == defaults["settle_tol"]


def test_the_adapt_form_keeps_its_values_across_pages(app: OpenApp) -> None:
    at = app("adapt")
    at.multiselect[0].set_value(["dann"]).run()
    next(w for w in at.number_input if w.label == "Epochs").set_value(3)
    at.number_input(key="param_dann_weight").set_value(0.3).run()
    at.switch_page("app_pages/compare.py").run()
    at.switch_page("app_pages/adapt.py").run()
    assert_clean(at)
    assert at.multiselect[0].value == ["dann"]
    assert next(w for w in at.number_input if w.label == "Epochs").value == 3
    assert at.number_input(key="param_dann_weight").value == 0.3


def test_separate_runs_launch_one_per_method_and_cancel_from_the_page(app: OpenApp) -> None:
    at = app("adapt", source="mnist5k:n=120", target="digits:n=120")
    at.multiselect[0].set_value(["source_only", "im"]).run()
    combine = next(t for t in at.toggle if t.label.startswith("Combine the selected methods"))
    assert combine.value is True  # two methods make one composed run unless the user says otherwise
    combine.set_value(False)
    next(w for w in at.number_input if w.label == "Epochs").set_value(200)
    at.button[[b.label for b in at.button].index("Launch")].click().run()
    records = RunStore(Workspace.resolve()).list()
    assert sorted(r.method for r in records) == ["im", "source_only"]
    for record in records:
        at.button(key=f"cancel_{record.id}").click().run()
        assert_clean(at)
    for record in records:
        assert jobs.wait(Workspace.resolve(), record.id, timeout=120).status == "cancelled"


def test_a_run_an_older_version_stored_says_so_on_its_card(app: OpenApp, workspace: Path) -> None:
    """QA helper-157: a 2026-12-01 run of deep_coral (its config without image_size, ema_decay and
    settle_tol) had trained on the features at weight 100, today's default reads the logits at 1."""
    workspace.mkdir(parents=True)
    store = RunStore(Workspace(workspace))
    config = AdaptConfig(source="mnist5k", target="digits", methods=("deep_coral",))
    run_id = store.create(config)
    assert store.start(run_id, 1) and store.finish(run_id, {"target_accuracy": 0.6})
    stored = config.to_dict()
    del stored["image_size"], stored["ema_decay"], stored["settle_tol"]  # written before the fields existed
    with store.connect() as conn:
        conn.execute("UPDATE runs SET config = ? WHERE id = ?", (json.dumps(stored), run_id))
    at = app("adapt", source="mnist5k", target="digits")
    assert_clean(at)
    assert (
        "Stored by an older tlstudio (before image_size, ema_decay, settle_tol): trained with that "
        "version's code and method defaults; a repeat today may differ."
    ) in [plain(c.value) for c in at.caption]
