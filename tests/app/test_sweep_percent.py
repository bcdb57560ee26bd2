"""The Sweep page's shares (accuracies, the seeds' disagreement) are the view's percent columns
(:data:`tlcore.runs.summary.PERCENT_COLUMNS`), shown as Compare shows an accuracy: one decimal, the
number rounded to it; the page keeps no list of its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean
from tests.app.test_sweep_page import stand_in  # noqa: F401 - a fixture
from tlcore.runs import driver
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.summary import PERCENT_COLUMNS
from tlcore.runs.sweep import SweepSpec
from tlcore.views.sweep import configs_frame
from tlcore.workspace import Workspace

PERCENT = {"type": "number", "format": "percent", "step": 0.001}


def test_the_views_percent_columns_are_the_shares_of_its_tables() -> None:
    for share in ("target_accuracy", "source_accuracy", "source_only_accuracy", "seeds_disagree"):
        assert {share, f"{share} mean", f"{share} std"} <= set(PERCENT_COLUMNS)
    assert not {"selection.score mean", "gap_after.mmd2 mean", "seconds mean", "seeds"} & set(PERCENT_COLUMNS)


@pytest.mark.usefixtures("stand_in")
def test_the_sweep_pages_shares_are_percents_rounded_to_one_decimal(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    from inline_executor import InlineExecutor  # noqa: PLC0415 - on the path the stand_in fixture adds

    ws = Workspace.resolve(workspace)  # target accuracy 0.6 + 0.1 * 0.1234 + 0.01 * seed: 0.61234 on seed 0
    spec = SweepSpec("mnist5k", "digits", (("dann",),), Space(parse_grid(["dann.weight=0.1234"])), seeds=(0,))
    summary = driver.drive(ws, driver.create(ws, spec), executor=InlineExecutor(ws, "sweep_workers:scored"))
    shares = [c for c in configs_frame(summary).columns if c in PERCENT_COLUMNS]
    assert shares == [
        "source_accuracy mean",
        "source_accuracy std",
        "target_accuracy mean",
        "target_accuracy std",
    ]
    at = app("sweep")
    assert_clean(at)
    trials, configs = at.dataframe
    columns = json.loads(configs.proto.columns)
    assert all(columns[c]["type_config"] == PERCENT for c in shares)
    assert columns["target_accuracy mean"]["help"].startswith("accuracy on the target's held-out test split")
    assert columns["selection.score mean"]["type_config"] == {"type": "number", "format": "%.3g"}  # a score
    assert columns["gap_after.mmd2 mean"]["type_config"] == {"type": "number", "format": "%.4g"}
    assert json.loads(trials.proto.columns)["selection.score"]["type_config"]["format"] == "%.3g"
    assert configs.value["target_accuracy mean"].tolist() == [0.612]  # 61.2%: it cut 61.23% at "percent"
    assert configs.value["source_accuracy mean"].tolist() == [0.888]  # 0.88766
    assert json.loads(trials.proto.columns)["target_accuracy"]["type_config"] == PERCENT
    assert trials.value["target_accuracy"].tolist() == [0.612]
