"""``python -m tlcore adapt`` and ``runs list | show | cancel | delete`` with stand-in workers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fake_workers import make_config

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.cli import build_parser, main
from tlcore.cli.adapt import config_from_args
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

# the pair of the adapt commands that run (stand-in workers): its loading and search for shared samples
# is most of the command's own work on all of mnist5k and digits, and no check needs their size
PAIR = ("--source", "mnist5k:n=300", "--target", "digits:n=200")


def _cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:quick")


@pytest.mark.usefixtures("fake_pipeline")
def test_adapt_inline_json_and_stored_config(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(
        workspace,
        capsys,
        *("adapt", *PAIR, "--method", "deep_coral+im"),
        *("--epochs", "3", "--seed", "4", "--no-augment", "--param", "im.diversity=0.5"),
        *("--param", "deep_coral.weight=0.25", "--patience", "2", "--json"),
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "done" and summary["target_accuracy"] == 0.9
    assert summary["gap_after"] == {"mmd2": 0.1} and err == ""  # no progress bar with --json
    config = RunStore(workspace).get(summary["run_id"]).config
    assert config["methods"] == ["deep_coral", "im"]
    assert config["params"] == {"im": {"diversity": 0.5}, "deep_coral": {"weight": 0.25}}
    assert (config["epochs"], config["seed"], config["augment"], config["patience"]) == (3, 4, False, 2)

    code, out, err = _cli(workspace, capsys, "adapt", *PAIR)
    assert code == 0 and "target accuracy" in out and "90.0%\n" in out
    assert "[" in err  # the progress bar, on stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "nope"], "error: unknown method 'nope'; choose from: source_only, target_only"),
        (["--method", "dann", "--param", "dann.weight"], "error: --param expects METHOD.KEY=VALUE"),
        (["--method", "dann", "--param", "im.weight=1"], "error: --param im.*: im is not among"),
        (["--method", "dann", "--param", "dann.speed=1"], "error: dann: unknown parameter(s) speed"),
        (["--method", "dann", "--param", "dann.weight=-2"], "error: dann: weight must be >= 0, got -2.0"),
        (["--method", "coral", "--param", "coral.weight=1"], "error: coral: weight applies to loss terms"),
        (
            ["--method", "dann", "--param", "dann.gamma=inf"],
            "error: dann: gamma must be a finite number, got inf\n",
        ),
        (
            ["--method", "dann", "--param", "dann.gamma=-5"],
            "error: dann: gamma must be > 0 (the reversal's ramp",
        ),
        (
            ["--method", "fixmatch", "--param", "fixmatch.weight=inf"],
            "error: fixmatch: weight must be a finite",
        ),
        (["--method", "finetune", "--param", "finetune.mode=x"], "error: finetune: parameter mode must be"),
        (["--target", "digtis"], "error: unknown domain 'digtis'; known: mnist5k, digits"),
        (["--source", "mnist5k:rotate=x"], "error: rotate=x: the value must be a number"),
        (["--epochs", "0"], "error: epochs must be >= 1, got 0\n"),
        (["--batch-size", "1"], "error: the batch size must be >= 2 (BatchNorm needs two samples), got 1\n"),
        (["--lr", "-1"], "error: the learning rate must be a finite number > 0, got -1\n"),
        (["--lr", "0"], "error: the learning rate must be a finite number > 0, got 0\n"),
        (["--lr", "nan"], "error: the learning rate must be a finite number > 0, got nan\n"),
        (["--lr", "inf"], "error: the learning rate must be a finite number > 0, got inf\n"),
        (["--seed", "-1"], "error: the seed must lie in 0..4294967295, got -1\n"),
        (["--seed", "4294967296"], "error: the seed must lie in 0..4294967295, got 4294967296\n"),
        (["--patience", "0"], "error: patience must be >= 1 epoch (or unset: no early stopping)\n"),
        (["--patience", "-1"], "error: patience must be >= 1 epoch"),
        (["--ema-decay", "1"], "error: EMA decay must lie in [0, 1)"),
        (["--bottleneck", "100000"], "error: bottleneck width must lie in 0..16384 (0: no bottleneck;"),
        (
            ["--method", "dann", "--param", "dann.hidden=3000000000"],
            "error: dann: hidden must lie in 1..16384 (the limit is TLSTUDIO_MAX_LAYER_WIDTH), "
            "got 3000000000\n",
        ),
        (["--method", "dann", "--param", "dann.hidden=0"], "error: dann: hidden must lie in 1..16384"),
        (["--method", "cdan", "--param", "cdan.random_dim=20000"], "error: cdan: random_dim must lie in 1."),
        (["--settle-tol", "-0.1"], "error: the settling tolerance must lie in [0, 1)"),
        (["--model", "resnet9000"], "error: unknown model 'resnet9000'; choose one of: auto, cnn"),
        (["--device", "tpu9"], "error: unknown device 'tpu9': use cpu, cuda or mps"),
        (
            ["--method", "im", "--target-labels", "5"],
            "error: --target-labels is for the methods trained on target labels (target_only, finetune, "
            "labelled_target)",
        ),
    ],
)
def test_adapt_refuses_bad_arguments(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, out, err = _cli(workspace, capsys, "adapt", "--source", "mnist5k", "--target", "digits", *extra)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1
    assert RunStore(workspace).list() == []


@pytest.mark.usefixtures("fake_pipeline")
def test_adapt_detach_returns_at_once(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("adapt", *PAIR, "--detach", "--json")
    code, out, _ = _cli(workspace, capsys, *args)
    assert code == 0
    run_id = json.loads(out)["run_id"]
    assert jobs.wait(workspace, run_id, timeout=30).status == "done"


@pytest.mark.parametrize("target", ["upload:scnas.zip", "./scnas.npz", "usps@./nowhere"])
def test_adapt_refuses_missing_data_before_a_run(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    for extra in ([], ["--detach"]):
        code, out, err = _cli(workspace, capsys, "adapt", "--source", "mnist5k", "--target", target, *extra)
        assert code == 2 and out == "" and err.count("\n") == 1
        refusals = (
            "error: no upload named 'scnas.zip'",
            "error: no such file or folder: /",
            "error: usps: files not found: /",
        )
        assert err.startswith(refusals)
    assert RunStore(workspace).list() == []


def test_failed_inline_run_is_one_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:crashing")
    code, _, err = _cli(workspace, capsys, "adapt", *PAIR, "--json")
    assert code == 2
    assert err.endswith("failed: RuntimeError: boom\n") and err.count("\n") == 1


def test_runs_list_show_delete(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(workspace, capsys, "runs", "list")[1] == "no runs yet\n"
    record = jobs.run_inline(workspace, make_config(steps=2), worker="fake_workers:quick")

    code, out, _ = _cli(workspace, capsys, "runs", "list", "--json")
    assert code == 0 and [(r["id"], r["status"]) for r in json.loads(out)] == [(record.id, "done")]
    code, out, _ = _cli(workspace, capsys, "runs", "list", "--status", "done")
    assert record.id in out and " 90.0% " in out and "mnist5k -> digits" in out

    code, out, _ = _cli(workspace, capsys, "runs", "show", record.id, "--json")
    details = json.loads(out)
    assert details["status"] == "done" and details["history_events"] == 4
    assert details["headline"]["source_only_accuracy"] == 0.7
    assert Path(details["artifacts"]["result.json"]).is_file() and details["artifacts"]["model.pt"] is None
    code, out, _ = _cli(workspace, capsys, "runs", "show", record.id)
    assert f"run {record.id}: done" in out and "history  4 events" in out and "ended" not in out
    settled = jobs.run_inline(workspace, make_config(steps=2), worker="fake_workers:settled")
    assert settled.status == "done"  # a stage that ended early still gives a whole run
    code, out, _ = _cli(workspace, capsys, "runs", "show", settled.id)
    assert "  ended    target predictions settled: ...; stopped at epoch 3\n" in out
    assert _cli(workspace, capsys, "runs", "delete", settled.id)[0] == 0

    code, out, err = _cli(workspace, capsys, "runs", "cancel", record.id)
    assert code == 2 and err == f"error: run {record.id} is already done\n"
    assert _cli(workspace, capsys, "runs", "delete", record.id)[0] == 0
    assert _cli(workspace, capsys, "runs", "list", "--json")[1] == "[]\n"


@pytest.mark.parametrize("action", ["list", "show"])
def test_runs_list_and_show_close_runs_whose_worker_died(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    store = RunStore(workspace)
    run_id = store.create(make_config())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.start(run_id, pid=dead.pid)
    assert store.get(run_id).status == "running"  # reading alone changes nothing
    code, out, _ = _cli(workspace, capsys, "runs", action, *([run_id] if action == "show" else []))
    assert code == 0 and f"{run_id}" in out and "interrupted" in out
    assert store.get(run_id).status == "interrupted"


def test_runs_cancel_a_running_run(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = jobs.launch(workspace, make_config(steps=400), worker="fake_workers:slow")
    code, out, _ = _cli(workspace, capsys, "runs", "cancel", run_id, "--wait", "15", "--json")
    assert code == 0 and json.loads(out)["status"] == "cancelled"


@pytest.mark.parametrize("action", ["show", "cancel", "delete"])
def test_bad_run_id_is_one_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    code, out, err = _cli(workspace, capsys, "runs", action, "nope")
    assert (code, out) == (2, "")
    assert err == f"error: no run nope in {workspace.root}\n"


def test_adapt_recipe_uses_the_recipes_budget_and_takes_overrides() -> None:
    parser = build_parser()
    args = ["adapt", "--source", "mnist5k", "--target", "digits", "--recipe", "recommended"]
    assert config_from_args(parser.parse_args(args)) == RECOMMENDED.config("mnist5k", "digits")
    tuned = config_from_args(parser.parse_args([*args, "--epochs", "3", "--param", "im.weight=2"]))
    assert tuned.epochs == 3 and tuned.methods == RECOMMENDED.methods and tuned.params["im"] == {"weight": 2}
    fresh = config_from_args(parser.parse_args([*args, "--no-warm-start", "--adapt-epochs", "7"]))
    epochs = RECOMMENDED.config("a", "b").epochs
    assert (fresh.warm_start, fresh.adapt_epochs, fresh.epochs) == (False, 7, epochs)
    assert "then 7 adapting" not in fresh.budget_text and "7 adapting" in fresh.budget_text
    capped = config_from_args(parser.parse_args([*args, "--steps-per-epoch", "40"]))
    assert capped == replace(RECOMMENDED.config("mnist5k", "digits"), steps_per_epoch=40)
    assert "40 steps an epoch" in capped.budget_text
    assert "steps" not in RECOMMENDED.config("a", "b").budget_text
    plain = config_from_args(parser.parse_args([*args, "--ema-decay", "0"]))
    assert plain == replace(RECOMMENDED.config("mnist5k", "digits"), ema_decay=0.0)
    assert "EMA" not in plain.budget_text
    assert "averaged (EMA 0.99)" in RECOMMENDED.config("a", "b").budget_text


def test_adapt_recipe_with_target_labels_trains_on_them_too() -> None:
    parser = build_parser()
    args = ["adapt", "--source", "mnist5k", "--target", "digits", "--recipe", "recommended"]
    labelled = config_from_args(parser.parse_args([*args, "--target-labels", "5"]))
    assert labelled == RECOMMENDED.config("mnist5k", "digits", target_labels=5)
    assert labelled.target_labels == 5
    assert labelled.methods == ("deep_coral", "im", "fixmatch", "shot_pl", "labelled_target", "adabn")
    assert labelled.params == RECOMMENDED.config("a", "b").params
    assert config_from_args(parser.parse_args([*args, "--target-labels", "0"])).methods == RECOMMENDED.methods


def test_params_read_as_the_cli_takes_them() -> None:
    parser = build_parser()
    args = ["adapt", "--source", "mnist5k", "--target", "digits", "--method", "dann+im"]
    args += ["--param", "dann.weight=0.5", "--param", "dann.hidden=128"]
    config = config_from_args(parser.parse_args(args))
    assert config.params_text == "dann.weight=0.5, dann.hidden=128"
    assert (
        RECOMMENDED.config("a", "b").params_text == "deep_coral.layer=features, deep_coral.weight=100, "
        "fixmatch.weight=0.3, fixmatch.align=False, fixmatch.threshold=0.9, fixmatch.teacher=True"
    )
    assert replace(config, params={}).params_text == ""


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda path: path.write_bytes(path.read_bytes()[:200]), "is unreadable (Unterminated string"),
        (lambda path: path.write_text("[1, 2]"), "is unreadable (not a JSON object)"),
        (Path.unlink, "is missing"),
    ],
)
def test_a_damaged_result_is_one_line_for_its_run_and_left_out_of_its_pair(
    judged_copy: tuple[Workspace, list[str]],
    capsys: pytest.CaptureFixture[str],
    damage: Callable[[Path], object],
    why: str,
) -> None:
    workspace, (damaged, *others) = judged_copy
    path = RunStore(workspace).get(damaged).folder / "result.json"
    damage(path)
    problem = f"run {damaged}: its result file {path} {why}"
    for action in ("show", "changes"):
        code, out, err = _cli(workspace, capsys, "runs", action, damaged)
        assert (code, out) == (2, "") and err.startswith(f"error: {problem}") and err.count("\n") == 1

    code, out, _ = _cli(workspace, capsys, "runs", "rank", "--source", "mnist5k", "--target", "digits")
    assert code == 0 and "mnist5k -> digits: 2 runs ranked" in out
    assert all(run_id in out for run_id in others)
    assert f"not ranked: {damaged}: its result file {path} {why}" in out
    code, out, _ = _cli(workspace, capsys, "runs", "show", others[0])
    assert code == 0 and "(judged within a pool of 2 runs of this pair)" in out
    code, out, _ = _cli(workspace, capsys, "runs", "list")
    assert code == 0 and all(run_id in out for run_id in (damaged, *others))


@pytest.mark.usefixtures("fake_pipeline")
def test_adapt_into_a_workspace_whose_runs_folder_is_a_file_is_one_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace.root / "runs").write_text("not a folder")
    code, out, err = _cli(workspace, capsys, "adapt", *PAIR)
    assert code == 2 and out.startswith("estimated: ") and err.count("\n") == 1  # said, then refused
    assert err.startswith(f"error: cannot make the run folder {workspace.root / 'runs'}/")
    assert err.endswith(" (Not a directory)\n")


@pytest.mark.parametrize(("command", "limit"), [("runs", "0"), ("sweeps", "-1")])
def test_a_listing_limit_below_one_is_refused(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], command: str, limit: str
) -> None:
    """SQLite would read 0 as no rows ("no runs yet") and -1 as no limit."""
    expected = f"error: the limit must be at least 1, got {limit}\n"
    assert _cli(workspace, capsys, command, "list", "--limit", limit) == (2, "", expected)


def test_runs_list_says_how_many_more_filters_by_pair_and_fits_a_long_method(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA helper-76: ``runs list`` showed 50 of 103 runs without a word, and a long METHOD pushed its
    row out of line."""
    store = RunStore(workspace)
    long = make_config(steps=2, methods=("deep_coral", "im", "fixmatch", "shot_pl", "adabn"))
    ids = [store.create(make_config(steps=2)) for _ in range(3)] + [store.create(long)]
    other = store.create(make_config(steps=2, target="digits:n=50"))
    code, out, _ = _cli(workspace, capsys, "runs", "list", "--limit", "2")
    assert code == 0 and out.endswith("… 3 more, older: --limit 5 to see them all\n")
    code, out, _ = _cli(workspace, capsys, "runs", "list", "--target", "digits")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ids[::-1]  # the pair's, all shown: no "more" line
    assert len({line.index(" mnist5k -> digits") for line in lines[1:]}) == 1  # one column
    assert lines[0].index("DOMAINS") == lines[1].index("mnist5k -> digits")
    code, out, _ = _cli(workspace, capsys, "runs", "list", "--target", "digits:n=50", "--json")
    assert [r["id"] for r in json.loads(out)] == [other]


def test_adapt_wraps_its_gap_lines_to_the_terminal(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary's gaps wrap like ``runs show``'s, hanging under their value (one 166-column line
    each before), labelled as ``diagnose`` labels a gap (CLI audit: ``mmd2=0.123  p_value=...``)."""
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:gapped")
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = _cli(workspace, capsys, "adapt", *PAIR)
    assert code == 0, err
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  gap before"))
    assert max(map(len, lines)) <= 80 and lines[start : start + 14] == [
        "  gap before",
        "    MMD²              0.1235      p = 0.000999 (1000 permutations on 1000 vs 359",
        " " * 34 + "samples, bandwidth 3.05)",
        "    CORAL             1.235",
        "    mean distance     2.346",
        "    proxy A-distance  1.877       domain classifier error 3.1% (p < 1e-16",
        " " * 34 + "against chance)",
        "  gap after",
        "    MMD²              0.06173     p = 0.000999 (1000 permutations on 1000 vs 359",
        " " * 34 + "samples, bandwidth 3.05)",
        "    CORAL             0.6173",
        "    mean distance     1.173",
        "    proxy A-distance  0.938       domain classifier error 6.2% (p < 1e-16",
        " " * 34 + "against chance)",
    ]
    change = lines.index(next(line for line in lines if line.startswith("  source only accuracy"))) + 1
    assert lines[change].startswith("  change                 target accuracy ")  # QA: as runs show says
    run_id = next(line for line in lines if line.startswith("run ")).split()[1]  # after the estimate
    shown = _cli(workspace, capsys, "runs", "show", run_id)[1].splitlines()
    assert lines[change] in shown
    assert shown[shown.index("  gap before") :][:14] == lines[start : start + 14]  # as runs show says them
    code, out, _ = _cli(workspace, capsys, "adapt", *PAIR, "--json")
    assert json.loads(out)["paired_test"]["text"].startswith("target accuracy ")


@pytest.mark.parametrize(
    "case",
    [
        ("done", "", "done: it finished before the cancel"),
        ("cancelled", "", "cancelled\n"),
        ("failed", "boom", "failed (boom)\n"),
    ],
)
def test_a_cancel_that_meets_a_run_ending_says_how_it_ended(
    workspace: Workspace,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, str, str],
) -> None:
    """QA: a run that finished while ``runs cancel`` waited read ``run …: done ()``."""
    status, error, said = case
    record = RunStore(workspace).get(RunStore(workspace).create(make_config()))
    monkeypatch.setattr(jobs, "cancel", lambda *_, **__: replace(record, status=status, error=error))
    code, out, _ = _cli(workspace, capsys, "runs", "cancel", record.id)
    assert code == 0 and out.startswith(f"run {record.id}: {said}") and "()" not in out
