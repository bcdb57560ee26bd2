"""diagnose on the built-in digit domains, in-process and through the CLI."""

import json

import pytest

from tlcore.cli import main
from tlcore.data import harmonise, load_domain
from tlcore.diagnosis import diagnose
from tlcore.diagnosis_settings import GapSettings
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

FEW = GapSettings(n_permutations=50)


def test_mmd_grows_with_rotation_severity():
    source = load_domain("mnist5k:n=600", seed=0)
    mmd2 = {}
    for degrees in (10, 90):
        target = load_domain(f"mnist5k:n=600,rotate={degrees}", seed=1)
        mmd2[degrees] = diagnose(*harmonise(source, target), settings=FEW, umap=False).gap.mmd2
    assert 0 < mmd2[10] < mmd2[90]


def test_cli_json_on_the_default_pair(capsys, tmp_path):
    argv = ["--workspace", str(tmp_path), "diagnose", "--source", "mnist5k", "--target", "digits"]
    assert main([*argv, "--json", "--permutations", "200", "--no-umap"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    payload = json.loads(out.out)
    gap = payload["gap"]
    for key in ("mmd2", "p_value", "coral", "a_distance", "n_source", "n_target"):
        assert key in gap
    assert (gap["n_source"], gap["n_target"], gap["mmd_test_samples"]) == (5000, 1797, [5000, 1797])
    assert gap["p_value"] < 0.01 and payload["gap_level"] == "large"
    assert payload["settings"] == {"n_permutations": 200, "max_test_samples": 5000, "seed": 0}
    assert len(payload["per_class"]) == 10
    native = payload["explanation"]["findings"][-1]  # UCI digits were 8x8 before MNIST geometry
    assert (native["statistic"], native["severity"], native["target"]) == ("native_size", "strong", 64)
    # QA: the novel share (5.2%) read "this part of your target is new ... collect labels there" in
    # --json while the verdict (and the text) reads it as no cause: --json says what the text says
    novelty, causes = payload["novelty"], payload["explanation"]["verdict"]["causes"]
    assert novelty["level"] == "new" and "novelty" not in [c["kind"] for c in causes]
    assert "collect labels there" not in novelty["description"]
    assert "yet no cause in the verdict" in novelty["description"]
    assert main([*argv, "--permutations", "200"]) == 0
    assert novelty["description"] in capsys.readouterr().out.splitlines()


def test_cli_text_summary(capsys, tmp_path):
    argv = ["--workspace", str(tmp_path), "diagnose", "--source", "mnist5k:n=400", "--target", "digits:n=300"]
    assert main([*argv, "--permutations", "100"]) == 0
    out = capsys.readouterr().out
    assert "proxy A-distance" in out and "gap" in out and "time:" in out


def test_cli_diagnoses_in_a_finished_runs_feature_space(capsys, tmp_path):
    """``--features run:ID`` measures what the app's Diagnose page shows for that run's model."""
    pair = ["--source", "mnist5k:n=200", "--target", "digits:n=150"]
    assert main(["--workspace", str(tmp_path), "adapt", *pair, "--epochs", "1", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    options = ["--json", "--permutations", "50", "--umap-points", "40"]
    features = ["--features", f"run:{run_id}"]
    assert main(["--workspace", str(tmp_path), "diagnose", *pair, *features, *options]) == 0
    payload = json.loads(capsys.readouterr().out)
    model = RunStore(Workspace.resolve(tmp_path)).load_model(run_id)
    source, target = harmonise(load_domain("mnist5k:n=200", seed=0), load_domain("digits:n=150", seed=0))
    report = diagnose(source, target, model, settings=FEW, max_umap_per_domain=40)
    assert payload["feature_space"] == "model" and payload["feature_dim"] == model.feature_dim == 256
    assert payload["gap"] == json.loads(json.dumps(report.gap.to_dict()))
    assert len(payload["umap"]["source"]) == len(payload["umap"]["target"]) == 40


@pytest.mark.parametrize(
    "args",
    [
        ["--source", "mnist5k:bogus=1", "--target", "digits"],
        ["--source", "mnist5k", "--target", "nosuchdomain"],
        ["--source", "mnist5k", "--target", "digits", "--features", "run:abc"],
        ["--source", "mnist5k", "--target", "digits", "--features", "pixels"],
    ],
)
def test_cli_bad_input_exits_2_with_one_line(capsys, tmp_path, args):
    assert main(["--workspace", str(tmp_path), "diagnose", *args, "--json"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert len(out.err.strip().splitlines()) == 1 and out.err.startswith("error: ")
