"""``python -m bench.sweep_sequential SPEC.json WORKSPACE OUT.json``: a sweep's trials one after the
other in this one process, with the thread settings a local worker gets (all cores for one run,
idle threads sleeping), before torch loads; writes the wall time and each trial's numbers."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tlcore.runs.slots import limit_threads

limit_threads(1)  # before anything imports torch or numba

from tlcore.runs import jobs  # noqa: E402
from tlcore.runs.store import RunStore  # noqa: E402
from tlcore.runs.sweep import SweepSpec, expand  # noqa: E402
from tlcore.workspace import Workspace  # noqa: E402


def main(spec_path: str, workspace_path: str, out_path: str) -> None:
    spec = SweepSpec.from_dict(json.loads(Path(spec_path).read_text(encoding="utf-8")))
    workspace = Workspace.resolve(workspace_path)
    trials = []
    started = time.perf_counter()
    for trial in expand(spec):
        if trial.config is None:  # the config refuses it: the same spec would fail the sweep too
            raise SystemExit(f"{trial.key}: {trial.refused}")
        record = jobs.run_inline(workspace, trial.config)
        result = RunStore(workspace).result(record.id)
        numbers = {"seconds": result["seconds"], "target_accuracy": result.get("target_accuracy")}
        trials.append({"key": trial.key, **numbers})
    wall = time.perf_counter() - started
    Path(out_path).write_text(json.dumps({"wall_s": wall, "trials": trials}), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
