"""The sweep driver with the local executor (stand-in workers): every trial an ordinary run, at most
``max_concurrent`` at once, failures recorded, cancel, and resume after a cancel or a killed driver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tlcore.runs import driver
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.record import pid_alive
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.summary import SweepSummary
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
# ``python -m tlcore.runs.driver`` (what `sweep --detach` starts), then the heavy modules it had loaded
DRIVER = """import sys
from tlcore.runs import driver
code = driver.main(sys.argv[1:])
print("heavy:", *[m for m in ("torch", "scipy", "tlcore.models", "tlcore.methods") if m in sys.modules])
sys.exit(code)
"""


def create(ws: Workspace, weights: str, seeds: tuple[int, ...], steps: int, max_concurrent: int = 2) -> str:
    spec = SweepSpec(
        "mnist5k",
        "digits",
        (("dann",),),
        Space(parse_grid([f"dann.weight={weights}"])),
        seeds=seeds,
        budget={"epochs": steps},
    )
    return driver.create(ws, spec, ExecutorSettings(max_concurrent=max_concurrent))


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def runs_per_trial(ws: Workspace, sweep_id: str) -> Counter[str]:
    return Counter(r.trial_key for r in SweepStore(ws).runs.of_sweep(sweep_id))


def test_every_trial_is_a_tagged_run_and_at_most_max_concurrent_run_at_once(workspace: Workspace) -> None:
    sweep_id = create(workspace, "0.1,0.3,1", (0, 1), steps=10, max_concurrent=2)
    seen: list[SweepSummary] = []
    final = driver.drive(workspace, sweep_id, seen.append, worker="sweep_workers:scored", poll=0.1)
    assert final.sweep.status == "done" and final.finished and final.counts == {"done": 6}
    records = SweepStore(workspace).runs.of_sweep(sweep_id)
    assert sorted(r.trial_key for r in records) == sorted(row.trial.key for row in final.trials)
    assert all(r.sweep_id == sweep_id and r.status == "done" and r.config["epochs"] == 10 for r in records)
    # each run's process lives from its creation (the driver hands it over) to its end
    spans = [(r.created, r.updated) for r in records]
    overlap = max(sum(start <= t < end for start, end in spans) for t, _ in spans)
    assert overlap <= 2
    done_counts = [s.counts.get("done", 0) for s in seen]
    assert done_counts == sorted(done_counts) and done_counts[-1] == 6


def test_a_failing_trial_is_recorded_as_failed_and_the_sweep_goes_on(workspace: Workspace) -> None:
    sweep_id = create(workspace, "0.05,1,0.5", (0,), steps=2)
    final = driver.drive(workspace, sweep_id, worker="sweep_workers:picky", poll=0.1)
    assert final.sweep.status == "done"
    status = {row.trial.config_key.removeprefix("dann|dann.weight="): row.status for row in final.trials}
    assert status == {"0.05": "done", "1": "failed", "0.5": "done"}
    failed = next(row for row in final.trials if row.status == "failed")
    assert failed.run is not None and failed.run.error.startswith("out of memory")
    config = final.config("dann|dann.weight=1")
    assert config is not None and config.n_failed == 1 and not config.complete and config.metrics == {}
    assert final.recommended == "dann|dann.weight=0.05"  # w = 0.5 collapsed (sweep_workers.judged)
    # resuming keeps the failed trial as it is: nothing is run again
    driver.resume(workspace, sweep_id)
    again = driver.drive(workspace, sweep_id, worker="sweep_workers:picky", poll=0.1)
    assert again.counts == {"done": 2, "failed": 1}
    assert set(runs_per_trial(workspace, sweep_id).values()) == {1}


def test_cancel_stops_queued_and_running_trials_and_resume_reruns_only_them(workspace: Workspace) -> None:
    sweep_id = create(workspace, "0.1,0.3,1", (0,), steps=40, max_concurrent=1)
    driver.launch(workspace, sweep_id, worker="sweep_workers:scored")
    store = SweepStore(workspace)
    wait_until(lambda: any(r.status == "running" for r in store.runs.of_sweep(sweep_id)))
    record = driver.cancel(workspace, sweep_id, wait_s=60)
    assert record.status == "cancelled" and record.driver_launched  # for this sweep alone
    assert all(run.worker_launched for run in store.runs.of_sweep(sweep_id))  # each trial's worker too
    state = driver.summary(workspace, sweep_id)
    assert state.counts == {"cancelled": 1, "pending": 2}  # the running one stopped, the others never began
    cancelled = next(row for row in state.trials if row.status == "cancelled")
    assert cancelled.run is not None and not (cancelled.run.folder / "result.json").exists()

    # resumed with room for all three at once (new settings replace the sweep's): side by side
    driver.resume(workspace, sweep_id, ExecutorSettings(max_concurrent=3))
    final = driver.drive(workspace, sweep_id, worker="sweep_workers:scored", poll=0.1)
    assert final.sweep.status == "done" and final.counts == {"done": 3}
    assert not final.sweep.driver_launched  # driven inline here
    assert SweepStore(workspace).get(sweep_id).executor.max_concurrent == 3
    runs = runs_per_trial(workspace, sweep_id)
    assert runs[cancelled.trial.key] == 2 and sum(runs.values()) == 4


def test_a_killed_driver_is_finished_by_resume_without_redoing_finished_trials(workspace: Workspace) -> None:
    sweep_id = create(workspace, "0.1,0.3,1,3", (0,), steps=30, max_concurrent=1)
    driver.launch(workspace, sweep_id, worker="sweep_workers:scored")
    store = SweepStore(workspace)

    def one_done_one_running() -> bool:
        statuses = [r.status for r in store.runs.of_sweep(sweep_id)]
        return "done" in statuses and "running" in statuses

    wait_until(one_done_one_running)
    pid = store.get(sweep_id).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid))
    store.mark_stale()
    assert store.get(sweep_id).status == "interrupted"

    driver.resume(workspace, sweep_id, ExecutorSettings(max_concurrent=3))  # the rest side by side
    final = driver.drive(workspace, sweep_id, worker="sweep_workers:scored", poll=0.1)
    assert final.sweep.status == "done" and final.counts == {"done": 4}
    # the trial running when the driver died went on in its own worker and was followed, not redone
    assert set(runs_per_trial(workspace, sweep_id).values()) == {1}


def test_the_driver_hands_trials_to_local_workers_without_loading_torch(workspace: Workspace) -> None:
    """The driver only plans, hands over and reads the stores (its workers train): driving a sweep of
    two trials to the end, from its module's start to the summary, loads neither torch nor scipy."""
    sweep_id = create(workspace, "0.1,0.3", (0,), steps=2)
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(workspace.root), sweep_id, "--worker", "sweep_workers:scored"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "heavy:"
    assert driver.summary(workspace, sweep_id).counts == {"done": 2}
