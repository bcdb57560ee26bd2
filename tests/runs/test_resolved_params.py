"""A run stores every method parameter it was built with (``resolved_params``), and its readers compare
them with what today's defaults resolve its config to (QA: a deep_coral run trained before the
2026-12-04 default change read exactly like one trained after, and was pooled with them)."""

from __future__ import annotations

import json
import os
from dataclasses import fields

import pytest
from fake_workers import make_config

from tests.runs.stored_params import set_resolved
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.method_params import DeepCoralParams
from tlcore.runs import jobs
from tlcore.runs.repeats import identical_runs, repeat_line
from tlcore.runs.store import RunStore
from tlcore.views.run_tables import older_version_text
from tlcore.workspace import Workspace

CORAL = make_config(seed=3, methods=("deep_coral",))
TODAY = {"deep_coral": {"weight": 1.0, "layer": "logits"}}  # what DeepCoralParams and the table give


def _done(store: RunStore, config: AdaptConfig, resolved: dict | None = TODAY) -> str:
    run_id = store.create(config)
    assert store.start(run_id, os.getpid()) and store.finish(run_id, {"target_accuracy": 0.485})
    if resolved is not TODAY:
        set_resolved(store, run_id, resolved)
    return run_id


def _cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["--workspace", str(workspace.root), *argv]) == 0
    return capsys.readouterr().out


def test_a_launch_stores_every_parameter_of_its_methods_defaults_merged_with_the_given(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:quick")
    argv = ["adapt", "--source", "mnist5k:n=300", "--target", "digits:n=200", "--method", "deep_coral+im"]
    argv += ["--json"]  # a small pair: adapt searches it for shared samples before the stand-in runs
    bare = json.loads(_cli(workspace, capsys, *argv, "--epochs", "1"))["run_id"]
    given = json.loads(_cli(workspace, capsys, *argv, "--epochs", "1", "--param", "deep_coral.weight=2"))
    store = RunStore(workspace)
    resolved = store.get(bare).resolved_params
    assert resolved == {**TODAY, "im": {"weight": 1.0, "diversity": 1.0, "ramp": True}}
    assert set(resolved["deep_coral"]) == {"weight"} | {f.name for f in fields(DeepCoralParams)}
    assert store.get(given["run_id"]).config["params"] == {"deep_coral": {"weight": 2}}
    assert store.get(given["run_id"]).resolved_params["deep_coral"] == {"weight": 2.0, "layer": "logits"}
    listed = json.loads(_cli(workspace, capsys, "runs", "list", "--json"))
    assert {r["id"]: r["resolved_params"]["deep_coral"]["weight"] for r in listed} == {
        bare: 1.0,
        given["run_id"]: 2.0,
    }


def test_a_run_built_under_other_defaults_names_them_and_is_no_repeat_of_todays_launch(
    workspace: Workspace, store: RunStore, capsys: pytest.CaptureFixture[str]
) -> None:
    older = _done(store, CORAL, {"deep_coral": {"weight": 3.0, "layer": "features"}})
    said = "trained with deep_coral.weight=3, deep_coral.layer=features (today's defaults: 1, logits)"
    assert older_version_text(store.get(older).config, store.get(older).resolved_params) == (
        f"{said}; a repeat today may differ"
    )
    out = _cli(workspace, capsys, "runs", "show", older)
    (first,) = [i for i, line in enumerate(out.splitlines()) if line.startswith("  older    ")]
    assert " ".join(" ".join(out.splitlines()[first : first + 3]).split()).startswith(f"older {said}")
    shown = json.loads(_cli(workspace, capsys, "runs", "show", older, "--json"))
    assert shown["resolved_params"] == {"deep_coral": {"weight": 3.0, "layer": "features"}}
    assert shown["older_version"] == f"{said}; a repeat today may differ"
    assert identical_runs(store, CORAL) == []  # the same config trains another model today
    today = _done(store, CORAL)
    assert [r.id for r in identical_runs(store, CORAL)] == [today]
    assert older_version_text(store.get(today).config, store.get(today).resolved_params) is None
    assert json.loads(_cli(workspace, capsys, "runs", "show", today, "--json"))["older_version"] is None
    shows = _cli(workspace, capsys, "runs", "show", today).splitlines()  # what it was built with, in full
    built = "deep_coral.weight=1, deep_coral.layer=logits (the given values and the methods' defaults)"
    assert f"  methods  {built}" in shows


def test_a_run_stored_before_runs_kept_their_parameters_says_they_are_unknown_where_it_has_some(
    workspace: Workspace, store: RunStore, capsys: pytest.CaptureFixture[str]
) -> None:
    coral = _done(store, CORAL, None)
    plain = _done(store, make_config(seed=3), None)  # source_only: no parameter to know
    assert store.get(coral).resolved_params is None
    assert older_version_text(store.get(coral).config, None) == (
        "stored by an older tlstudio (before resolved_params): trained with that version's code and method "
        "defaults; a repeat today may differ"
    )
    assert older_version_text(store.get(plain).config, None) is None
    assert "  older    stored by an older tlstudio (before resolved_params)" in _cli(
        workspace, capsys, "runs", "show", coral
    )
    assert "  older " not in _cli(workspace, capsys, "runs", "show", plain)
    assert "  methods  " not in _cli(workspace, capsys, "runs", "show", coral)  # unknown: not said
    assert repeat_line(identical_runs(store, CORAL)) == (  # unknown, still the same config: named, may differ
        f"run {coral} (done, target accuracy 48.5%) had this same config (every field, seed 3 included): it "
        "was stored by an older tlstudio (before resolved_params) and trained by its code, so a repeat "
        "measures this version's and may differ"
    )


def test_runs_rank_names_the_parameters_a_run_was_built_with_when_not_todays(
    judged_copy: tuple[Workspace, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, ids = judged_copy  # three done runs of im
    store = RunStore(workspace)
    set_resolved(store, ids[0], {"im": {"weight": 1.0, "diversity": 0.5, "ramp": True}})
    set_resolved(store, ids[1], None)
    argv = ("runs", "rank", "--source", "mnist5k", "--target", "digits")
    ranked = {
        e["run_id"]: e["params_note"] for e in json.loads(_cli(workspace, capsys, *argv, "--json"))["entries"]
    }
    assert ranked == {
        ids[0]: "trained with im.diversity=0.5 (today's defaults: 1)",
        ids[1]: "stored by an older tlstudio (before resolved_params): its method parameters are unknown",
        ids[2]: None,
    }
    out = " ".join(_cli(workspace, capsys, *argv).split())
    assert "trained with im.diversity=0.5 (today's defaults: 1)" in out
    assert out.count("its method parameters are unknown") == 1


# The runs table's columns at schema 2: an older tlstudio builds its RunRecord from SELECT * FROM runs.
V2_COLUMNS = [
    "id", "created", "updated", "status", "method", "source", "target", "config", "progress", "stage",
    "message", "headline", "error", "pid", "heartbeat", "cancel_requested", "sweep_id", "trial_key",
]  # fmt: skip


def test_an_older_tlstudio_still_reads_the_index_and_reopening_keeps_the_parameters(
    workspace: Workspace,
) -> None:
    """QA: a resolved_params column in runs would break an older tlstudio's reads of a shared workspace;
    migration 3 is idempotent, and this version never sets a newer one's schema version back."""
    store = RunStore(workspace)
    run_id = _done(store, CORAL)
    with store.connect() as conn:
        assert [row[1] for row in conn.execute("PRAGMA table_info(runs)")] == V2_COLUMNS
        conn.execute("PRAGMA user_version = 2")  # set back by hand: migration 3 runs again
    again = RunStore(workspace)
    assert again.get(run_id).resolved_params == TODAY
    with again.connect() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6  # migrations 3 to 6 again
        conn.execute("PRAGMA user_version = 9")  # a newer tlstudio's
    RunStore(workspace)
    with again.connect() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 9  # not set back by this one
    again.delete(run_id)
    with again.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM run_params").fetchone()[0] == 0
