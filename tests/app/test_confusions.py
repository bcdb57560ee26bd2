"""Compare's confusion matrices with more runs chosen than fit side by side: the user picks which."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.test_escaping import _result
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"


def confusions(at: AppTest) -> list[str]:
    """The run labels whose confusion matrix the page shows."""
    ids = [chart.proto.id for chart in at.get("plotly_chart")]
    return [i.split("confusion_", 1)[1] for i in ids if "confusion_" in i]


def test_the_user_picks_the_confusion_matrices_beyond_three(app: OpenApp, workspace: Path) -> None:
    store = RunStore(Workspace.resolve(workspace))
    for method in ("dann", "im", "mcc", "bnm"):
        config = AdaptConfig(source=SOURCE, target=TARGET, methods=(method,), epochs=1)
        run_id = store.create(config)
        assert store.start(run_id, os.getpid())
        assert store.finish(run_id, _result(config))
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    runs = next(m for m in at.multiselect if m.label == "Runs")
    assert len(runs.value) == 4
    labels = [runs.format_func(run_id) for run_id in runs.value]
    pick = next(m for m in at.multiselect if m.label == "Confusion matrices of")
    assert pick.options == labels and pick.value == labels[:3]
    assert confusions(at) == labels[:3]
    pick.set_value([labels[3], labels[0]]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert confusions(at) == [labels[3], labels[0]]
