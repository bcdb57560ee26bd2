"""The Adapt and Sweep pages say how long a launch will take, before it (:mod:`app_support.estimate`):
from a probe of the network when the workspace has no done run of it (the probe stood in here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_support.state import sweep_key
from tests.app.helpers import plain
from tlcore.runs import estimate_start, probe
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=150"
PROBED = "from a probe of 4 steps of lenet_bn on cpu"


@pytest.fixture
def probed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []

    def measure(*args: Any) -> dict[str, Any]:
        calls.append(args)
        return {"single": [0.1, 0.2], "paired": [0.3, 0.5], "forward_per_sample": 0.001}

    monkeypatch.setattr(probe, "measure", measure)
    return calls


def estimates(at: AppTest) -> list[str]:
    return [plain(c.value) for c in at.caption if plain(c.value).startswith("Estimated: ")]


def test_adapt_page_estimates_the_recipe_and_the_form(app: OpenApp, probed: list[Any]) -> None:
    at = app("adapt", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    lines = estimates(at)
    # 95 source / 120 target train samples, batch 32: the recipe's 4 baseline epochs of 2 steps and 10
    # adapt epochs of 3 paired steps, each epoch scoring 25 + 30 samples: 8 * 0.1 + 30 * 0.3 + 245 * 6 *
    # 0.001 + 3 + 14 * 55 * 0.001 = 15.0 s (at most 21.9 s), + a launched worker's 4 s start (conftest)
    assert lines[0] == "Estimated: about 20 s (at most 30 s; from a probe of 4 steps of lenet_bn on cpu)."
    assert lines == [lines[0]] * 2  # the form starts as the recipe: the same run, the same estimate
    next(b for b in at.button if b.label == "Back to the defaults").click().run()
    recipe, form = estimates(at)
    assert recipe == lines[0] and "from a probe of 4 steps of lenet_bn on cpu" in form
    # one network, batch size and composition, probed once per stage kind, then read back: the recipe's
    # adapt stage averages its weights (and runs FixMatch's teacher), the defaults' does not
    assert [args[0].ema_decay > 0 for args in probed] == [True, False]


def test_sweep_page_estimates_its_trials(
    app: OpenApp, probed: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "2")
    at = app("sweep", source=SOURCE, target=TARGET)
    at.text_input(key=sweep_key("compositions")).set_value("dann,im")
    at.text_input(key=sweep_key("seeds")).set_value("0,1").run()
    assert not at.exception, [e.message for e in at.exception]
    (line,) = estimates(at)
    # 4 trials of 10 epochs: 20 single steps * 0.1 s + 30 paired * 0.3 s + 245 * 6 ms + 3 s + 20 * 55 * 1 ms
    # = 16.6 s each (at most 24.6 s) + a worker's 4 s start, the workspace's 2 run slots at a time: 41.1 s
    # in all, at most 57.1 s
    assert line == (
        "Estimated: 4 runs, 2 at a time: about 40 s in all (at most 1 min; rates of lenet_bn on cpu from a "
        "probe)."
    )
    # a probe per composition's loss terms (their paired steps differ): the page's first run probed its
    # default composition, the trials' rerun dann's and im's, one each for their two seeds
    assert [args[0].methods for args in probed[1:]] == [("dann",), ("im",)]


def test_a_fresh_workspace_does_not_wait_for_a_workers_start(
    app: OpenApp, probed: list[Any], monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    """The app starts measuring it as it starts (in the background, a stand-in here that never lands);
    the Adapt page's estimate leaves it out and says so, and counts it on the next run once it lands."""
    started: list[Path] = []
    monkeypatch.setattr(estimate_start, "measure_in_background", lambda ws: bool(started.append(ws.root)))
    at = app("home", source=SOURCE, target=TARGET)
    assert started == [workspace.resolve()]  # on the home page, before any estimate
    at.switch_page("app_pages/adapt.py").run()
    assert not at.exception, [e.message for e in at.exception]
    # the first test's 15.0 s (at most 21.9 s), no worker's start in it
    said = f"Estimated: about 15 s (at most 25 s; {PROBED}; a worker's start not counted, not measured yet)."
    assert estimates(at)[0] == said
    estimate_start.record_start(Workspace(workspace.resolve()), 4.0)  # it lands
    at.run()
    assert estimates(at)[0] == f"Estimated: about 20 s (at most 30 s; {PROBED}, cached)."  # + 4 s
