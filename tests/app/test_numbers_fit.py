"""Compare's "Numbers and downloads" table fits a 1024 px window (QA helper-232: its 27 columns were
3168 px in a 562 px table at 1024 px, and in an 818 px one at 1280 px; helper-237 measured 537 px
after). At a glance it shows each run's accuracies, their change and its seconds, the run labels cut
as the ranking's; "All numbers" and the CSV keep every column."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app_support import state
from tests.app.helpers import plain
from tests.app.test_diagnose_findings_table import TABLE_1024_PX
from tests.app.test_ranking_fit import RECIPE
from tests.app.test_ranking_ui import COLLAPSED, GOOD, SOURCE, TARGET, OpenApp, Y, store_run
from tests.selection.helpers import probabilities
from tlcore.runs.store import RunStore
from tlcore.views import compare
from tlcore.workspace import Workspace

GLANCE = ["run", "target_accuracy", "source_only_accuracy", "difference", "source_accuracy", "seconds"]
# the widths Chromium gave the columns it sizes itself (helper-237, the pool below at 1024 px)
AUTO_PX = {"target_accuracy": 73, "source_only_accuracy": 85, "difference": 59, "source_accuracy": 77}
AUTO_PX |= {"seconds": 63}


@pytest.fixture
def runs(workspace: Path) -> dict[str, str]:
    """Three stored runs of one pair, the recipe's long name among them."""
    store = RunStore(Workspace.resolve(workspace))
    return {
        "recipe": store_run(store, RECIPE, GOOD),
        "pair": store_run(store, ("deep_coral", "im"), probabilities(Y, 0.85)),
        "dann": store_run(store, ("dann",), COLLAPSED),
    }


def test_the_numbers_table_shows_what_a_run_did_at_a_glance_in_a_1024_px_window(
    app: OpenApp, runs: dict[str, str]
) -> None:
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    numbers = at.dataframe[-1]
    assert list(numbers.proto.column_order) == GLANCE
    columns = json.loads(numbers.proto.columns)
    headers = {name: columns[name].get("label") for name in GLANCE[1:]}
    assert headers == {
        "target_accuracy": "target acc",
        "source_only_accuracy": "source-only",
        "difference": "change",
        "source_accuracy": "source acc",
        "seconds": None,  # its own name: short already
    }
    assert (
        sorted(numbers.value["run"])
        == sorted(
            [
                f"deep_coral+… · {runs['recipe'][-6:]}",  # cut as the ranking cuts it, its id kept
                f"deep_coral+im · {runs['pair'][-6:]}",
                f"dann · {runs['dann'][-6:]}",
            ]
        )
    )
    run = columns["run"]
    assert run["pinned"] and run["width"] == 22 * 7 + 24
    assert f"in full: {'+'.join(RECIPE)} ({runs['recipe'][-6:]})." in plain(run["help"])
    assert run["width"] + sum(AUTO_PX.values()) == 535 <= TABLE_1024_PX
    every = at.toggle(key=state.COMPARE_ALL_NUMBERS).set_value(True).run().dataframe[-1]
    header = next(csv.reader(io.StringIO(compare.metrics_csv({"one": {"config": {}}}))))
    assert list(every.proto.column_order) == header  # every column of the CSV, in its order
    assert len(header) == 27 and header[:4] == ["run", "methods", "source", "target"]


def test_at_a_glance_an_unlabelled_targets_accuracies_are_left_out() -> None:
    labelled = {"run": "a", "target_accuracy": 0.8, "source_only_accuracy": 0.7, "difference": 0.1}
    unlabelled = {"run": "b", "target_accuracy": None, "source_only_accuracy": None, "difference": None}
    rest = {"source_accuracy": 0.9, "seconds": 12.0, "load_seconds": None}
    assert compare.summary_order([labelled | rest, unlabelled | rest]) == GLANCE
    assert compare.summary_order([unlabelled | rest]) == ["run", "source_accuracy", "seconds"]
    assert compare.summary_order([unlabelled | rest], every=True) == [*unlabelled, *rest]
