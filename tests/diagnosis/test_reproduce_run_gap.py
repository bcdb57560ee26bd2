"""A run's gap before / after is reproducible from the CLI: ``diagnose --features run:ID --held-out``
(and ``baseline:ID``) measure the run's held-out splits with the run's seed and print its stored gaps."""

import json
import shutil

import numpy as np
import pytest
import torch

from app_support import engine
from tlcore.adapt.cache import NOT_CACHED
from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import load_source_model
from tlcore.cli import main
from tlcore.features import DomainModels
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.views import explore
from tlcore.workspace import Workspace

PAIR = {"source": "mnist5k:n=200", "target": "digits:n=200"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Workspace, str, dict]:
    workspace = Workspace.resolve(tmp_path_factory.mktemp("reproduce"))
    config = AdaptConfig(**PAIR, methods=("deep_coral",), epochs=1, seed=3)
    record = jobs.run_inline(workspace, config)
    assert record.status == "done", record.error
    return workspace, record.id, RunStore(workspace).result(record.id)


def _diagnose(workspace: Workspace, capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), "diagnose", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("kind", "stored"), [("run", "gap_after"), ("baseline", "gap_before")])
def test_held_out_diagnosis_prints_the_runs_stored_gap(trained, capsys, kind, stored):
    workspace, run_id, result = trained
    code, out, err = _diagnose(workspace, capsys, "--features", f"{kind}:{run_id}", "--held-out", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["gap"] == result[stored]  # exactly: same function, settings, splits and seed
    assert payload["settings"]["seed"] == 3
    # the source's held-out split is its validation split, not a "test" split (QA helper-273)
    assert (payload["source"], payload["target"]) == ("mnist5k:n=200 [validation]", "digits:n=200 [test]")
    explained = payload["explanation"]  # on the held-out splits; fixes written on the run's specs
    assert (explained["source_spec"], explained["target_spec"]) == (PAIR["source"], PAIR["target"])
    held_out = (payload["gap"]["n_source"], payload["gap"]["n_target"])
    # the held-out splits, as the run's own UMAP (all of them, under its 500 cap) and counts show
    assert held_out[1] == result["info"]["n_target_test"] < 200
    assert sum(held_out) == len(result["umap_after"]["x"])
    assert result["gap_before"] != result["gap_after"]  # the two models really differ


def test_held_out_text_says_it_matches_and_other_settings_do_not(trained, capsys, tmp_path):
    workspace, run_id, _ = trained
    report = tmp_path / "held-out.html"
    code, out, _ = _diagnose(
        workspace, capsys, "--features", f"run:{run_id}", "--held-out", *PAIR_ARGS, "--report", str(report)
    )
    assert code == 0 and f"the same gap as run {run_id}'s stored gap_after" in out
    named = "mnist5k:n=200 [validation] -> digits:n=200 [test]: "  # the text's first line, the report's title
    assert out.startswith(named) and "mnist5k:n=200 [validation] → digits:n=200 [test]" in report.read_text()
    assert "[test] →" not in report.read_text()
    code, out, _ = _diagnose(
        workspace, capsys, "--features", f"run:{run_id}", "--held-out", "--permutations", "500"
    )
    assert code == 0 and f"not the gap run {run_id} stored as gap_after" in out


PAIR_ARGS = ("--source", PAIR["source"], "--target", PAIR["target"])


def test_bad_held_out_requests_are_one_line_errors(trained, capsys, tmp_path):
    workspace, run_id, _ = trained
    cases = [
        (["--features", "raw", "--held-out"], "--held-out needs --features run:ID or baseline:ID"),
        (["--features", f"run:{run_id}"], "give --source and --target"),
        (
            ["--features", f"run:{run_id}", "--held-out", "--target", "digits"],
            f"--target digits: run {run_id} used digits:n=200",
        ),
        (["--features", "baseline:20240101-000000-abcdef", *PAIR_ARGS], "no run 20240101-000000-abcdef"),
        (["--features", f"run:{run_id}", "--held-out", "--permutations", "0"], "n_permutations must be"),
    ]
    for argv, message in cases:
        code, out, err = _diagnose(workspace, capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert err == f"error: {err[7:]}" and message in err and len(err.strip().splitlines()) == 1, err
    cache = workspace.root / "cache" / "baselines"
    moved = tmp_path / "baselines"
    shutil.move(cache, moved)
    try:
        code, out, err = _diagnose(workspace, capsys, "--features", f"baseline:{run_id}", "--held-out")
    finally:
        shutil.move(moved, cache)
    assert (code, out) == (2, "")
    assert err == f"error: the source-only baseline of run {run_id} is {NOT_CACHED}\n"
    assert not cache.with_name("nothing").exists()


@pytest.fixture(scope="module")
def adabn(tmp_path_factory) -> tuple[Workspace, str, dict]:
    workspace = Workspace.resolve(tmp_path_factory.mktemp("adabn"))
    config = AdaptConfig(**PAIR, methods=("source_only", "adabn"), epochs=1, seed=3)
    record = jobs.run_inline(workspace, config)
    assert record.status == "done", record.error
    return workspace, record.id, RunStore(workspace).result(record.id)


def test_an_adabn_runs_features_reproduce_its_stored_gap(adabn, capsys):
    """The run scored its source with the source statistics, its target with the target's: its
    checkpoint keeps the source's (BatchNorm buffers only); its features embed both domains with its model."""
    workspace, run_id, result = adabn
    checkpoint = torch.load(RunStore(workspace).checkpoint_path(run_id), weights_only=True)
    assert {key.rsplit(".", 1)[1] for key in checkpoint["source_state"]} == {
        "running_mean",
        "running_var",
        "num_batches_tracked",
    }
    code, out, err = _diagnose(
        workspace, capsys, "--features", f"run:{run_id}", "--held-out", "--json", "--no-explain"
    )
    assert code == 0, err
    assert json.loads(out)["gap"] == result["gap_after"]  # exactly: the run's own features
    code, out, _ = _diagnose(workspace, capsys, "--features", f"run:{run_id}", "--held-out", "--no-explain")
    assert code == 0 and f"the same gap as run {run_id}'s stored gap_after" in out
    assert "stored before AdaBN runs kept" not in out


def test_an_older_adabn_run_notes_its_source_predictions_only_where_they_are_shown(adabn, capsys, tmp_path):
    """Its features are the run's (its gap after, exactly): ``diagnose`` shows no source prediction and
    says nothing; the Diagnose page's map coloured by prediction does, beside the note."""
    workspace, run_id, result = adabn
    path = RunStore(workspace).checkpoint_path(run_id)
    kept = tmp_path / "model.pt"
    shutil.copy(path, kept)
    payload = torch.load(path, weights_only=True)
    del payload["source_state"]  # as checkpoints were written before 2026-12-05
    torch.save(payload, path)
    try:
        code, out, err = _diagnose(
            workspace, capsys, "--features", f"run:{run_id}", "--held-out", "--json", "--no-explain"
        )
        assert code == 0, err
        older = json.loads(out)["gap"]
        code, out, _ = _diagnose(
            workspace, capsys, "--features", f"run:{run_id}", "--held-out", "--no-explain"
        )
        engine._feature_models.clear()
        _, on_page = engine._feature_models(str(workspace.root), run_id)  # the Diagnose page's caption
    finally:
        shutil.copy(kept, path)
        engine._feature_models.clear()
    assert older == result["gap_after"]  # the features embed both domains with the run's model
    assert code == 0 and f"the same gap as run {run_id}'s stored gap_after" in out
    assert "stored before AdaBN runs kept" not in out
    assert on_page == (
        f"run {run_id} was stored before AdaBN runs kept their source statistics: its predicted classes of "
        "the source samples come from its target statistics, unlike the run's own source scores"
    )


def test_the_diagnose_page_reads_an_adabn_runs_source_with_the_source_statistics(adabn):
    """The page's features and predicted labels of a run: the same models as the CLI's."""
    workspace, run_id, _ = adabn
    store = RunStore(workspace)
    target_model = store.load_model(run_id)
    source_model = load_source_model(store.checkpoint_path(run_id), target_model)
    source, target = engine._load_pair(str(workspace.root), PAIR["source"], PAIR["target"], 0)
    on_source, on_target = engine._predictions(str(workspace.root), PAIR["source"], PAIR["target"], run_id)
    np.testing.assert_array_equal(on_source, explore.predict(source_model, source))
    np.testing.assert_array_equal(on_target, explore.predict(target_model, target))
    assert (explore.predict(target_model, source) != on_source).any()  # the statistics matter
    space, note = engine._feature_models(str(workspace.root), run_id)
    assert note == ""
    assert isinstance(space, DomainModels) and space.source is not space.target
