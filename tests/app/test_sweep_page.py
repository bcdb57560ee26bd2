"""The Sweep page through ``AppTest``: defining a grid, launching it (the sweep tests' stand-in worker
does each trial, no torch training), following it, its results, and opening a trial in Compare."""

from __future__ import annotations

import functools
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from app_support import sweeps
from app_support.state import sweep_key
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, assert_clean, errors, plain
from tests.app.test_escaping import _result
from tests.data.data_formats import digit_image, png_bytes, write_zip
from tests.sweeps.sweep_env import WORKER_PATHS, worker_pythonpath
from tlcore.adapt.config import AdaptConfig
from tlcore.data import save_upload
from tlcore.errors import TLError
from tlcore.runs import driver
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.search import Search
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.views.chart_text import text_px
from tlcore.views.sweep import configs_csv, rule
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
WORKER = "sweep_workers:scored"  # target accuracy 0.6 + 0.1 dann.weight + 0.01 seed


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sweeps the page launches run their trials with the stand-in worker, in the launched driver too."""
    for path in WORKER_PATHS:
        monkeypatch.syspath_prepend(path)
    monkeypatch.setenv("PYTHONPATH", worker_pythonpath())
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "3")
    monkeypatch.setattr(driver, "launch", functools.partial(driver.launch, worker=WORKER))


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``{file name: data}`` of the download buttons the page shows."""
    made: dict[str, Any] = {}
    add = MediaFileManager.add

    def spy(self: MediaFileManager, data: Any, *args: Any, **kwargs: Any) -> str:
        made[kwargs.get("file_name") or ""] = data
        return add(self, data, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", spy)
    return made


def planned(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "Planned trials")


def define(at: AppTest, methods: str, seeds: str = "0", **values: str) -> AppTest:
    at.text_input(key=sweep_key("compositions")).set_value(methods).run()
    for key, text in values.items():
        at.text_input(key=sweep_key(key.replace("__", "."))).set_value(text)
    return at.text_input(key=sweep_key("seeds")).set_value(seeds).run()


def launch_button(at: AppTest) -> object:
    return next(b for b in at.button if b.label == "Launch the sweep")


def wait_until_ended(workspace: Path, sweep_id: str, timeout: float = 120.0) -> str:
    store = SweepStore(Workspace.resolve(workspace))
    deadline = time.monotonic() + timeout
    while (record := store.get(sweep_id)).active:
        assert time.monotonic() < deadline, f"sweep still {record.status}: {record.message}"
        time.sleep(0.2)
    return record.status


def test_the_page_renders_without_sweeps_and_plans_the_default(app: OpenApp) -> None:
    at = app("sweep")
    assert_clean(at)
    assert not at.error and planned(at) == "1"  # the recommended composition, its defaults, one seed
    assert any("No sweeps yet" in i.value for i in at.info)
    assert [c.value for c in at.caption if c.value.endswith(" seed")] == ["1 configuration x 1 seed"]
    at_once = at.number_input(key=sweep_key("max_concurrent"))
    # QA at 1024 px: a quarter of the form leaves its input 35 px of text (Chromium), and "default" (41 px)
    # showed as "defaul"; text_px is an upper bound of a text's width
    assert at_once.value is None and text_px(at_once.proto.placeholder, 14) <= 35
    said = f"Trials handed to the executor at once. Empty ({at_once.proto.placeholder}): the workspace's"
    assert at_once.help.startswith(f"{said} run slots")


def test_a_grid_shows_its_planned_trials(app: OpenApp) -> None:
    at = define(app("sweep"), "deep_coral+im,dann+im", "0,1,2", dann__weight="0.1,0.3,1")
    assert_clean(at)
    assert planned(at) == "12"  # (deep_coral+im + 3 weights of dann+im) x 3 seeds
    assert any(c.value == "4 configurations x 3 seeds" for c in at.caption)
    at.radio(key=sweep_key("search")).set_value("random").run()
    at.text_input(key=sweep_key("dann.weight")).set_value("0.01:1:log")
    at.number_input(key=sweep_key("n")).set_value(5).run()
    assert_clean(at)
    assert not at.error and planned(at) == "18"  # (1 + 5 drawn points) x 3 seeds


def test_a_sweep_whose_runs_lack_labels_is_refused_before_it_exists(
    app: OpenApp, workspace: Path, tmp_path: Path
) -> None:
    """A zip of loose images as the source: the page says why, and no sweep is stored."""
    scans = {f"scan_{i}.png": png_bytes(digit_image(i % 10)) for i in range(12)}  # no class folders
    loose = write_zip(tmp_path / "loose.zip", scans)
    save_upload(Workspace.resolve(workspace), "loose.zip", loose.read_bytes())
    at = define(app("sweep", source="upload:loose.zip", target=SMALL_TARGET), "im")
    launch_button(at).click().run()
    assert [plain(e.value) for e in at.error] == [
        "the source upload:loose.zip is unlabelled; a run trains on the source's labels"
    ]
    assert SweepStore(Workspace.resolve(workspace)).list() == []


def field(at: AppTest, kind: str, label: str) -> Any:
    return next(w for w in getattr(at, kind) if w.label == label)


def test_the_form_keeps_its_values_across_pages(app: OpenApp) -> None:
    """Leaving the page and coming back shows the sweep as it was defined, not the defaults."""
    at = define(app("sweep"), "dann,im", "0,1", dann__weight="0.1,0.3")
    field(at, "number_input", "Epochs").set_value(7)
    field(at, "number_input", "Learning rate").set_value(0.005)
    at.radio(key=sweep_key("search")).set_value("random").run()
    field(at, "number_input", "Points per composition").set_value(4)
    field(at, "number_input", "Seed of the draws").set_value(3)
    field(at, "number_input", "Trials at once").set_value(2).run()
    assert_clean(at)
    shown = planned(at)
    at.switch_page("app_pages/adapt.py").run()
    at.switch_page("app_pages/sweep.py").run()
    assert_clean(at)
    assert at.text_input(key=sweep_key("compositions")).value == "dann,im"
    assert at.text_input(key=sweep_key("seeds")).value == "0,1"
    assert at.text_input(key=sweep_key("dann.weight")).value == "0.1,0.3"
    assert at.radio(key=sweep_key("search")).value == "random"
    assert field(at, "number_input", "Epochs").value == 7
    assert field(at, "number_input", "Learning rate").value == pytest.approx(0.005)
    assert field(at, "number_input", "Points per composition").value == 4
    assert field(at, "number_input", "Seed of the draws").value == 3
    assert field(at, "number_input", "Trials at once").value == 2
    assert planned(at) == shown


@pytest.mark.parametrize(
    ("methods", "fields", "message"),
    [
        ("nonsense", {}, "unknown method 'nonsense'"),
        ("dann", {"dann__weight": "0.1,abc"}, "dann: parameter weight must be float"),
        ("dann", {"dann__weight": "0.01:1"}, "a grid needs a list of values"),
        ("dann", {"seeds": "0,x"}, "seeds must be integers"),
    ],
)
def test_bad_input_is_one_error_box_and_nothing_launches(
    app: OpenApp, workspace: Path, methods: str, fields: dict[str, str], message: str
) -> None:
    at = define(app("sweep"), methods, **fields)
    assert_clean(at)
    assert len(at.error) == 1 and message in errors(at)[0], errors(at)
    assert launch_button(at).disabled  # AppTest, like a browser, refuses to press it
    assert not SweepStore(Workspace.resolve(workspace)).list()


def test_a_launched_sweep_runs_in_the_background_cancels_resumes_and_shows_its_results(
    app: OpenApp, workspace: Path, stand_in: None, downloads: dict[str, Any]
) -> None:
    at = define(app("sweep"), "dann,im", "0", dann__weight="0.1,0.3")
    at.number_input[0].set_value(20)  # epochs: the stand-in's 50 ms steps
    launch_button(at).click().run()
    assert_clean(at)
    assert [t.value for t in at.toast] == ["Sweep launched: 3 trials"]  # was "3 trial(s)"
    (record,) = SweepStore(Workspace.resolve(workspace)).list()
    assert record.spec.seeds == (0,) and record.spec.budget["epochs"] == 20
    assert record.spec.space.to_dict() == {"dann.weight": {"choice": [0.1, 0.3]}}
    assert at.selectbox(key="sweep_chosen").value == record.id
    at.button(key=f"cancel_{record.id}").click().run()
    assert_clean(at)
    assert wait_until_ended(workspace, record.id) == "cancelled"
    at.run()
    at.button(key=f"resume_{record.id}").click().run()
    assert_clean(at)
    assert wait_until_ended(workspace, record.id) == "done"
    at.run()
    assert_clean(at)
    assert not at.error, errors(at)
    summary = driver.summary(Workspace.resolve(workspace), record.id)
    assert summary.counts == {"done": 3}
    trials = at.dataframe[0]  # QA at 1024 px: a run's whole id was cut, a trial without a run read "None"
    assert trials.proto.placeholder == "—" and json.loads(trials.proto.columns)["run_id"]["label"] == "run"
    assert sorted(trials.value["run_id"]) == sorted(t.run.id[-6:] for t in summary.trials if t.run)
    assert len(set(trials.value["run_id"])) == 3  # as the run cards name them
    # the label-free rule recommends im (w = 0.3 collapses); w = 0.3 is the most accurate in hindsight
    assert plain(at.success[0].value).endswith("**im**") and summary.recommended == "im"
    assert f"({rule()}: the passed column)" in plain(at.success[0].value)  # sweeps show's words
    table = at.dataframe[1].value.set_index("config")
    assert table["passed"].to_dict() == {"dann|dann.weight=0.1": 1, "dann|dann.weight=0.3": 0, "im": 1}
    helps = {name: c.get("help", "") for name, c in json.loads(at.dataframe[1].proto.columns).items()}
    assert helps["selection.score mean"].startswith(
        "the ranking's label-free score of the run (by default EnsV"
    )
    assert helps["validators.after.im std"] == (  # QA helper-121: config keys without a word
        "IM (information maximisation): confident yet diverse target predictions, H(mean p) - mean H(p) "
        "(of the adapted model); standard deviation over the seeds"
    )
    assert helps["dann.weight"] == "loss weight of the dann method" and helps["passed"].startswith(
        "the seeds"
    )
    assert plain(at.info[0].value).endswith("**dann|dann.weight=0.3**")
    assert len(at.get("plotly_chart")) == 2  # heatmap, strip plot
    assert len(at.dataframe) == 2  # the trials, the configurations
    assert downloads[f"sweep-{record.id}.csv"].decode() == configs_csv(summary)
    config = summary.config("dann|dann.weight=0.3")
    assert config is not None and config.metrics["target_accuracy"].mean == pytest.approx(0.6 + 0.03)


class StoredResults:
    """An executor that ends each trial at once with a stored result shaped like the pipeline's."""

    def __init__(self, workspace: Workspace) -> None:
        self.store = RunStore(workspace)

    def start(self) -> None:
        pass

    def capacity(self) -> int:
        return 1

    def submit(self, run_id: str, config: AdaptConfig) -> None:
        assert self.store.start(run_id, os.getpid())
        assert self.store.finish(run_id, _result(config))

    def poll(self) -> None:
        pass

    def cancel(self, run_id: str) -> None:
        pass

    def shutdown(self) -> None:
        pass


def test_open_in_compare_switches_page_with_the_trial_selected(app: OpenApp, workspace: Path) -> None:
    ws = Workspace.resolve(workspace)
    space = Space(parse_grid(["dann.weight=0.1,0.3"]))
    spec = SweepSpec("mnist5k:n=120", "digits:n=120", (("dann",),), space)
    summary = driver.drive(ws, driver.create(ws, spec), executor=StoredResults(ws), poll=0.0)
    assert summary.counts == {"done": 2}
    at = app("sweep")
    assert_clean(at)
    trial = summary.trials[1]
    assert trial.run is not None and trial.trial.key == "dann|dann.weight=0.3|seed=0"
    next(s for s in at.selectbox if s.label == "Trial").set_value(trial.run.id)
    next(b for b in at.button if b.label == "Open in Compare").click().run()
    assert_clean(at)
    assert at.title[0].value == "Compare"
    assert next(m for m in at.multiselect if m.label == "Runs").value == [trial.run.id]
    # ranked among the sweep's pair, not the sidebar's (mnist5k:n=200 -> digits:n=200, without runs)
    said = [plain(c.value) for c in at.caption]
    assert "The runs of mnist5k:n=120 → digits:n=120, the pair of the runs opened in Compare" in said[0]
    assert any(line.startswith(f"Not ranked: dann · {trial.run.id[-6:]}: stored without") for line in said)


WHY_NOT = {  # stand-in worker: (the page's element, what it says)
    "collapsed": (
        "warning",
        "No configuration passed the selection rule on every seed (its guardrails, and not below",
    ),
    "failing": ("caption", "No configuration has a done run on every seed (see the failed trials)."),
}


@pytest.mark.parametrize("worker", list(WHY_NOT))
def test_the_page_says_why_nothing_is_recommended(
    app: OpenApp, workspace: Path, stand_in: None, worker: str
) -> None:
    box, says = WHY_NOT[worker]
    from inline_executor import InlineExecutor  # noqa: PLC0415 - on the path the stand_in fixture adds

    ws = Workspace.resolve(workspace)
    spec = SweepSpec("mnist5k", "digits", (("dann",),), Space(parse_grid(["dann.weight=0.1,0.3"])))
    executor = InlineExecutor(ws, f"sweep_workers:{worker}")
    summary = driver.drive(ws, driver.create(ws, spec), executor=executor, poll=0.0)
    assert summary.recommended is None
    at = app("sweep")
    assert_clean(at)
    shown = [plain(element.value) for element in getattr(at, box)]
    assert any(text.startswith(says) for text in shown), shown
    assert not at.success  # nothing is presented as recommended


def test_the_page_opens_on_the_newest_sweep_of_the_sidebars_pair(app: OpenApp, workspace: Path) -> None:
    """QA helper-76: it opened on the newest sweep, of another pair than the sidebar's."""
    ws = Workspace.resolve(workspace)
    space = Space(parse_grid(["dann.weight=0.1,0.3"]))
    ours = driver.create(ws, SweepSpec(SMALL_SOURCE, SMALL_TARGET, (("dann",),), space))
    driver.create(ws, SweepSpec("mnist5k:n=120", "digits:n=120", (("dann",),), space))  # newer
    at = app("sweep")
    assert_clean(at)
    assert next(s for s in at.selectbox if s.label == "Sweep").value == ours


def test_a_sweep_over_networks_shows_one_recommendation_per_network(
    app: OpenApp, workspace: Path, stand_in: None
) -> None:
    """QA helper-121: a sweep varying ``model`` had one recommendation across its networks; the page
    now says one per setup, each network's own."""
    from inline_executor import InlineExecutor  # noqa: PLC0415 - on the path the stand_in fixture adds

    ws = Workspace.resolve(workspace)
    spec = SweepSpec("mnist5k", "digits", (("dann",), ("im",)), Space(parse_grid(["model=lenet_bn,mlp"])))
    executor = InlineExecutor(ws, "sweep_workers:scored")
    summary = driver.drive(ws, driver.create(ws, spec), executor=executor, poll=0.0)
    chosen = {"model=lenet_bn": "dann|model=lenet_bn", "model=mlp": "dann|model=mlp"}
    assert summary.recommended_by_setup == chosen and summary.recommended is None
    at = app("sweep")
    assert_clean(at)
    (said,) = [plain(s.value) for s in at.success]
    assert said.startswith("Recommended without target labels, one per setup (model, target_labels)")
    lines = [line for line in said.splitlines() if line.startswith("- ")]
    assert lines == [f"- **{setup}: {key}**" for setup, key in summary.recommended_by_setup.items()]
    table = at.dataframe[1].value
    assert table.loc[table["recommended"], "config"].tolist() == list(chosen.values())


LABELLED_ONLY = (
    "--target-labels is for the methods trained on target labels (target_only, finetune, labelled_target)"
)


@pytest.mark.parametrize(
    ("values", "budget", "message"),
    [
        ({"model": "lenet_bn,foo"}, {}, "model=foo: unknown model 'foo'; choose one of: auto, cnn, "),
        ({"target_labels": "0,2"}, {}, f"target_labels=2: {LABELLED_ONLY}"),
        ({}, {"target_labels": 2}, LABELLED_ONLY),
    ],
)
def test_the_pages_plan_refuses_what_adapt_refuses(
    values: dict[str, str], budget: dict[str, Any], message: str
) -> None:
    """QA helper-123 (F3, F4): the CLI's lines, from the same checks (the page shows them in its box)."""
    with pytest.raises(TLError, match=f"^{re.escape(message)}"):
        sweeps.plan(SMALL_SOURCE, SMALL_TARGET, "dann", values, search=Search(), seeds="0", budget=budget)


def test_the_pages_launch_refuses_a_network_the_pairs_samples_do_not_fit(workspace: Path) -> None:
    """QA helper-123 (F3): mlp on digit images; nothing is stored, no driver starts."""
    plan = sweeps.plan(
        SMALL_SOURCE,
        SMALL_TARGET,
        "source_only",
        {"model": "lenet_bn,mlp"},
        search=Search(),
        seeds="0",
        budget={},
    )
    shape = r"^model 'mlp' needs feature vectors \(D,\), got images of 1 x 28 x 28 "
    shape += r"\(auto picks lenet_bn for them\)$"
    with pytest.raises(TLError, match=shape):
        sweeps.launch(plan, ExecutorSettings())
    assert SweepStore(Workspace.resolve(workspace)).list() == []


@pytest.mark.parametrize(("networks", "trials"), [(["mlp"], "1"), (["lenet_bn", "mlp"], "2")])
def test_the_form_sweeps_networks_and_refuses_one_the_pairs_samples_do_not_fit(
    app: OpenApp, workspace: Path, networks: list[str], trials: str
) -> None:
    """The page had no network field: a sweep over networks, and its refusal, were the CLI's alone.
    One network is the budget's, several a grid over ``model``; mlp on digit images is refused."""
    at = define(app("sweep"), "source_only")
    at.multiselect(key=sweep_key("model")).set_value(networks).run()
    assert_clean(at)
    assert not at.error and planned(at) == trials
    launch_button(at).click().run()
    assert errors(at) == [
        "model 'mlp' needs feature vectors (D,), got images of 1 x 28 x 28 (auto picks lenet_bn for them)"
    ]
    assert SweepStore(Workspace.resolve(workspace)).list() == []
