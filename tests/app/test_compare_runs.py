"""Which runs Compare, Predict and Diagnose offer in a workspace holding many runs of other pairs
(QA helper-76: with 103 runs, Compare's picker held the newest 50 of the workspace, not the pair's)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain
from tests.app.test_escaping import deferred_downloads
from tests.app.test_ranking_ui import BASELINE, COLLAPSED, GOOD, SOURCE, TARGET, store_run, with_models
from tests.selection.helpers import candidate
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.run_files import CHECKPOINT_FILE
from tlcore.runs.store import RunStore
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.views.ranking import unreliable_line
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
OTHER_TARGET = "digits:n=121"  # another pair, whose runs are all newer than the pair's


def other_pair_runs(store: RunStore, n: int) -> list[str]:
    """``n`` done runs of ``SOURCE -> OTHER_TARGET`` that saved a (stand-in) model."""
    ids = []
    config = AdaptConfig(source=SOURCE, target=OTHER_TARGET, methods=("dann",), epochs=1)
    for _ in range(n):
        run_id = store.create(config)
        assert store.start(run_id, os.getpid())
        assert store.finish(run_id, {"config": config.to_dict(), "target_accuracy": 0.5})
        (store.get(run_id).folder / CHECKPOINT_FILE).touch()
        ids.append(run_id)
    return ids


@pytest.fixture(scope="module")
def _crowded_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A workspace of the pair's two runs (a good one, recommended, and a collapsed one), then 201 of
    another pair, written once for the module (read-only: tests get copies); its root and the pair's runs."""
    root = tmp_path_factory.mktemp("crowded") / "workspace"
    store = RunStore(Workspace.resolve(root))
    pool = {
        "good": store_run(store, ("deep_coral", "im"), GOOD),
        "collapsed": store_run(store, ("dann",), COLLAPSED),
    }
    with_models(store, pool.values())
    other_pair_runs(store, 201)
    return root, pool


@pytest.fixture
def crowded(workspace: Path, _crowded_workspace: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """The crowded workspace copied into this test's (still empty) one: the pair's runs by name."""
    root, pool = _crowded_workspace
    shutil.copytree(root, workspace)
    return pool


def test_compare_offers_every_run_of_the_pair_and_no_other_pairs(
    app: OpenApp, crowded: dict[str, str]
) -> None:
    """The recommended run is labelled, offered and compared first, however many newer runs other
    pairs have; the picker offers the pair's runs only."""
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    good = f"deep_coral+im · {crowded['good'][-6:]}"
    assert plain(at.success[0].value).startswith(f"Recommended: {good}, the highest")
    runs = next(m for m in at.multiselect if m.label == "Runs")
    assert runs.options == [f"dann · {crowded['collapsed'][-6:]}", good]  # newest first
    assert runs.value == [crowded["good"], crowded["collapsed"]]
    assert next(b for b in at.button if b.label.startswith("Label data with")).label == (
        f"Label data with {good} on Predict"
    )


def test_predict_and_diagnose_offer_the_pairs_runs_behind_200_newer_ones(
    app: OpenApp, crowded: dict[str, str]
) -> None:
    """Predict preselects the recommended run and Diagnose offers the pair's models, older than the
    newest 200 runs of the workspace."""
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    picker = at.selectbox[0]
    assert picker.value == crowded["good"]
    assert (
        picker.options[:2]
        == [  # the pair's, newest first, named without the sidebar's pair
            f"dann · {crowded['collapsed'][-6:]}",
            f"deep_coral+im · {crowded['good'][-6:]} (recommended)",
        ]
    )
    assert len(picker.options) == 202  # and the newest 200 of the other pairs, each with its pair
    assert all(o.endswith(f" · {SOURCE} → {OTHER_TARGET}") for o in picker.options[2:])
    at = app("diagnose", source=SOURCE, target=TARGET)
    good = f"deep_coral+im · {crowded['good'][-6:]}"
    assert not at.exception, [e.message for e in at.exception]
    features = next(s for s in at.selectbox if s.label == "Feature space")
    assert features.options == [
        "raw pixels (PCA 50)",
        f"model of run dann · {crowded['collapsed'][-6:]}",
        f"model of run {good}",
    ]


def test_alarms_are_one_line_after_the_recommendation_on_the_page_and_in_the_report(
    app: OpenApp, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: Compare drew one box per alarm above the ranking (41 at 62 runs) and the report put them
    before the recommendation. Now one line says how many runs are flagged, each run's reasons in one
    table; in the report the recommendation comes first."""
    downloads = deferred_downloads(monkeypatch)
    store = RunStore(Workspace.resolve(workspace))
    good = store_run(store, ("deep_coral", "im"), GOOD)
    collapsed = [store_run(store, (m,), COLLAPSED) for m in ("dann", "mcc", "im")]
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    flags = [plain(b.value) for b in [*at.error, *at.warning] if "suspected" in plain(b.value)]
    assert flags == [
        "Negative transfer suspected for 3 of 4 runs, none of them a false alarm by the target labels."
    ]
    rows = at.expander[0].dataframe[0].value.to_dict("records")
    assert sorted(r["run"] for r in rows) == sorted(
        f"{m} · {i[-6:]}" for m, i in zip(("dann", "mcc", "im"), collapsed, strict=True)
    )
    assert all("collapsed onto 1.0 effective classes" in r["why"] for r in rows)
    report = downloads["tlstudio-report.html"]()
    recommended = report.index(f"Recommended: deep_coral+im · {good[-6:]}")
    assert recommended < report.index('class="flag"')
    assert report.count("Negative transfer suspected for") == 1  # the line; the reasons in the table


def test_the_unreliable_scores_line_names_at_most_five_runs() -> None:
    """QA helper-76: at 62 runs the line named all 62 between the recommendation and the table."""
    runs = [candidate(f"run{i}", BASELINE, GOOD, ess=2.0 + i) for i in range(6)]
    line = unreliable_line(rank(Pool(SOURCE, TARGET, tuple(runs))), {})
    assert line == (
        "DEV and IWCV are unreliable for 6 of 6 runs: their importance weights rest on 2.0 to 7.0 effective "
        "samples, fewer than 30 (the ESS column), so a few source samples decide those scores."
    )
    five = unreliable_line(rank(Pool(SOURCE, TARGET, tuple(runs[:5]))), {})
    assert five is not None and "5 of 5 runs (run0, run1, run2, run3 and run4):" in five
