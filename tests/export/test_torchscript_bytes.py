"""One run's TorchScript export is the same bytes however often it is made in one process (the Predict
page exports in the app's process; ``export`` called again) and in a process of its own (the CLI), and
it predicts as the run's model does."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import torch

from tlcore.cli import main
from tlcore.export import export_run
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]


def _sha256(folder: Path) -> str:
    return hashlib.sha256((folder / "model.pt").read_bytes()).hexdigest()


def test_a_runs_torchscript_export_is_the_same_bytes_each_time_and_predicts_as_the_run(
    done_run: tuple[Workspace, str], tmp_path: Path
) -> None:
    workspace, run_id = done_run
    argv = ["--workspace", str(workspace.root), "export", run_id, "--format", "torchscript", "--out"]
    in_process = [tmp_path / f"again-{k}" for k in range(3)]
    for out in in_process[:2]:
        assert main([*argv, str(out)]) == 0
    export_run(workspace, run_id, "torchscript", in_process[2])
    alone = tmp_path / "alone"
    done = subprocess.run(
        [sys.executable, "-m", "tlcore", *argv, str(alone)],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len({_sha256(out) for out in [*in_process, alone]}) == 1
    model = RunStore(workspace).load_model(run_id).cpu().eval()
    x = torch.rand(5, *model.spec["input_shape"], generator=torch.Generator().manual_seed(1))
    loaded = torch.jit.load(str(in_process[1] / "model.pt"))
    with torch.no_grad():
        assert torch.allclose(loaded(x), model(x)[0], atol=1e-5)
        assert torch.equal(loaded(x).argmax(1), model(x)[0].argmax(1))
