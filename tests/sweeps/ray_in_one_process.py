"""Two sweeps on the embedded Ray cluster, one after the other in this one process, as the Python API
runs them: ``python -m tests.sweeps.ray_in_one_process WORKSPACE`` prints what a test checks, as JSON.

The first sweep (two trials, two handed over at once) runs under ``TLSTUDIO_MAX_RUNNING=1``; the
second reads the workspace's ``upload:scans.npz``, which is deleted while its first trial runs. After
each: the environment's changes and whether the SIGTERM handler is still the caller's.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import Any

from tlcore.runs import driver
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.executors.ray import RayExecutor
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace


def on_sigterm(signum: int, frame: Any) -> None:
    """The caller's own handler."""


def delete_upload_once_running(ws: Workspace, sweep_id: str) -> None:
    runs = SweepStore(ws).runs
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(r.progress > 0 for r in runs.of_sweep(sweep_id)):
        time.sleep(0.05)
    ws.inside("uploads", "scans.npz").unlink()


def one_sweep(ws: Workspace, target: str, worker: str, **settings: Any) -> dict[str, Any]:
    space = Space(parse_grid(["dann.weight=0.3"]))
    spec = SweepSpec("mnist5k", target, (("dann",),), space, seeds=(0, 1), budget={"epochs": 30})
    sweep_id = driver.create(ws, spec, ExecutorSettings("ray", **settings))
    before = dict(os.environ)
    if target.startswith("upload:"):
        threading.Thread(target=delete_upload_once_running, args=(ws, sweep_id), daemon=True).start()
    executor = RayExecutor(ws, SweepStore(ws).get(sweep_id).executor, f"sweep_workers:{worker}")
    try:
        final = driver.drive(ws, sweep_id, executor=executor, poll=0.2)
    except Exception as exc:  # the test shows what went wrong
        return {"error": f"{type(exc).__name__}: {exc}"}
    runs = SweepStore(ws).runs
    results = [runs.result(row.run.id) for row in final.trials if row.run and row.run.status == "done"]
    after = dict(os.environ)
    return {
        "status": final.sweep.status,
        "error": final.sweep.error,
        "counts": final.counts,
        "spans": sorted([r["started"], r["ended"]] for r in results),
        "sha256": [r.get("target_sha256") for r in results],
        "env_changed": sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)),
        "handler_kept": signal.getsignal(signal.SIGTERM) is on_sigterm,
    }


def main() -> None:
    ws = Workspace.resolve(sys.argv[1])
    signal.signal(signal.SIGTERM, on_sigterm)
    os.environ["TLSTUDIO_MAX_RUNNING"] = "1"
    first = one_sweep(ws, "digits", "scored", max_concurrent=2)
    os.environ["TLSTUDIO_MAX_RUNNING"] = "2"
    second = one_sweep(ws, "upload:scans.npz", "reads_upload", max_concurrent=1)
    print(json.dumps({"first": first, "second": second}))


if __name__ == "__main__":
    main()
