"""Compare's percent cells as QA read them beside ``runs rank``: 47 of 79 right (0.59494) read 59.4%
on the page and 59.5% in the CLI; ``st.dataframe`` cuts a number off at its column's step, so the
page rounds it there first."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from app_support import display
from tests.app.test_compare import result
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

ADAPTED, SOURCE_ONLY = 47 / 79, 12 / 79  # QA's recipe run and its source-only model (0.59494, 0.15190)


def test_numbers_are_rounded_to_their_columns_step_and_nothing_else_changes() -> None:
    config = {
        "acc": st.column_config.NumberColumn(format="percent", step=0.001),
        "score": st.column_config.NumberColumn(format="%.3g"),  # no step: as it came
        "name": st.column_config.TextColumn(),
    }
    rows = [{"acc": ADAPTED, "score": ADAPTED, "name": "run", "n": 79}, {"acc": None, "score": None}]
    assert display.stepped(rows, config) == [
        {"acc": 0.595, "score": ADAPTED, "name": "run", "n": 79},
        {"acc": None, "score": None},
    ]
    assert display.stepped([{"x": 0.12345}], {"x": st.column_config.NumberColumn(step=0.01)}) == [{"x": 0.12}]


def test_the_numbers_table_gives_the_accuracies_as_the_cli_rounds_them(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source="mnist5k:n=200", target="digits:n=200", methods=("dann",), epochs=1)
    run_id = store.create(config)
    stored = result(ADAPTED, SOURCE_ONLY) | {"info": {"n_target_test": 79}}
    assert store.start(run_id, os.getpid()) and store.finish(run_id, stored | {"config": config.to_dict()})
    at = app("compare")
    assert not at.exception, [e.message for e in at.exception]
    (table,) = [t.value for t in at.dataframe if "source_only_accuracy" in t.value.columns]
    # the browser then shows 59.5% and 15.2%, as `runs rank` prints them (it cut 59.4% and 15.1%)
    assert table[["target_accuracy", "source_only_accuracy"]].values.tolist() == [[0.595, 0.152]]
