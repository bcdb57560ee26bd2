"""Compare's figures are built once per set of compared runs (a done run's result never changes) and
anew for another set: a rerun of the page (a click on "Colour by", a flow) only draws them again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from app_support import compare_figures, engine
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET
from tests.app.test_compare import result
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.views import compare
from tlcore.workspace import Workspace


def _done(run_store: RunStore, target: float) -> str:
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("dann",), epochs=2)
    run_id = run_store.create(config)
    assert run_store.start(run_id, pid=os.getpid())
    assert run_store.finish(run_id, result(target, 0.6))
    return run_id


def test_a_figure_is_built_once_per_runs_compared(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, ...]] = []
    build = compare.accuracy_figure

    def counting(results: dict[str, dict[str, Any]]) -> Any:
        built.append(tuple(results))
        return build(results)

    monkeypatch.setattr(compare, "accuracy_figure", counting)
    run_store = RunStore(Workspace.resolve(workspace))
    first, second = _done(run_store, 0.7), _done(run_store, 0.5)
    pair = (first, second)
    figure = compare_figures.accuracy(pair)
    assert figure is not None and all(compare_figures.accuracy(pair) is figure for _ in range(3))
    assert len(built) == 1 and len(built[0]) == 2

    third = _done(run_store, 0.8)  # a new run compared too: its own figure, of the three runs
    assert compare_figures.accuracy((*pair, third)) is not figure and len(built[-1]) == 3
    labels = list(engine.results(pair))
    assert compare_figures.accuracy(pair[::-1]) is not figure and built[-1] == tuple(labels[::-1])
    assert len(built) == 3
