"""The Predict page on a run trained on a table without a header whose middle column was empty in every
row: a later upload with a value there is labelled without that place, and one empty there too, each
with the engine's note on the column, as ``python -m tlcore predict`` gives it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from app_support import display
from tests.app.helpers import click
from tlcore.adapt.config import AdaptConfig
from tlcore.data import save_upload
from tlcore.runs import jobs
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def rows(n: int, seed: int, blank: bool) -> bytes:
    """``n`` rows of 3 features (the middle one empty with ``blank``) and a label, no header."""
    values = np.random.default_rng(seed).normal(size=(n, 3)).round(3)
    return "".join(
        f"{a},{'' if blank else b},{c},{'xy'[i % 2]}\n" for i, (a, b, c) in enumerate(values)
    ).encode()


def test_the_page_notes_the_place_the_model_does_not_read(app: OpenApp, workspace: Path) -> None:
    store = Workspace.resolve(workspace)
    specs = {
        name: f"upload:{save_upload(store, f'{name}.csv', data)}"
        for name, data in (
            ("source", rows(40, 0, True)),
            ("target", rows(20, 1, False)),
            ("full", rows(6, 2, False)),
            ("blanked", rows(6, 2, True)),
        )
    }
    config = AdaptConfig(source=specs["source"], target=specs["target"], methods=("source_only",), epochs=1)
    assert jobs.run_inline(store, config).status == "done"
    at = app("predict", source=specs["source"], target=specs["target"])
    expected = {
        "full": "data: column 2 of the file was empty in every row of the training file and the model does "
        "not read it: ignored",
        "blanked": "data: column 2 of the file is empty in every row, so reading dropped it; the model was "
        "trained without it",
    }
    for name, note in expected.items():
        at.text_input(key="predict_spec").set_value(specs[name]).run()
        click(at, "Predict every sample")
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert {m.label: m.value for m in at.metric}["Samples"] == "6"
        assert display.esc(f"Note: {note}.") in [c.value for c in at.caption]
