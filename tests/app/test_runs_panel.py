"""The Adapt page's runs panel: what one refresh costs (SQLite connections, history reads) and shows."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_support import engine, run_cards
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, plain
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.stages import baseline_reused
from tlcore.events import ProgressEvent
from tlcore.runs import store as store_module
from tlcore.runs.jobs import run_inline
from tlcore.runs.result_file import read_result
from tlcore.runs.run_files import HISTORY_FILE
from tlcore.runs.store import RunStore
from tlcore.views import curves, run_tables
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
PANEL = "live_cards"  # the fragment that refreshes itself every 2 s


def _epoch(run_store: RunStore, run_id: str, epoch: int) -> None:
    event = ProgressEvent("epoch", "adapt", epoch / 4, epoch=epoch, metrics={"loss": 1.0 / epoch})
    run_store.record_event(run_id, event, index=False)


def _eight_runs(root: Path) -> dict[str, list[str]]:
    """3 done (headline and two epochs each), 3 running in this live process (one epoch), 2 failed."""
    run_store = RunStore(Workspace.resolve(root))
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("deep_coral",), epochs=2)
    runs: dict[str, list[str]] = {"done": [], "running": [], "failed": []}
    for status, count in (("done", 3), ("running", 3), ("failed", 2)):
        for _ in range(count):
            run_id = run_store.create(config)
            assert run_store.start(run_id, pid=os.getpid())
            if status == "failed":
                assert run_store.end(run_id, "failed", "out of memory (try a smaller batch size)")
            else:
                run_store.record_event(run_id, ProgressEvent("step", "adapt", 0.25, message="epoch 1"))
                _epoch(run_store, run_id, 1)
            if status == "done":
                _epoch(run_store, run_id, 2)
                result = {"target_accuracy": 0.8, "source_only_accuracy": 0.7, "gap_before": {"mmd2": 0.2}}
                assert run_store.finish(run_id, result)
            runs[status].append(run_id)
    return runs


class Counter:
    """Connections to one index (all, and those the runs panel opened), run history reads (with the
    byte offsets they started from) and training-curve figures built."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.total = self.panel = self.histories = self.figures = 0
        self.offsets: list[int] = []
        self._connect = sqlite3.connect

    def connect(self, database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if Path(database) == self.index:
            self.total += 1
            self.panel += any(frame.f_code.co_name == PANEL for frame, _ in traceback.walk_stack(None))
        return self._connect(database, *args, **kwargs)

    def reset(self) -> None:
        self.total = self.panel = self.histories = self.figures = 0
        self.offsets = []


@pytest.fixture
def counter(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Counter:
    counting = Counter(Workspace.resolve(workspace).index_path)
    read_history, build = RunStore.history_since, curves.learning_curves

    def history_since(store: RunStore, run_id: str, offset: int = 0, *args: Any, **kwargs: Any) -> Any:
        counting.histories += 1
        counting.offsets.append(offset)
        return read_history(store, run_id, offset, *args, **kwargs)

    def learning_curves(*args: Any, **kwargs: Any) -> Any:
        counting.figures += 1
        return build(*args, **kwargs)

    monkeypatch.setattr(store_module.sqlite3, "connect", counting.connect)
    monkeypatch.setattr(RunStore, "history_since", history_since)
    monkeypatch.setattr(curves, "learning_curves", learning_curves)
    return counting


def _epochs_drawn(at: AppTest, run_id: str) -> list[float]:
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"curves_{run_id}")]
    return json.loads(chart.proto.spec)["data"][0]["x"]


def test_a_refresh_reads_the_index_once_and_only_active_histories(
    app: OpenApp, workspace: Path, counter: Counter
) -> None:
    """AppTest re-runs the whole page, never the fragment alone: a page run is the app's one sweep, the
    page's count of the runs the panel leaves out, the panel's list, and the live cards' fragment,
    whose share (connections opened inside ``live_cards``) is what each 2 s refresh costs. The same
    page run used to open 27 connections, all in the panel."""
    runs = _eight_runs(workspace)
    at = app("adapt")  # the first page run fills the caches (store, finished runs' curves)
    counter.reset()
    at.run()
    assert (counter.total, counter.panel, counter.histories) == (4, 1, 3)
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.metric) == 3 and {m.value for m in at.metric} == {"80.0%"}
    assert len(at.error) == 2 and all("out of memory" in e.value for e in at.error)
    assert {b.key for b in at.button if b.label == "Cancel"} == {f"cancel_{i}" for i in runs["running"]}
    assert len(at.get("progress")) == 6  # running and done runs
    assert all(_epochs_drawn(at, i) == [1.0, 2.0] for i in runs["done"])
    assert all(_epochs_drawn(at, i) == [1.0] for i in runs["running"])

    # A running run's curve grows live; once it is done its curve comes from the cache.
    run_store, live = RunStore(Workspace.resolve(workspace)), runs["running"][0]
    _epoch(run_store, live, 2)
    counter.reset()
    assert _epochs_drawn(at.run(), live) == [1.0, 2.0] and (counter.panel, counter.histories) == (1, 3)
    assert run_store.finish(live, {"target_accuracy": 0.9, "source_only_accuracy": 0.7})
    at.run()
    counter.reset()
    at.run()
    assert (counter.panel, counter.histories) == (1, 2) and _epochs_drawn(at, live) == [1.0, 2.0]
    assert len(at.metric) == 4 and len([b for b in at.button if b.label == "Cancel"]) == 2


def test_the_panel_closes_a_run_it_finds_dead(
    app: OpenApp, workspace: Path, counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between page runs the fragments refresh alone (app.py's sweep does not run): here the sweep
    is switched off to stand for that, and the panel's list of runs, the read the idle page's look and
    the live cards make on their own, must close the dead run it read itself."""
    _eight_runs(workspace)
    at = app("adapt")
    monkeypatch.setattr(engine, "close_stale_runs", lambda: None)
    run_store = RunStore(Workspace.resolve(workspace))
    dead_worker = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_worker.wait()
    run_id = run_store.create(AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("dann",)))
    assert run_store.start(run_id, pid=dead_worker.pid)
    counter.reset()
    at.run()
    # the panel's list: the list, the UPDATE closing it, the list again; the pair's done runs read once
    # for the alarms: the new run pushed an older done run out of the 8 in view, so their set changed;
    # the live cards' list (and the page's one count of the runs it leaves out)
    assert (counter.total, counter.panel) == (6, 1)
    assert run_store.get(run_id).status == "interrupted"
    assert any(f"worker process {dead_worker.pid} ended without finishing" in w.value for w in at.warning)
    counter.reset()
    at.run()
    assert (counter.total, counter.panel) == (3, 1)


def test_cancelled_and_interrupted_runs_are_no_failures_and_a_queued_one_says_it_waits(
    app: OpenApp, workspace: Path
) -> None:
    """Only a failed run's reason is a red error box: a cancelled one's (asked for) is an info box, an
    interrupted one's (its worker died, the machine restarted) a warning, as its orange badge."""
    run_store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("dann",), epochs=2)
    cancelled = run_store.create(config)
    assert run_store.start(cancelled, pid=os.getpid())
    assert run_store.end(cancelled, "cancelled", "baseline: cancelled at epoch 1, step 8")
    interrupted = run_store.create(config)
    assert run_store.start(interrupted, pid=os.getpid())
    gone = "worker process 4321 ended without finishing the run (killed or crashed)"
    assert run_store.end(interrupted, "interrupted", gone)
    failed = run_store.create(config)
    assert run_store.start(failed, pid=os.getpid())
    assert run_store.end(failed, "failed", "the loss turned NaN")
    queued = run_store.create(config)
    assert run_store.assign_pid(queued, os.getpid())
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    assert [e.value for e in at.error if "NaN" not in e.value] == []  # the failed run's reason alone
    assert any("cancelled at epoch 1" in i.value for i in at.info), [i.value for i in at.info]
    assert [plain(w.value) for w in at.warning] == [gone]
    captions = [c.value for c in at.caption]
    assert sum("Queued" in c for c in captions) == 1 and "after the first epoch" not in " ".join(captions)
    assert "No epoch ended before the run was cancelled." in captions  # it never will
    assert "No epoch ended before the run was interrupted." in captions
    assert "No epoch ended before the run failed." in captions  # not "was failed"


def test_a_done_run_whose_baseline_came_from_the_cache_shows_its_curves_and_says_so(
    app: OpenApp, workspace: Path
) -> None:
    """The QA case: a source-only run whose baseline the cache held logged no epoch, and its card read
    "Curves appear after the first epoch." for good; now it draws its result's history (the cached
    training's epochs, as Compare does) and says where they come from."""
    ws = Workspace.resolve(workspace)
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("source_only",), epochs=2)
    first, again = (run_inline(ws, config) for _ in range(2))
    assert first.status == again.status == "done"
    events = RunStore(ws).history(again.id)
    replayed = [(e["stage"], e["epoch"]) for e in events if e["kind"] == "epoch"]
    assert replayed == [("baseline", 1), ("baseline", 2)] and baseline_reused(events)  # the cache's
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    captions = [c.value for c in at.caption]
    assert "after the first epoch" not in " ".join(captions)
    assert (
        captions.count(
            "Source-only baseline reused from the cache (trained by an earlier run with the same source, "
            "model and settings): its epochs are that training's."
        )
        == 1
    )
    assert _epochs_drawn(at, again.id) == _epochs_drawn(at, first.id) == [1.0, 2.0]


def test_a_refresh_builds_a_figure_only_for_a_run_whose_epoch_ended(
    app: OpenApp, workspace: Path, counter: Counter
) -> None:
    """QA: with a 250-epoch run training the page stopped answering: every 2 s the panel re-read each
    live run's whole log and rebuilt all 8 runs' figures (0.44 s of CPU a page run for 8 runs of 500
    epochs, measured). A finished run's figure is built once; a live run's log is read on from where
    the last refresh stopped, and its figure rebuilt only when an epoch ended since."""
    runs = _eight_runs(workspace)
    at = app("adapt")
    counter.reset()
    at.run()
    assert counter.figures == 0 and len(counter.offsets) == 3 and all(counter.offsets)
    run_store, live = RunStore(Workspace.resolve(workspace)), runs["running"][0]
    _epoch(run_store, live, 2)
    counter.reset()
    assert _epochs_drawn(at.run(), live) == [1.0, 2.0] and counter.figures == 1
    assert all(_epochs_drawn(at, i) == [1.0] for i in runs["running"][1:])
    assert all(_epochs_drawn(at, i) == [1.0, 2.0] for i in runs["done"])


def _traces(figure: Any) -> list[tuple[str, list[float], list[float]]]:
    return [(t.name, list(t.x), list(t.y)) for t in figure.data]


def test_a_live_run_on_a_cached_baseline_draws_its_epochs_where_the_done_run_does(workspace: Path) -> None:
    """helper-85: a run on a cached baseline drew its adapt epochs at 1-2 while live, with no "adapt"
    line, and at 3-4, after the baseline's, once done. Its log now replays the cached baseline's
    epochs, so the live chart, read line by line as the run writes them, is the done run's."""
    ws = Workspace.resolve(workspace)
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, epochs=2, adapt_epochs=3)
    run_inline(ws, replace(config, methods=("deep_coral",)))
    again = run_inline(ws, replace(config, methods=("dann",)))
    run_store = RunStore(ws)
    lines = (run_store.folder(again.id) / HISTORY_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    events = [json.loads(line) for line in lines]
    assert baseline_reused(events)
    first_adapt = next(i for i, e in enumerate(events) if e["kind"] == "epoch" and e["stage"] == "adapt")
    history = read_result(run_store.folder(again.id))["history"]
    live = run_store.create(replace(config, methods=("dann",)))  # its log written again, line by line
    reading = run_cards.LiveCurves(live)
    for written, epochs in ((lines[: first_adapt + 1], 3), (lines[first_adapt + 1 : -1], 5)):
        with (run_store.folder(live) / HISTORY_FILE).open("a", encoding="utf-8") as log:
            log.writelines(written)
        figure, reused = reading.refresh(run_store, "run")
        done = curves.learning_curves({"run": run_tables.curve_rows(history[:epochs])}, "")
        assert reused and _traces(figure) == _traces(done) and figure.layout.shapes == done.layout.shapes
    assert [row["epoch"] for row in history] == [1, 2, 1, 2, 3]  # baseline 1-2, adapt 1-3: drawn at 1-5
    assert _traces(figure)[0][1] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [shape.x0 for shape in figure.layout.shapes] == [2.5, 2.5]  # "adapt" starts, in both panels


def test_the_panel_lists_the_sidebar_pairs_runs_only(app: OpenApp, workspace: Path) -> None:
    """QA helper-142: runs of ``-> target_2026`` were listed under a ``-> target_semicolon`` pair."""
    run_store = RunStore(Workspace.resolve(workspace))
    other_target = "digits:n=120"
    ours, theirs = (
        AdaptConfig(source=SMALL_SOURCE, target=target, methods=(method,), epochs=2)
        for target, method in ((SMALL_TARGET, "dann"), (other_target, "deep_coral"))
    )
    for config, status in ((ours, "failed"), (theirs, "failed"), (theirs, "cancelled")):
        run_id = run_store.create(config)
        assert run_store.start(run_id, pid=os.getpid())
        assert run_store.end(run_id, status, f"{config.target} {status}")
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    said = [plain(e.value) for e in at.error] + [plain(i.value) for i in at.info]
    assert f"{SMALL_TARGET} failed" in said and not any(other_target in line for line in said), said
    cards = {plain(c.value) for c in at.caption} & {
        f"{SMALL_SOURCE} → {t}" for t in (SMALL_TARGET, other_target)
    }
    assert cards == {f"{SMALL_SOURCE} → {SMALL_TARGET}"}, cards  # each card's pair caption
    assert _left_out(at) == [  # and it says what it leaves out, and how to see it (in this workspace)
        f"Only the sidebar pair's runs are listed here: 2 runs of 1 other pair are not ({SMALL_SOURCE} → "
        f"{other_target}: 2 runs). Set a pair's source and target in the sidebar to list its runs, or see "
        f"every run with `python -m tlcore --workspace {Workspace.resolve(workspace).root} runs list`."
    ]
    empty = app("adapt", target="digits:n=150")  # a pair with no run: says so, lists no other's
    assert any(i.value.startswith("No runs of this pair yet") for i in empty.info)
    assert not empty.error, [e.value for e in empty.error]
    assert _left_out(empty)[0].startswith("Only the sidebar pair's runs are listed here: 3 runs of 2 other")
    theirs_only = app("adapt", target=other_target)  # the list follows the sidebar's pair
    said = [plain(e.value) for e in theirs_only.error] + [plain(i.value) for i in theirs_only.info]
    assert said == [f"{other_target} failed", f"{other_target} cancelled"], said
    assert (
        f"1 run of 1 other pair is not ({SMALL_SOURCE} → {SMALL_TARGET}: 1 run)" in _left_out(theirs_only)[0]
    )


def _left_out(at: AppTest) -> list[str]:
    """The Adapt page's line under Runs on what its panel does not list."""
    return [plain(c.value) for c in at.caption if "runs are listed" in c.value]


def test_the_panel_says_it_lists_the_newest_of_more_runs(app: OpenApp, workspace: Path) -> None:
    run_store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("dann",), epochs=2)
    for _ in range(9):  # one more than the panel lists
        run_store.create(config)
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    listing = f"python -m tlcore --workspace {Workspace.resolve(workspace).root} runs list"  # as pasted
    assert _left_out(at) == [  # the command as code, not as plain words in the caption (QA helper-254)
        f"The newest 8 of this pair's 9 runs are listed (`{listing} --source {SMALL_SOURCE} --target "
        f"{SMALL_TARGET}` lists them all)."
    ]
    (raw,) = [c.value for c in at.caption if "runs are listed" in c.value]
    assert (
        f"(`{listing} --source {SMALL_SOURCE} --target {SMALL_TARGET}` lists" in raw
    )  # a code span, unescaped
    assert len([b for b in at.button if b.label == "Cancel"]) == 8


def test_the_panel_names_three_other_pairs_and_counts_the_rest(app: OpenApp, workspace: Path) -> None:
    """Past three other pairs the rest are counted as every list of names counts them
    (:func:`tlcore.numbers.first_named`: "and 2 more pairs"; it read "; 2 more pairs" before)."""
    run_store = RunStore(Workspace.resolve(workspace))
    for n in range(121, 126):  # five other pairs, a run each
        run_store.create(
            AdaptConfig(source=SMALL_SOURCE, target=f"digits:n={n}", methods=("dann",), epochs=2)
        )
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    (line,) = _left_out(at)
    assert line.startswith("Only the sidebar pair's runs are listed here: 5 runs of 5 other pairs are not (")
    listing = f"python -m tlcore --workspace {Workspace.resolve(workspace).root} runs list"
    assert line.endswith(f"or see every run with `{listing}`.")  # as code
    assert (
        line.count(f"{SMALL_SOURCE} → digits:n=12") == 3 and "1 run and 2 more pairs). Set a pair's" in line
    )
