"""A run's ``seconds`` count its training and evaluation, and its ``load_seconds`` the loading of its pair
and the search for shared samples, whoever spent them: ``adapt`` run inline (the CLI loads the pair for
its estimate and hands it over) and a run loading its own pair, as a launched worker does, record the
same fields with the same meaning."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tlcore.adapt import pair as pair_module
from tlcore.cli import build_parser, main
from tlcore.cli.adapt import config_from_args
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.runs.trial_numbers import trial_metrics
from tlcore.views.compare import summary_rows
from tlcore.workspace import Workspace

ARGS = ["--source", "digits:n=120", "--target", "digits:n=120,rotate=30", "--epochs", "1", "--seed", "3"]
STEP = 1000.0  # each read of the pair's clock moves it on by this many seconds


class SteppingClock:
    """Stands in for :mod:`time` in :mod:`tlcore.adapt.pair`: each ``perf_counter()`` is ``STEP`` later."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def perf_counter(self) -> float:
        return next(self._ticks) * STEP


def result_of(workspace: Workspace, run_id: str) -> dict[str, Any]:
    return RunStore(workspace).result(run_id)


def test_inline_and_own_loading_runs_count_the_pairs_loading_and_search_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pair_module, "time", SteppingClock())  # load, search: a STEP each
    handed = Workspace.resolve(tmp_path / "handed")
    assert main(["--workspace", str(handed.root), "adapt", *ARGS, "--json"]) == 0
    inline = result_of(handed, json.loads(capsys.readouterr().out)["run_id"])

    own = Workspace.resolve(tmp_path / "own")  # loads its own pair, as a launched worker does
    config = config_from_args(build_parser().parse_args(["adapt", *ARGS]))
    record = jobs.run_inline(own, config)
    loading = result_of(own, record.id)

    assert inline.keys() == loading.keys()
    for result in (inline, loading):
        assert result["load_seconds"] == 2 * STEP  # the pair's loading, then its search
        assert 0 < result["seconds"] < STEP  # the pipeline's own clock: the loading is not in it
    assert trial_metrics(record)["load_seconds"] == 2 * STEP  # a sweep's trial's numbers carry it
    row = summary_rows({"inline": inline})[0]
    assert (row["seconds"], row["load_seconds"]) == (inline["seconds"], 2 * STEP)
    older = {k: v for k, v in inline.items() if k != "load_seconds"}  # a run stored before
    assert summary_rows({"older": older})[0]["load_seconds"] is None


def test_a_launched_run_records_the_fields_an_inline_run_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = Workspace.resolve(tmp_path)
    assert main(["--workspace", str(workspace.root), "adapt", *ARGS, "--json"]) == 0
    inline = result_of(workspace, json.loads(capsys.readouterr().out)["run_id"])
    config = config_from_args(build_parser().parse_args(["adapt", *ARGS]))
    record = jobs.wait(workspace, jobs.launch(workspace, config), timeout=120)
    assert record.status == "done"
    launched = result_of(workspace, record.id)
    assert launched.keys() == inline.keys()
    assert launched["load_seconds"] > 0 and inline["load_seconds"] > 0
    assert launched["info"]["seconds_per_stage"].keys() == inline["info"]["seconds_per_stage"].keys()
