"""The pair's source-only model and its label-shift estimate, through the engine API and ``diagnose``:
without a model it says how to get one; with one (a cached baseline, a source_only run, or a run's
baseline) it estimates the target's class proportions. The pair is a vector upload (non-image)."""

import html
import io
import json
import shlex
from dataclasses import fields

import numpy as np
import pytest

from tlcore.adapt.cache import BaselineCache, baseline_key
from tlcore.adapt.config import METHOD_ONLY_FIELDS, AdaptConfig
from tlcore.adapt.source_model import (
    NeedsSourceOnlyModel,
    SourceOnlyModel,
    find_source_only_model,
    label_shift_of,
)
from tlcore.adapt.source_only_run import BASELINE_OPTIONS, source_only_command
from tlcore.cli import main, parser_for
from tlcore.cli.adapt import config_from_args
from tlcore.data import save_upload
from tlcore.device import pick_device
from tlcore.explain.evidence import LabelShiftSummary
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.runs.thread_count import trained_threads
from tlcore.workspace import Workspace

TARGET_PRIOR = (0.6, 0.3, 0.1)


def _npz(X: np.ndarray, y: np.ndarray, classes: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    names = {"classes": np.array(classes)} if classes else {}
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64), **names)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Workspace, str, str]:
    """Three separated Gaussian classes in 5-D, balanced source, target in proportions 0.6/0.3/0.1."""
    rng = np.random.default_rng(1)
    centres = 3.0 * np.eye(3, 5)
    ys, yt = np.arange(600) % 3, rng.choice(3, size=600, p=TARGET_PRIOR)
    Xs, Xt = centres[ys] + rng.normal(size=(600, 5)), centres[yt] + rng.normal(size=(600, 5))
    workspace = Workspace.resolve(tmp_path_factory.mktemp("label_shift_cli"))
    source = save_upload(workspace, "src.npz", _npz(Xs, ys))
    target = save_upload(workspace, "tgt.npz", _npz(Xt, yt))
    return workspace, f"upload:{source}", f"upload:{target}"


def _diagnose(workspace: Workspace, capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), "diagnose", *argv, "--permutations", "50", "--no-umap"])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_to_train_a_source_only_model():
    assert source_only_command(AdaptConfig(source="mnist5k", target="digits")) == (
        "python -m tlcore adapt --source mnist5k --target digits --method source_only"
    )
    config = AdaptConfig(source="upload:a b.npz", target="digits:n=300", epochs=2, augment=False, seed=4)
    assert source_only_command(config) == (
        "python -m tlcore adapt --source 'upload:a b.npz' --target digits:n=300 --method source_only "
        "--epochs 2 --seed 4 --no-augment"
    )
    config = AdaptConfig(source="mnist5k", target="digits", model="resnet18", image_size=64)
    assert source_only_command(config) == (
        "python -m tlcore adapt --source mnist5k --target digits --method source_only "
        "--model resnet18 --image-size 64"
    )


def test_the_command_trains_the_same_baseline_off_every_default():
    """Every field of the baseline's cache key set off its default (a sweep's trial with 10 steps an
    epoch, say): the printed command, parsed by ``adapt``, is a config of the same baseline."""
    keyed = {f.name for f in fields(AdaptConfig)} - set(METHOD_ONLY_FIELDS)
    assert keyed == {*BASELINE_OPTIONS, "source", "target", "augment", "test_fraction"}
    config = AdaptConfig(
        source="mnist5k:n=300",
        target="digits:n=300",
        methods=("dann",),
        model="resnet18",
        image_size=32,
        bottleneck=64,
        epochs=3,
        steps_per_epoch=10,
        batch_size=16,
        lr=1e-4,
        patience=2,
        seed=7,
        augment=False,
        adapt_epochs=5,
    )
    words = shlex.split(source_only_command(config))
    assert words[:4] == ["python", "-m", "tlcore", "adapt"] and "--steps-per-epoch" in words
    parsed = config_from_args(parser_for(words[3:]).parse_args(words[3:]))
    assert parsed.methods == ("source_only",)
    assert baseline_key(parsed, "cpu", None) == baseline_key(config, "cpu", None)


def test_without_a_model_the_estimate_says_how_to_get_one(pair, capsys):
    workspace, source, target = pair
    needed = find_source_only_model(AdaptConfig(source=source, target=target), workspace, threads=1)
    assert isinstance(needed, NeedsSourceOnlyModel)
    command = f"python -m tlcore adapt --source {source} --target {target} --method source_only"
    assert needed.command == command and needed.config.methods == ("source_only",)
    assert needed.message.endswith(f"train one with: {command}")
    code, out, _ = _diagnose(workspace, capsys, "--source", source, "--target", target)
    assert code == 0 and f"label shift: not estimated: no source-only model of {source}" in out
    code, out, _ = _diagnose(workspace, capsys, "--source", source, "--target", target, "--json")
    payload = json.loads(out)["label_shift_estimate"]
    assert code == 0 and payload["needs_source_only_model"]
    # diagnose --workspace DIR: the command carries it, so pasted it trains on the same uploads
    given = shlex.split(payload["command"])
    assert given[3:5] == ["--workspace", str(workspace.root)] and shlex.join(given[:3] + given[5:]) == command


@pytest.fixture(scope="module")
def trained(pair) -> tuple[Workspace, str, str, str]:
    """A source_only run of the pair with a non-default budget (its baseline is cached under its key)."""
    workspace, source, target = pair
    record = jobs.run_inline(workspace, AdaptConfig(source=source, target=target, epochs=3))
    assert record.status == "done", record.error
    return workspace, source, target, record.id


def _threads(workspace: Workspace, run_id: str) -> int | None:
    """The torch threads run ``run_id`` trained on: its cached baseline's key holds them."""
    return trained_threads(RunStore(workspace).get(run_id))


def test_a_cached_baseline_estimates_the_target_proportions(trained):
    workspace, source, target, run_id = trained
    threads = _threads(workspace, run_id)
    default = AdaptConfig(source=source, target=target)
    assert isinstance(
        find_source_only_model(default, workspace, threads=threads), NeedsSourceOnlyModel
    )  # other budget
    budget = AdaptConfig(source=source, target=target, epochs=3)
    found = find_source_only_model(default, workspace, [(budget, threads)], threads=threads)
    assert isinstance(found, SourceOnlyModel) and found.origin == "baseline cache"
    estimate = label_shift_of(found, workspace)
    assert estimate.n_target == 600 and estimate.n_source_val == 120  # every target sample; 20% of 600
    assert estimate.true_prior is not None and estimate.level == "large" and estimate.consistent
    assert estimate.em.tv_to_truth < 0.06 and estimate.bbse.tv_to_truth < 0.06
    assert estimate.em.priors[0] > 0.5 > estimate.source_prior[0]


def test_a_target_outside_the_sources_support_voids_the_estimate(trained, capsys):
    """QA: a column in other units (x1000) made the source-only model read one class for nearly every
    target sample, and diagnose reported a large label shift with a zero-width band and advised prior
    correction. Label shift keeps the target inside the source's support; here every target sample is
    outside it in the model's features, so the estimate says it is not to be trusted, its degenerate
    band says so, and the verdict ranks no label-shift cause. The label-shift-only target is trusted."""
    workspace, source, target, run_id = trained
    budget = AdaptConfig(source=source, target=target, epochs=3)
    found = find_source_only_model(budget, workspace, threads=_threads(workspace, run_id))
    assert isinstance(found, SourceOnlyModel)
    plain = label_shift_of(found, workspace)
    assert plain.support is not None and plain.support.level == "covered"
    assert plain.trusted and not plain.outside_support and LabelShiftSummary.of(plain) is not None
    rng = np.random.default_rng(3)
    yt = rng.choice(3, size=300, p=TARGET_PRIOR)
    Xt = 3.0 * np.eye(3, 5)[yt] + rng.normal(size=(300, 5))
    Xt[:, 0] = 1000 * Xt[:, 0] + 5000
    buffer = io.BytesIO()
    np.savez(buffer, X=Xt.astype(np.float32))  # unlabelled, like the QA's this_year.csv
    units = f"upload:{save_upload(workspace, 'units.npz', buffer.getvalue())}"
    argv = ["--source", source, "--target", units, "--json", "--features", f"baseline:{run_id}"]
    code, out, err = _diagnose(workspace, capsys, *argv)
    assert code == 0, err
    estimate = json.loads(out)["label_shift_estimate"]
    assert estimate["support"]["share"] > 0.95 and estimate["outside_support"] and not estimate["trusted"]
    assert estimate["level"] != "none" and estimate["consistent"]  # EM and BBSE agree: no warning before
    assert "not to be trusted" in estimate["description"]
    assert "re-weights the model's outputs" not in estimate["description"]
    assert not [c for c in json.loads(out)["explanation"]["verdict"]["causes"] if c["kind"] == "label_shift"]


def test_diagnose_finds_the_pairs_model_and_prints_the_estimate(trained, capsys):
    workspace, source, target, run_id = trained
    code, out, err = _diagnose(workspace, capsys, "--source", source, "--target", target, "--json")
    assert code == 0, err
    payload = json.loads(out)
    estimate = payload["label_shift_estimate"]
    assert estimate["headline"] == "em" and estimate["level"] == "large"
    assert estimate["true_prior"] == pytest.approx(payload["label_shift"]["target_prior"])
    assert estimate["em"]["tv_to_truth"] < 0.06 and len(estimate["em"]["low"]) == 3
    assert payload["novelty"]["n_target"] == 600 and payload["novelty"]["level"] == "covered"
    for features in (f"run:{run_id}", f"baseline:{run_id}"):  # the run's own model: the same estimate
        code, out, _ = _diagnose(
            workspace, capsys, "--source", source, "--target", target, "--json", "--features", features
        )
        other = json.loads(out)["label_shift_estimate"]
        assert code == 0 and other | {"model": estimate["model"]} == estimate  # the same, read by...
        assert other["model"] == (  # ...the model it names (the run's own, or its cached baseline)
            f"Read by run {run_id}'s model." if features.startswith("run:") else estimate["model"]
        )
    # the estimate names the model that read it: the pair's one cached baseline, its source accuracy
    accuracy = (
        BaselineCache.of_workspace(workspace)
        .get(
            baseline_key(
                AdaptConfig(source=source, target=target, epochs=3),
                pick_device(None).type,
                _threads(workspace, run_id),
            )
        )
        .before["validators"]["source_accuracy"]
    )
    named = f"Read by the cached source-only baseline of run {run_id} (source validation accuracy "
    named += f"{accuracy:.1%}); see that run with: "
    named += f"python -m tlcore --workspace {workspace.root} runs show {run_id}."  # diagnose's workspace
    assert estimate["model"] == named and estimate["model_run"] == run_id
    # the command as printed, pasted (the CLI's main for the shell): it finds the run in that workspace
    assert main(shlex.split(named.rsplit(": ", 1)[1].rstrip("."))[3:]) == 0
    assert f"run {run_id}" in capsys.readouterr().out
    # one counted label shift: the diagnosis's (all 600 source labels), not a second count on the
    # 120 validation labels the estimator reads (helper-76: 0.084 in the table, 0.081 in the text)
    counted = payload["label_shift"]
    assert estimate["true_tv"] == counted["tv_distance"] and estimate["true_p_value"] == counted["p_value"]
    assert estimate["true_counted_from"] == {"source": "source", "n_source": 600, "n_target": 600}
    report = workspace.root / "diagnosis.html"
    code, out, _ = _diagnose(
        workspace, capsys, "--source", source, "--target", target, "--report", str(report)
    )
    assert code == 0 and "class proportions of the target, estimated without its labels" in out
    tv, p = f"{counted['tv_distance']:.3f}", f"{counted['p_value']:.3g}"
    table = f"  label shift (TV)  {tv}       true target labels, p = {p}"
    words = (
        f"differ from the source's by total variation {tv}: "
        f"{'a large label shift' if counted['p_value'] < 0.05 else 'within chance at these sample sizes'} "
        f"(p = {p}, 1000 random splits of the 600 source and 600 target labels pooled)"
    )
    assert table in out and words in out and html.escape(words) in report.read_text(encoding="utf-8")
    assert "TV to true" in out and "The source covers the target" in out
    # a labelled target: the counted shift first, the estimate a check of the estimator (close here)
    assert "Counted from the target's labels, its class proportions differ" in out
    assert "as a check of the estimator" in out and ": close to the truth." in out
    assert f"  {named}" in out and named in report.read_text(encoding="utf-8")  # text and report too


def test_a_model_reads_any_source_of_its_shape_and_classes_and_refuses_others_in_one_line(trained, capsys):
    """QA: --features run:ID refused every source but the run's own spec. Another sample of it
    (n=), a shift of it, another upload with the same classes and shape: the same target read by the
    same model, so the same estimate; other classes or another sample shape: one line saying so."""
    workspace, source, target, run_id = trained
    base = ["--target", target, "--json", "--features", f"run:{run_id}"]
    code, out, err = _diagnose(workspace, capsys, "--source", source, *base)
    assert code == 0, err
    # the estimate, less its counted shift: that is the diagnosis's, of the source diagnosed
    counted = ("true_tv", "true_p_value", "true_within_chance", "true_counted_from", "description")

    def estimated(out: str) -> dict:
        return {k: v for k, v in json.loads(out)["label_shift_estimate"].items() if k not in counted}

    estimate = estimated(out)
    for other in (f"{source}:n=300", f"{source}:noise=0.1", target):
        code, out, err = _diagnose(workspace, capsys, "--source", other, *base)
        assert code == 0, err
        assert estimated(out) == estimate
    rng = np.random.default_rng(2)
    named = save_upload(
        workspace, "named.npz", _npz(rng.normal(size=(60, 5)), np.arange(60) % 3, classes=("x", "y", "z"))
    )
    narrow = save_upload(workspace, "narrow.npz", _npz(rng.normal(size=(60, 4)), np.arange(60) % 3))
    for spec, says in (
        # the target, harmonised, carries the source's classes: the pair is named, not the target
        (f"upload:{named}", f"the pair names classes x, y, z, the source-only model (run {run_id}) "),
        (f"upload:{narrow}", f"upload:{narrow} has samples of 4, the source-only model (run {run_id}) "),
    ):
        code, out, err = _diagnose(workspace, capsys, "--source", spec, "--target", spec, *base[2:])
        assert (code, out) == (2, "") and says in err
        assert len(err.strip().splitlines()) == 1


def test_runs_of_relative_file_paths_are_found_by_diagnose_and_rank(pair, tmp_path, monkeypatch, capsys):
    """adapt stores a relative path made absolute; diagnose and rank, given the same relative paths
    (or another spelling of them) in the same folder, find that run."""
    workspace, source, target = pair
    for name, spec in (("src.npz", source), ("tgt.npz", target)):
        (tmp_path / name).write_bytes(workspace.inside("uploads", spec.removeprefix("upload:")).read_bytes())
    monkeypatch.chdir(tmp_path)
    base = ["--workspace", str(workspace.root)]
    argv = ["adapt", "--source", "./src.npz", "--target", "tgt.npz", "--method", "source_only"]
    assert main([*base, *argv, "--epochs", "1", "--json"]) == 0
    stored = RunStore(workspace).get(json.loads(capsys.readouterr().out)["run_id"])
    assert (stored.source, stored.target) == (str(tmp_path / "src.npz"), str(tmp_path / "tgt.npz"))
    code, out, err = _diagnose(workspace, capsys, "--source", "src.npz", "--target", "./tgt.npz", "--json")
    assert code == 0, err
    assert json.loads(out)["label_shift_estimate"]["headline"] == "em"  # the run's source-only model
    held_out = ["--features", f"run:{stored.id}", "--held-out", "--source", "src.npz"]
    code, out, err = _diagnose(workspace, capsys, *held_out)
    assert code == 0, err  # the run's own source, in another spelling
    assert main([*base, "runs", "rank", "--source", "./src.npz", "--target", "./tgt.npz", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["entries"]) == 1
