"""``python -m tlcore sweep`` and ``sweeps list|show|cancel|resume``: parsing, refusals (one line,
exit 2) and the tables (stand-in workers; the real pipeline runs in test_sweep_ray)."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from fake_ports import REFUSED, SETTINGS_FRAME, answering, http_server
from inline_executor import InlineExecutor

from tests.sweeps.stored_sweeps import cli
from tests.worker_start import landing_at_once
from tlcore.cli import build_parser, main
from tlcore.cli.sweep import spec_from_args
from tlcore.runs import driver, estimate_start, probe
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.executors.ray_session import RAY_INSTALL, import_ray
from tlcore.runs.search import Search
from tlcore.runs.space import Choice, Range, Space, parse_range
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

BASE = ["sweep", "--source", "mnist5k", "--target", "digits"]


def test_the_arguments_parse_into_the_sweep_spec() -> None:
    args = build_parser().parse_args(
        [
            *BASE,
            "--methods", "deep_coral+im,dann+im",
            "--grid", "dann.weight=0.1,0.3,1",
            "--range", "im.weight=0.1:2:log",
            "--search", "random", "--n", "5", "--search-seed", "3",
            "--seeds", "0-2,7", "--epochs", "2", "--no-augment", "--ema-decay", "0.9",
            "--settle-tol", "0.01", "--bottleneck", "64",
        ]
    )  # fmt: skip
    spec = spec_from_args(args)
    assert spec == SweepSpec(
        "mnist5k",
        "digits",
        (("deep_coral", "im"), ("dann", "im")),
        spec.space,
        Search("random", 5, 3),
        (0, 1, 2, 7),
        {"epochs": 2, "ema_decay": 0.9, "settle_tol": 0.01, "augment": False, "bottleneck": 64},
    )
    assert spec.space.dims == {"dann.weight": Choice((0.1, 0.3, 1)), "im.weight": Range(0.1, 2.0, log=True)}


def test_a_relative_file_spec_is_anchored_where_the_command_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the trials' workers run in the workspace, or on other machines
    args = build_parser().parse_args(
        ["sweep", "--source", "mnist5k", "--target", "./scans.zip:n=50", "--methods", "im"]
    )
    spec = spec_from_args(args)
    assert (spec.source, spec.target) == ("mnist5k", f"{tmp_path / 'scans.zip'}:n=50")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--grid", "dann.weight=0.1"], "error: dann.weight: dann is in none of the compositions\n"),
        (["--grid", "dann.weight"], "error: --grid expects KEY=V1,V2,..., got 'dann.weight'\n"),
        (["--seeds", "a"], "error: seeds must be integers such as 0,1,2 or 0-4, got 'a'\n"),
        (["--seeds", "0,-1"], "error: the seed must lie in 0..4294967295, got -1\n"),
        (["--lr", "nan"], "error: the learning rate must be a finite number > 0, got nan\n"),
        (["--patience", "0"], "error: patience must be >= 1 epoch (or unset: no early stopping)\n"),
        (
            ["--range", "batch_size=1:3:int", "--search", "optuna", "--n", "3", "--batch", "1"],
            "error: batch_size=1: the batch size must be >= 2 (BatchNorm needs two samples), got 1\n",
        ),
        (
            ["--seeds", "0-3000000000000"],  # refused before the range is listed
            "error: the sweep plans 3000000000001 seeds, more than the limit of 10000 trials "
            "(TLSTUDIO_MAX_TRIALS)\n",
        ),
        (
            ["--grid", f"im.weight={','.join(map(str, range(101)))}", "--seeds", "0-99"],
            "error: the sweep plans 10100 trials, more than the limit of 10000 trials "
            "(TLSTUDIO_MAX_TRIALS)\n",
        ),
        (
            ["--range", "lr=0.2:0.8:int", "--search", "random", "--n", "2"],
            "error: an integer range needs a whole number in it, got 0.2..0.8\n",
        ),
        (["--target", "digtis"], "error: unknown domain 'digtis'; known: mnist5k, digits"),
        (["--target", "upload:scnas.zip"], "error: no upload named 'scnas.zip'"),
        (
            ["--target", "kmnist@/nowhere:split=test"],
            "error: kmnist: files not found: /nowhere/KMNIST/raw/",
        ),
        (["--executor", "ray", "--address", "auto"], "never joins whatever cluster"),
        (["--executor", "ray", "--address", "127.0.0.1:99999"], "HOST:PORT, the port 1-65535\n"),
        (["--executor", "ray", "--address", "127.0.0.1"], "HOST:PORT, the port 1-65535\n"),
        (["--executor", "ray", "--address", "ray://10.0.0.5:10001"], "not a URL: Ray Client (ray://)"),
        (["--address", "10.0.0.1:6379"], "error: --address names a Ray cluster; it needs --executor ray\n"),
        (["--search", "random"], "error: a random search needs the number of points n >= 1\n"),
        (
            ["--search", "optuna", "--batch", "0"],  # QA helper-266: --batch 0 was not named
            "error: an optuna search needs the number of points n >= 1; batch, the points of an Optuna "
            "round, must be >= 1, got 0\n",
        ),
        (
            ["--search", "optuna", "--n", "3", "--batch", "-1"],
            "error: batch, the points of an Optuna round, must be >= 1, got -1\n",
        ),
        (["--search", "random", "--n", "0"], "a random search needs the number of points n >= 1, got 0\n"),
        (["--cpus-per-trial", "0"], "error: CPUs per trial must be >= 1\n"),  # was read as the default, 1
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, out, err = cli(workspace, *BASE, "--methods", "deep_coral+im", *extra, capsys=capsys)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
    assert SweepStore(workspace).list() == []  # nothing half-created


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--grid", "model=mlp,foo"], "error: model=foo: unknown model 'foo'; choose one of: auto, cnn,"),
        (["--grid", "model=lenet_bn,mlp"], "error: model 'mlp' needs feature vectors (D,), got images of"),
        (
            ["--methods", "dann,source_only", "--grid", "target_labels=0,2"],
            "error: target_labels=2: --target-labels is for the methods trained on target labels (",
        ),
        (
            ["--methods", "dann", "--target-labels", "2"],
            "error: --target-labels is for the methods trained on target labels (",
        ),
    ],
)
def test_a_trial_the_run_would_refuse_is_refused_before_the_sweep_exists(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    """QA helper-123 (F3, F4): these sweeps started, their trials failed or ran target labels unused."""
    pair = ["--source", "mnist5k:n=300", "--target", "digits:n=300"]
    argv = ["sweep", *pair, "--methods", "source_only", "--epochs", "1", "--device", "cpu", *extra]
    code, out, err = cli(workspace, *argv, capsys=capsys)
    assert code == 2 and out == "" and err.startswith(message) and err.count("\n") == 1, err
    assert SweepStore(workspace).list() == [] and RunStore(workspace).list() == []


def test_an_address_where_no_cluster_answers_is_one_line_at_once(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # first import as the Ray tests do: Ray reads the loopback setting once, when imported (imported
    # without it, the test cluster's driver later waits forever for its loopback-bound GCS)
    import_ray(loopback=True)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    code, out, err = cli(
        workspace, *BASE, "--methods", "im", "--executor", "ray", f"--address=127.0.0.1:{port}", capsys=capsys
    )
    assert code == 2 and out == "" and time.monotonic() - started < 15  # Ray itself retried ~12 minutes
    assert err.startswith(f"error: no Ray cluster at 127.0.0.1:{port}: ") and err.count("\n") == 1, err
    assert SweepStore(workspace).list() == []


def test_resuming_on_an_address_that_is_no_cluster_is_one_line_and_starts_no_driver(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stored address is checked as a new sweep's is (the Sweep page's Resume says the same line)."""
    with http_server() as address:
        sweep_id = driver.create(
            workspace, SweepSpec("mnist5k", "digits", (("im",),)), ExecutorSettings("ray", address)
        )
        SweepStore(workspace).end(sweep_id, "cancelled", "on request")
        code, out, err = cli(workspace, "sweeps", "resume", sweep_id, "--detach", capsys=capsys)
    assert (code, out) == (2, "")
    assert err == f"error: {address} is not a Ray cluster (it answered as an HTTP server)\n"
    assert SweepStore(workspace).get(sweep_id).status == "cancelled"  # not reopened, no driver


def test_asking_for_ray_without_ray_says_how_to_install_it(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    code, out, err = cli(workspace, *BASE, "--methods", "im", "--executor", "ray", capsys=capsys)
    assert code == 2 and out == ""
    assert err == f"error: the ray executor needs Ray: {RAY_INSTALL}\n"
    assert "pip install -r requirements-ray.txt" in RAY_INSTALL
    assert SweepStore(workspace).list() == []


def test_sweep_says_its_estimate_before_it_starts(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the Sweep page does: each composition's trials x its per-trial estimate, 4 at a time (the run
    slots) on 2 cores of 1 thread a run: 2 runs' work at once; ``--json`` gains the numbers (the CLI
    printed no estimate at all)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    launched: list[str] = []
    monkeypatch.setattr(driver, "launch", lambda _, sweep_id: launched.append(sweep_id))
    times = {"single": [0.1, 0.2], "paired": [0.3, 0.5], "forward_per_sample": 0.001}
    monkeypatch.setattr(probe, "measure", lambda *_: times)
    monkeypatch.setattr(estimate_start, "measure_in_background", landing_at_once(4.0))  # trials' start
    pair = ["--source", "mnist5k:n=300", "--target", "digits:n=300"]
    argv = ["sweep", *pair, "--methods", "dann,im", "--grid", "dann.weight=0.1,1", "--seeds", "0,1"]
    code, out, err = cli(workspace, *argv, "--epochs", "2", "--device", "cpu", "--detach", capsys=capsys)
    assert code == 0, err
    assert out.startswith("estimated: 6 runs, 4 at a time, sharing 2 cores: about ")
    assert f"sweep {launched[0]} started" in out
    assert out.count("rates of lenet_bn on cpu from a probe)") == 1  # dann's probe and im's: said once
    code, out, err = cli(
        workspace, *argv, "--epochs", "2", "--device", "cpu", "--detach", "--json", capsys=capsys
    )
    said = json.loads(out)
    assert code == 0 and said["sweep_id"] == launched[1] and said["status"] == "queued"
    parts = said["estimate"]["parts"]
    # per seed: its untrained baseline may be cached for one seed and not another
    assert [(p["runs"], p["estimate"]["source"]) for p in parts] == [(2, "probe")] * 2 + [(1, "probe")] * 2
    # 240 source, 240 target train samples: 2 * 7 source steps and 2 * 7 paired of 0.1 and 0.3 s ...
    assert parts[0]["estimate"]["workload"]["paired_steps"] == 14
    assert [p["estimate"]["workload"]["methods"] for p in parts] == [["dann"]] * 2 + [["im"]] * 2  # whose
    assert parts[0]["origin"].startswith("from a probe of 4 steps of lenet_bn on cpu")
    each = [p["estimate"]["seconds"] for p in parts]
    assert said["estimate"]["at_once"] == 4 and said["estimate"]["runs"] == 6
    assert said["estimate"]["parallel"] == 2 and said["estimate"]["runs"] == 6
    assert said["estimate"]["seconds"] == pytest.approx((2 * each[0] + 2 * each[1] + each[2] + each[3]) / 2)
    assert each[0] == each[1] and each[0] > 4.0  # a seed's trial costs the same, its worker's start in it
    assert said["estimate"]["text"].startswith("6 runs, 4 at a time, sharing 2 cores: about ")


def test_sweeps_list_show_and_csv(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*BASE, "--methods", "dann,im", "--grid", "dann.weight=0.1,1", "--seeds", "0,1", "--epochs", "1"]
    sweep_id = driver.create(workspace, spec_from_args(build_parser().parse_args(argv)))
    driver.drive(workspace, sweep_id, executor=InlineExecutor(workspace, "sweep_workers:scored"), poll=0.0)

    code, out, _ = cli(workspace, "sweeps", "list", "--json", capsys=capsys)
    assert code == 0 and [s["id"] for s in json.loads(out)] == [sweep_id]
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--json", capsys=capsys)
    shown = json.loads(out)
    assert shown["recommended"] == "im" and shown["best_in_hindsight"] == "dann|dann.weight=1"
    assert shown["counts"] == {"done": 6} and len(shown["trials"]) == 6
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--csv", capsys=capsys)
    configs = list(pd.read_csv(io.StringIO(out))["config"])
    assert configs == ["dann|dann.weight=0.1", "dann|dann.weight=1", "im"]
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--trials", capsys=capsys)
    assert (
        code == 0 and "\n *  im\n" in out and "\n +  dann|dann.weight=1\n" in out and out.count(" done ") >= 6
    )
    code, out, _ = cli(workspace, "sweeps", "list", capsys=capsys)
    assert sweep_id in out and "6/6 done" in out

    # a trial's result cut short: left out of its configuration (no longer complete) with a note
    trial = next(t for t in shown["trials"] if t["config"] == "im")
    result = workspace.inside("runs", trial["run_id"], "result.json")
    result.write_bytes(result.read_bytes()[:200])
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, capsys=capsys)
    assert code == 0 and " *  im\n" not in out and "\n    im\n      1/2 " in out
    why = f"its result file {result} is unreadable ("
    assert f"  left out: trial {trial['key']}: {why}" in out
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--json", capsys=capsys)
    damaged = next(t for t in json.loads(out)["trials"] if t["run_id"] == trial["run_id"])
    assert damaged["status"] == "done" and damaged["error"].startswith(why) and damaged["metrics"] == {}


def test_sweeps_show_names_the_failed_trials_errors(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA helper-123 (F3): the summary said "(see the failed trials)" and named none without --trials."""
    argv = [*BASE, "--methods", "im", "--seeds", "0-4", "--epochs", "1"]
    sweep_id = driver.create(workspace, spec_from_args(build_parser().parse_args(argv)))
    driver.drive(workspace, sweep_id, executor=InlineExecutor(workspace, "sweep_workers:failing"), poll=0.0)
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, capsys=capsys)
    failed = [line for line in out.splitlines() if line.startswith("  failed: ")]
    assert code == 0 and "(see the failed trials)" in out
    assert failed == [
        f"  failed: trial im|seed={seed}: RuntimeError: the stand-in fails" for seed in (0, 1, 2)
    ]
    assert "\n  and 2 more failed trials: --trials\n" in out  # as the drifted columns' line counts them
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--trials", capsys=capsys)
    assert out.count("the stand-in fails") == 3 + 5  # the summary's three, then every trial's row


def test_a_stored_sweep_whose_search_proposes_a_refused_value_stays_readable(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sweep stored before its range was checked: Optuna's second round proposes batch_size=1,
    which the config refuses; that trial is failed (never run) and the sweep ends, readable."""
    space = Space(parse_range(["batch_size=1:3:int"]))
    old = SweepSpec("mnist5k", "digits", (("source_only",),), space, Search("optuna", 3, batch=1))
    sweep_id = SweepStore(workspace).create(old, ExecutorSettings())  # stored unchecked, as before
    final = driver.drive(
        workspace, sweep_id, executor=InlineExecutor(workspace, "sweep_workers:scored"), poll=0
    )
    assert (final.sweep.status, final.counts) == ("done", {"done": 1, "failed": 1})
    assert len(RunStore(workspace).list()) == 1  # the refused trial never became a run
    for extra in ([], ["--csv"], ["--trials"]):
        code, out, err = cli(workspace, "sweeps", "show", sweep_id, *extra, capsys=capsys)
        assert code == 0 and err == "" and "source_only|batch_size=1" in out
    code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--json", capsys=capsys)
    refused = next(t for t in json.loads(out)["trials"] if t["run_id"] is None)
    assert refused["status"] == "failed"
    assert refused["error"] == "the batch size must be >= 2 (BatchNorm needs two samples), got 1"
    code, out, err = cli(workspace, "sweeps", "resume", sweep_id, "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["counts"] == {"done": 1, "failed": 1}


def test_a_sweep_driven_inline_and_cancelled_elsewhere_is_one_line_exit_2(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA helper-263: `sweeps resume ID` cancelled by `sweeps cancel ID` from another shell exited 1,
    the code the README keeps for a bug; now it is refused as adapt's inline run is (exit 2)."""
    sweep_id = driver.create(workspace, SweepSpec("mnist5k", "digits", (("im",),)))
    SweepStore(workspace).end(sweep_id, "cancelled", "on request")

    def cancelled_elsewhere(ws: Workspace, swept: str, *_: object, **__: object) -> object:
        SweepStore(ws).end(swept, "cancelled", "cancelled on request")  # another shell's sweeps cancel
        return driver.summary(ws, swept)

    monkeypatch.setattr(driver, "drive", cancelled_elsewhere)
    for extra in ([], ["--json"]):
        code, out, err = cli(workspace, "sweeps", "resume", sweep_id, *extra, capsys=capsys)
        assert (code, out) == (2, "")
        show = f"python -m tlcore --workspace {workspace.root} sweeps show {sweep_id}"
        assert err == f"error: sweep {sweep_id} cancelled (cancelled on request); its trials so far: {show}\n"


def test_cancel_and_resume_refusals(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    sweep_id = driver.create(workspace, SweepSpec("mnist5k", "digits", (("im",),)))
    SweepStore(workspace).claim(sweep_id, os.getpid())  # a live driver holds it
    code, _, err = cli(workspace, "sweeps", "resume", sweep_id, capsys=capsys)
    assert code == 2 and "cancel it before resuming" in err
    code, out, _ = cli(workspace, "sweeps", "cancel", sweep_id, "--wait", "0", capsys=capsys)
    assert code == 0 and "cancel requested; still running" in out
    queued = driver.create(workspace, SweepSpec("mnist5k", "digits", (("im",),)))
    code, out, _ = cli(workspace, "sweeps", "cancel", queued, capsys=capsys)
    assert out == f"sweep {queued}: cancelled (cancelled on request)\n"
    code, _, err = cli(workspace, "sweeps", "show", "20250101-000000-000000", capsys=capsys)
    assert code == 2 and err.startswith("error: no sweep 20250101-000000-000000")


REFUSALS = {
    "AuthenticationError": REFUSED,
    "RpcError": "Timed out while waiting for GCS to become available.",
}


@pytest.mark.parametrize(
    "case",
    [
        ("AuthenticationError", "", "the Ray cluster at {address} refused this driver: no token given "),
        (
            "AuthenticationError",
            "0badc0de",
            "the Ray cluster at {address} refused this driver: the token given ",
        ),
        ("RpcError", "", "no Ray cluster at {address}: Timed out while waiting for GCS"),
    ],
)
def test_a_cluster_refusing_the_driver_is_one_line_before_a_sweep_exists(
    workspace: Workspace,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, str, str],
) -> None:
    """QA helper-159: a token-auth cluster (`ray start`'s default) and no token or a wrong one gave
    Ray's warning on stderr once a second for 20 s, then a sweep closed ``failed``; a port where no
    Ray GCS answers, minutes of retries. Ray's refusal is stood in for (no cluster here)."""
    error, token, said = case
    ray = import_ray(loopback=True)
    from ray import _raylet  # noqa: PLC0415 - the private client the check asks

    def refusing(**_: object) -> None:
        os.write(2, b"[W gcs_client.cc:210] Failed to get cluster ID from GCS server\n")  # as Ray's C++ does
        raise getattr(ray.exceptions, error)(REFUSALS[error])

    monkeypatch.setattr(_raylet, "GcsClient", refusing)
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    if token:
        monkeypatch.setenv("RAY_AUTH_TOKEN", token)
    with answering(SETTINGS_FRAME) as address:  # answers as a gRPC server: the checks without Ray pass
        code = main(["--workspace", str(workspace.root), *BASE, "--methods", "im", "--executor", "ray",
                     f"--address={address}"])  # fmt: skip
    out, err = capfd.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("error: " + said.format(address=address)), err
    assert SweepStore(workspace).list() == []
    assert "RAY_AUTH_MODE" not in os.environ  # the environment is put back
