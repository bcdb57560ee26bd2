"""The ``ray`` executor on this machine: an embedded loopback-only cluster gives the numbers of the
``local`` executor for the same seed (real tiny runs from a torchvision set in the workspace's data root
to an uploaded target: both shipped to the Ray node, its baseline brought back), and on Ray's test
cluster (a head and two worker nodes, one CPU each) trials spread over the nodes with the workspace's
upload shipped to each (its head passes the checks before connecting), their results land in the
driver's store, a killed worker's trial is retried once and then fails, and cancel stops queued and
running trials. Every Ray session folder is removed afterwards."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from sweep_env import worker_pythonpath
from sweep_workers import numbers, pid_file

from tests.data.data_formats import write_usps
from tlcore.cli import main
from tlcore.data.spec import load_domain
from tlcore.data.uploads import save_upload
from tlcore.runs import driver
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.executors.ray import CANCEL_GRACE, SCRATCH_PREFIX, RayExecutor
from tlcore.runs.executors.ray_checks import check_apart, check_reachable
from tlcore.runs.executors.ray_session import SESSION_PREFIX, import_ray
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # Ray starts its processes (seconds each); runs in CI

TINY = ["--source", "usps", "--target", "upload:scans.npz", "--methods", "dann+im"]
TINY += ["--grid", "dann.weight=0.3", "--epochs", "1", "--json"]
COMPARED = ("target_accuracy", "source_accuracy", "source_only_accuracy", "confusion")
COMPARED += ("gap_before", "gap_after", "per_class_accuracy")


def upload_scans(workspace: Workspace) -> bytes:
    """Store 120 UCI digits as the workspace's ``upload:scans.npz``; its bytes."""
    digits = load_domain("digits:n=120")
    assert digits.y is not None
    buffer = io.BytesIO()
    np.savez(buffer, X=digits.X.numpy(), y=digits.y.numpy(), classes=np.array(digits.classes))
    assert save_upload(workspace, "scans.npz", buffer.getvalue()) == "scans.npz"
    return buffer.getvalue()


def state_dict(checkpoint: Path) -> dict[str, torch.Tensor]:
    return torch.load(checkpoint, weights_only=True)["state_dict"]


def leftovers(prefix: str) -> list[Path]:
    """This process's Ray folders still in the temp folder."""
    return list(Path(tempfile.gettempdir()).glob(f"{prefix}{os.getpid()}-*"))


def start_python(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python ARGS`` started from the repository's root, its output piped."""
    command = [sys.executable, *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(process: subprocess.Popen[str], timeout: float = 600) -> str:
    """The stdout of ``process`` once it ended (exit 0 asserted)."""
    with process:
        stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return stdout


def run_python(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> tuple[str, int]:
    """``python ARGS`` run to its end from the repository's root: its stdout and pid (exit 0 asserted)."""
    process = start_python(*args, env=env)
    return finished(process, timeout), process.pid


def workspace_files(workspace: Workspace) -> None:
    """The workspace's ``upload:scans.npz`` and a small USPS set in its data root."""
    upload_scans(workspace)
    rng = np.random.default_rng(0)
    for filename, n in (("usps.bz2", 80), ("usps.t.bz2", 40)):
        write_usps(
            workspace.inside("datasets"),
            filename,
            rng.uniform(-1, 1, (n, 256)),
            [1 + i % 10 for i in range(n)],
        )


def test_an_embedded_cluster_gives_the_numbers_of_the_local_executor(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "2")  # a local trial: 1 torch thread, like a 1-CPU Ray task
    # two workspaces with the same files, read there by the local trial, shipped to the Ray one: the
    # Ray trial trains its own baseline and brings it back; both sweeps run side by side
    remote_ws = Workspace.resolve(tmp_path / "remote")
    for ws in (workspace, remote_ws):
        workspace_files(ws)
    # as a user runs it: its own process (Ray keeps per-process state across sessions)
    command = ["-m", "tlcore", "--workspace", str(remote_ws.root), "sweep", *TINY]
    process = start_python(*command, "--executor", "ray", "--cpus-per-trial", "1")
    assert main(["--workspace", str(workspace.root), "sweep", *TINY]) == 0
    local = json.loads(capsys.readouterr().out)
    assert local["sweep"]["executor"]["kind"] == "local" and local["counts"] == {"done": 1}
    trained = {p.name: state_dict(p) for p in workspace.inside("cache", "baselines").iterdir()}
    remote = json.loads(finished(process, timeout=900))
    assert remote["sweep"]["executor"]["kind"] == "ray" and remote["counts"] == {"done": 1}
    pid, cache = process.pid, remote_ws.inside("cache", "baselines")

    folders = [
        ws.inside("runs", s["trials"][0]["run_id"]) for ws, s in ((workspace, local), (remote_ws, remote))
    ]
    results = [json.loads((f / "result.json").read_text()) for f in folders]
    for key in COMPARED:
        assert results[0][key] == results[1][key], key
    assert results[0]["target_accuracy"] is not None
    losses = [[h["loss"] for h in r["history"]] for r in results]
    assert losses[0] == losses[1]
    weights = [state_dict(f / "model.pt") for f in folders]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert "ran on Ray node 127.0.0.1 " in (folders[1] / "worker.log").read_text()  # loopback only
    brought = {p.name: state_dict(p) for p in cache.iterdir()}  # the Ray trial's, in the driver's cache
    assert len(trained) == 1 and brought.keys() == trained.keys()
    assert all(torch.equal(t, brought[n][k]) for n, state in trained.items() for k, t in state.items())
    assert not list(Path(tempfile.gettempdir()).glob(f"{SESSION_PREFIX}{pid}-*"))  # session removed


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored meanwhile, as in a background job or under nohup: what starts inherits it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Ray's test cluster: a head and two worker nodes with one CPU each, bound to 127.0.0.1, in a
    folder of our own (removed afterwards); yields its address. Its nodes start with SIGINT ignored
    (passed on to their workers), as when started from a background job."""
    import_ray(loopback=True)
    from ray.cluster_utils import Cluster  # noqa: PLC0415 - after the loopback setting

    top = Path(tempfile.mkdtemp(prefix="tlray-test-"))  # short: Ray's socket paths must fit 107 bytes
    (top / "ray").mkdir()
    saved = {name: os.environ.get(name) for name in ("RAY_TMPDIR", "PYTHONPATH")}
    os.environ.update(RAY_TMPDIR=str(top), PYTHONPATH=worker_pythonpath())  # the nodes' workers inherit it
    node = {"num_cpus": 1, "temp_dir": str(top / "ray"), "node_ip_address": "127.0.0.1"}
    with sigint_ignored():
        test_cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    try:
        with sigint_ignored():
            for _ in range(2):
                test_cluster.add_node(**node)
        yield test_cluster.address
    finally:
        test_cluster.shutdown()
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
        shutil.rmtree(top)
    assert not top.exists()


def sweep(
    ws: Workspace,
    address: str,
    weights: str,
    seeds: tuple[int, ...],
    steps: int,
    *,
    target: str = "digits",
    **kw: object,
) -> str:
    spec = SweepSpec(
        f"mnist5k:n={secrets.randbelow(10**9) + 1}",  # stand-in workers load no data: n names the test
        target,
        (("dann",),),
        Space(parse_grid([f"dann.weight={weights}"])),
        seeds=seeds,
        budget={"epochs": steps},
    )
    return driver.create(ws, spec, ExecutorSettings("ray", address, **kw))  # type: ignore[arg-type]


def executor_of(ws: Workspace, sweep_id: str, worker: str) -> RayExecutor:
    return RayExecutor(ws, SweepStore(ws).get(sweep_id).executor, f"sweep_workers:{worker}")


def test_rays_own_gcs_passes_the_checks_before_connecting(cluster: str) -> None:
    """QA helper-162: the checks of an explicit address take a real head: it answers HTTP/2's preface
    as a gRPC server does, and the token check asked in a child Python process passes."""
    check_reachable(cluster)
    check_apart(cluster)


def test_trials_spread_over_the_nodes_and_their_results_land_in_the_drivers_store(
    cluster: str, workspace: Workspace
) -> None:
    digest = hashlib.sha256(upload_scans(workspace)).hexdigest()
    sweep_id = sweep(workspace, cluster, "0.1,0.3,1", (0,), steps=40, target="upload:scans.npz")
    executor = executor_of(workspace, sweep_id, "reads_upload")
    final = driver.drive(workspace, sweep_id, executor=executor, poll=0.2)
    assert final.sweep.status == "done" and final.counts == {"done": 3}
    assert len({trial.node_id for trial in executor.trials.values()}) == 3  # one trial per node
    store = SweepStore(workspace).runs
    for row in final.trials:
        assert row.run is not None
        result = store.result(row.run.id)  # written by the driver into its own workspace
        expected = numbers(row.trial.config)
        assert {k: result[k] for k in expected} == expected
        assert result["target_sha256"] == digest  # the upload reached each node's scratch workspace
        steps = [e for e in store.history(row.run.id) if e["kind"] == "step"]
        assert len(steps) == 40  # progress travelled through the board, every event
        assert "ran on Ray node 127.0.0.1" in (row.run.folder / "worker.log").read_text()
    assert leftovers(SCRATCH_PREFIX) == []


def kill_attempts(files: dict[Path, int], stop: threading.Event) -> Callable[[], None]:
    """A loop killing the first ``n`` processes each pid file names, as a node losing its worker."""

    def loop() -> None:
        killed: set[int] = set()
        while not stop.is_set():
            for path, n in files.items():
                pids = [int(p) for p in path.read_text().split()] if path.exists() else []
                for pid in pids[:n]:
                    if pid not in killed:
                        killed.add(pid)
                        time.sleep(0.3)  # mid-trial
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    return loop


def test_a_killed_worker_is_retried_once_then_its_trial_fails_with_nothing_half_written(
    cluster: str, workspace: Workspace
) -> None:
    sweep_id = sweep(workspace, cluster, "0.1", (0, 1), steps=60)
    spec = SweepStore(workspace).get(sweep_id).spec
    once, twice = (pid_file(spec.trial_config(("dann",), {"dann.weight": 0.1}, s)) for s in (0, 1))
    stop = threading.Event()
    killer = threading.Thread(target=kill_attempts({once: 1, twice: 2}, stop), daemon=True)
    killer.start()
    try:
        executor = executor_of(workspace, sweep_id, "victim")
        final = driver.drive(workspace, sweep_id, executor=executor, poll=0.2)
    finally:
        stop.set()
        killer.join()
    status = {row.trial.seed: row for row in final.trials}
    assert status[0].status == "done" and len(once.read_text().split()) == 2  # killed, retried, done
    assert status[1].status == "failed" and len(twice.read_text().split()) == 2
    failed = status[1].run
    assert failed is not None and "died, and again on the retry" in failed.error
    assert "Check" not in failed.error and failed.error.endswith("see worker.log")  # no pointer to gone logs
    assert sorted(p.name for p in failed.folder.iterdir()) == ["config.json", "history.jsonl", "worker.log"]
    assert "attempt 2: Ray's logs of worker pid" in (failed.folder / "worker.log").read_text()
    for row in status.values():  # the retry's progress restarts from 0 after a marker
        assert row.run is not None
        starts = [e["message"] for e in SweepStore(workspace).runs.history(row.run.id) if e["stage"] == "ray"]
        assert [m.split(",")[0] for m in starts[1:]] == ["running on Ray node 127.0.0.1", "attempt 2"], starts
    assert final.sweep.status == "done"  # the sweep went on
    for path in (once, twice):
        path.unlink()


def test_cancel_stops_queued_and_running_ray_trials(cluster: str, workspace: Workspace) -> None:
    # 5 trials, 4 handed over to 3 CPUs: 3 running, 1 queued inside Ray, 1 never handed over; each
    # trial would take 5 min, so none finishes while a loaded machine starts the third Ray worker
    sweep_id = sweep(workspace, cluster, "0.1,0.3,1,3,10", (0,), steps=6000, max_concurrent=4)
    store = SweepStore(workspace).runs

    cancelled_at: list[float] = []

    def cancel_when_three_run() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if sum(r.progress > 0 for r in store.of_sweep(sweep_id)) >= 3:
                break
            time.sleep(0.1)
        cancelled_at.append(time.time())
        driver.cancel(workspace, sweep_id)

    threading.Thread(target=cancel_when_three_run, daemon=True).start()
    final = driver.drive(workspace, sweep_id, executor=executor_of(workspace, sweep_id, "scored"), poll=0.2)
    assert final.sweep.status == "cancelled"
    assert final.counts == {"cancelled": 4, "pending": 1}
    ran = [r for r in store.of_sweep(sweep_id) if r.progress > 0]
    assert len(ran) == 3 and all(not (r.folder / "result.json").exists() for r in ran)
    # stopped by the cancel itself, not finished (each would take 5 min) nor killed once the grace a
    # worker has to honour a cancel ran out (its nodes ignore SIGINT, which Ray's cancel relies on);
    # half the grace leaves slack for a loaded machine
    lags = [(r.status, round(r.updated - cancelled_at[0], 1)) for r in ran]
    assert all(status == "cancelled" and lag < CANCEL_GRACE / 2 for status, lag in lags), lags


def test_sweeps_in_one_process_share_the_run_slots_keep_their_bytes_and_leave_no_trace(
    workspace: Workspace,
) -> None:
    # one process, two embedded clusters one after the other, as the Python API runs them
    digest = hashlib.sha256(upload_scans(workspace)).hexdigest()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([worker_pythonpath(), str(ROOT)])}
    stdout, pid = run_python("-m", "tests.sweeps.ray_in_one_process", str(workspace.root), env=env)
    first, second = json.loads(stdout.splitlines()[-1]).values()
    assert first["status"] == "done" and first["counts"] == {"done": 2}, first
    (_, ended), (started, _) = first["spans"]  # TLSTUDIO_MAX_RUNNING=1: one after the other
    assert ended <= started, first["spans"]
    # the second cluster of the process starts; the upload deleted mid-sweep was shipped already
    assert second["status"] == "done" and second["counts"] == {"done": 2}, second
    assert second["sha256"] == [digest, digest]
    for sweep in (first, second):  # what Ray set in the process's environment is gone again
        assert sweep["env_changed"] == [] and sweep["handler_kept"], sweep
    for prefix in (SESSION_PREFIX, SCRATCH_PREFIX):
        assert not list(Path(tempfile.gettempdir()).glob(f"{prefix}{pid}-*"))


def test_an_embedded_cluster_is_loopback_only_even_when_ray_was_imported_first() -> None:
    # a notebook that ran `import ray` before tlstudio: Ray read its loopback setting already
    env = {k: v for k, v in os.environ.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    stdout, _ = run_python("-m", "tests.sweeps.ray_imported_first", env=env, timeout=300)
    seen = json.loads(stdout.splitlines()[-1])
    assert seen["main_address"] != "127.0.0.1", seen  # the machine has an address to leak to
    assert seen["node"] == "127.0.0.1" and seen["gcs_on_loopback"], seen
    assert not seen["gcs_on_main_address"], seen  # not reachable from the network
    assert seen["ray_setting_put_back"] is True, seen  # Ray's own default on Linux, after the session


def session_started(pid: int) -> bool:
    """Whether process ``pid``'s ray.init has begun writing its embedded cluster's session folder."""
    return any(any(f.iterdir()) for f in Path(tempfile.gettempdir()).glob(f"{SESSION_PREFIX}{pid}-*"))


@pytest.mark.parametrize("when", ["during Ray's start", "mid-trial"])
def test_sigterm_cancels_a_sweep_driven_inline_or_detached(workspace: Workspace, when: str) -> None:
    """Mid-trial, the SIGTERM goes to the driver's whole process group, as ``timeout`` or
    ``kill -- -PGID`` send it: it used to kill the embedded cluster's GCS under the driver, which then
    hung 60 s and died with exit 1 (QA helper-257)."""
    if when == "mid-trial":  # the inline CLI, the real pipeline
        digits = ["--source", "digits:n=200", "--target", "digits:n=200", "--methods", "im", "--seeds", "0"]
        args = ["-m", "tlcore", "--workspace", str(workspace.root), "sweep", *digits, "--epochs", "200"]
        command = [*args, "--executor", "ray", "--json"]
    else:  # a detached driver
        sweep_id = sweep(workspace, None, "0.1", (0,), steps=40)  # type: ignore[arg-type]
        command = ["-m", "tlcore.runs.driver", str(workspace.root), sweep_id]
        command += ["--worker", "sweep_workers:scored"]
    runs = SweepStore(workspace).runs
    group = when == "mid-trial"
    with subprocess.Popen(
        [sys.executable, *command], cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=group
    ) as process:
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            running = any(r.progress > 0 for r in runs.list())
            if running if when == "mid-trial" else session_started(process.pid):
                break
            time.sleep(0.05)
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-3000:]
    (record,) = SweepStore(workspace).list()
    assert record.status == "cancelled", record.error
    assert all(run.status == "cancelled" for run in runs.of_sweep(record.id))
    assert not list(Path(tempfile.gettempdir()).glob(f"{SESSION_PREFIX}{process.pid}-*"))
