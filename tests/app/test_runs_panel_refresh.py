"""When the Adapt page's runs panel refreshes itself: every 2 s only while a run it lists is queued or
running; with none, a fragment that shows nothing looks every 10 s whether one started elsewhere."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def test_an_idle_panel_is_drawn_once_and_goes_live_when_a_run_is_queued_elsewhere(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    """QA: an Adapt tab left open with nothing running redrew its panel (8 runs' cards and curves)
    every 2 s all day. A run queued by the CLI (its worker alive) makes the next page run live."""
    run_store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("dann",), epochs=2)
    done = run_store.create(config)
    assert run_store.start(done, pid=os.getpid())
    assert run_store.finish(done, {"target_accuracy": 0.8, "source_only_accuracy": 0.7})
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    assert auto_reruns == [10.0]
    assert [m.value for m in at.metric] == ["80.0%"]  # the done run's card, drawn with the page

    queued = run_store.create(config)  # as `adapt --detach` from a shell queues it
    assert run_store.assign_pid(queued, os.getpid())
    auto_reruns.clear()
    at.run()
    assert auto_reruns == [2.0]
    assert sum("Queued" in c.value for c in at.caption) == 1 and len(at.metric) == 1

    assert run_store.end(queued, "cancelled", "cancelled before it started")
    auto_reruns.clear()
    at.run()
    assert auto_reruns == [10.0]
    assert any("cancelled before it started" in i.value for i in at.info)
