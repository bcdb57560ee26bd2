"""``adapt`` run inline loads its pair once and finds its shared samples once: the run uses the pair
the CLI loaded for its estimate (``run_inline(..., pair=...)``), and stores what a run loading its own
pair stores."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from tlcore.adapt import pair as pair_module
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import RunPair, load_run_pair, run_pair
from tlcore.cli import build_parser, main
from tlcore.cli.adapt import config_from_args
from tlcore.errors import TLError
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

ARGS = ["--source", "digits:n=120", "--target", "digits:n=120,rotate=30", "--epochs", "1", "--seed", "3"]


def stored(workspace: Workspace, run_id: str) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The run's result without its timings, and its checkpoint's weights."""
    store = RunStore(workspace)
    result = store.result(run_id)
    result.pop("seconds")
    result.pop("load_seconds")
    result["info"].pop("seconds_per_stage")
    checkpoint = torch.load(store.folder(run_id) / "model.pt", weights_only=False)
    return result, checkpoint["state_dict"]


def test_an_inline_adapt_loads_its_pair_and_finds_its_shared_samples_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    loads: list[AdaptConfig] = []
    finds: list[AdaptConfig] = []
    load, find = pair_module.load_run_pair, RunPair._shared

    def counted_load(cfg: AdaptConfig, *args: Any) -> RunPair:
        loads.append(cfg)
        return load(cfg, *args)

    def counted_find(pair: RunPair, cfg: AdaptConfig, *args: Any) -> Any:
        finds.append(cfg)
        return find(pair, cfg, *args)

    monkeypatch.setattr(pair_module, "load_run_pair", counted_load)  # the CLI's and the pipeline's
    monkeypatch.setattr(RunPair, "_shared", counted_find)
    handed = Workspace.resolve(tmp_path / "handed")
    assert main(["--workspace", str(handed.root), "adapt", *ARGS, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "done" and (len(loads), len(finds)) == (1, 1)
    assert summary["shared_samples"]["shared"] == 120  # every target sample is a source sample
    result, weights = stored(handed, summary["run_id"])
    assert result["shared_samples"] == summary["shared_samples"]

    own = Workspace.resolve(tmp_path / "own")  # a run loading its own pair, as a launched worker does
    config = config_from_args(build_parser().parse_args(["adapt", *ARGS]))
    record = jobs.run_inline(own, config)
    assert record.status == "done" and (len(loads), len(finds)) == (2, 2)
    again, again_weights = stored(own, record.id)
    assert again == result and again["source_accuracy"] == result["source_accuracy"]
    assert weights.keys() == again_weights.keys()
    assert all(torch.equal(weights[name], again_weights[name]) for name in weights)


def test_a_handed_pair_must_be_the_configs_and_its_labels_are_checked() -> None:
    config = AdaptConfig(source="digits:n=60", target="digits:n=60,rotate=30", seed=1)
    pair = load_run_pair(config, None)
    assert run_pair(config, None, ["finetune"], pair) is pair
    assert pair.shared(config) is pair.shared(config)  # found once
    with pytest.raises(ValueError, match="handed to a run of"):
        run_pair(replace(config, seed=2), None, (), pair)
    unlabelled = replace(pair, target=replace(pair.target, y=None))  # as loading an unlabelled target
    assert run_pair(config, None, (), unlabelled) is unlabelled
    with pytest.raises(
        TLError, match=r"^finetune needs target labels, but digits:n=60,rotate=30 is unlabelled$"
    ):
        run_pair(config, None, ["finetune"], unlabelled)
