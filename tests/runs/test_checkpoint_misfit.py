"""A run's checkpoint whose weights do not fit the network this version builds (a layer's shape changed
since it was written): one readable error line naming the run and the tensors, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import load_checkpoint, misfits, save_checkpoint
from tlcore.cli import main
from tlcore.errors import TLError
from tlcore.models import build_model
from tlcore.runs.source_only import run_feature_models
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

CONFIG = AdaptConfig(source="mnist5k:n=120", target="digits:n=120", model="lenet", epochs=1)
MISFIT = (
    "does not fit the network this version builds: tensors of another shape: head.weight [10, 501] "
    "(the network's [10, 500]), head.bias [11] (the network's [10])"
)


def widened(path: Path, entries: str) -> None:
    """Give ``head.weight`` and ``head.bias`` in the checkpoint's ``entries`` one more column or row."""
    payload = torch.load(path, weights_only=True)
    state = payload[entries]
    state["head.weight"] = torch.zeros(10, 501)
    state["head.bias"] = torch.zeros(11)
    torch.save(payload, path)


def done_run(workspace: Workspace, entries: str) -> str:
    """A done run (no training) whose checkpoint's ``entries`` do not fit LeNet."""
    store = RunStore(workspace)
    run_id = store.create(CONFIG)
    assert store.start(run_id, pid=os.getpid())
    model = build_model("lenet", (1, 28, 28), 10, pretrained=False)
    model.classes = tuple(str(d) for d in range(10))
    source = build_model("lenet", (1, 28, 28), 10, pretrained=False)  # other weights: a source_state

    def write(path: Path) -> None:
        save_checkpoint(path, model, CONFIG.to_dict(), model.classes, source_model=source)
        widened(path, entries)

    assert store.finish(run_id, {"classes": list(model.classes)}, write)
    return run_id


@pytest.mark.parametrize("command", ["export", "predict"])
def test_export_and_predict_refuse_a_misfit_checkpoint_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    workspace = Workspace.resolve(tmp_path / "ws")
    run_id = done_run(workspace, "state_dict")
    out = tmp_path / "out.csv" if command == "predict" else tmp_path / "exported"
    argv = [run_id, "--out", str(out)] + (["--data", "digits:n=20"] if command == "predict" else [])
    code = main(["--workspace", str(workspace.root), command, *argv])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == f"error: run {run_id}'s checkpoint {MISFIT}\n"
    assert not out.exists()


def test_a_misfit_source_state_is_refused_naming_the_run(tmp_path: Path) -> None:
    workspace = Workspace.resolve(tmp_path / "ws")
    run_id = done_run(workspace, "source_state")
    store = RunStore(workspace)
    assert store.load_model(run_id).n_classes == 10  # the run's own weights fit
    with pytest.raises(TLError) as raised:
        run_feature_models(store, run_id)
    assert str(raised.value) == f"run {run_id}'s checkpoint {MISFIT}"


def test_misfits_name_the_first_tensors_of_each_kind_and_count_the_rest() -> None:
    network = {f"layer{i}": torch.zeros(2) for i in range(6)}
    state = {"layer0": torch.zeros(3), **{f"old{i}": torch.zeros(1) for i in range(5)}}
    assert misfits(network, state) == [
        "tensors of another shape: layer0 [3] (the network's [2])",
        "tensors it lacks: layer1, layer2, layer3 and 2 more",
        "tensors the network lacks: old0, old1, old2 and 2 more",
    ]
    assert misfits(network, dict(network)) == []


def test_a_checkpoint_lacking_what_the_model_is_built_from_is_refused_in_one_line(tmp_path: Path) -> None:
    """A checkpoint without a key ``load_checkpoint`` reads (here: its spec's ``n_classes`` and its
    config) was a ``KeyError`` traceback from ``RunStore.load_model``; now one line naming them."""
    path = tmp_path / "model.pt"
    save_checkpoint(path, build_model("lenet", (1, 28, 28), 10), {"seed": 0})
    payload = torch.load(path, weights_only=True)
    del payload["model_spec"]["n_classes"], payload["config"]
    torch.save(payload, path)
    with pytest.raises(TLError) as raised:
        load_checkpoint(path)
    assert str(raised.value) == f"cannot read checkpoint {path}: it lacks config, model_spec.n_classes"
    torch.save([1, 2], path)
    with pytest.raises(TLError, match=r": it lacks model_spec, config, state_dict$"):
        load_checkpoint(path)
