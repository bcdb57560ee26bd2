"""The Diagnose page in the features of an AdaBN run stored before its source statistics were kept:
the note that its source is predicted with the target statistics sits under the map only while the
map is coloured by the run's predictions, the one place the page shows them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"


def _notes(at: AppTest) -> list[str]:
    return [
        c.value for c in at.caption if "stored before AdaBN runs kept" in re.sub(r"\\(.)", r"\1", c.value)
    ]


def test_the_note_is_under_the_map_coloured_by_prediction_only(
    app: OpenApp, workspace: Path, trained_run: Callable[[AdaptConfig], str]
) -> None:
    run_id = trained_run(
        AdaptConfig(source=SOURCE, target=TARGET, methods=("source_only", "adabn"), epochs=1)
    )
    path = RunStore(Workspace.resolve(workspace)).checkpoint_path(run_id)
    assert path is not None
    payload = torch.load(path, weights_only=True)
    del payload["source_state"]  # as checkpoints were written before 2026-12-05
    torch.save(payload, path)
    at = app("diagnose", source=SOURCE, target=TARGET)
    (space,) = [s for s in at.selectbox if s.label == "Feature space"]
    space.set_value(run_id).run()
    assert not at.exception, [e.message for e in at.exception]
    assert _notes(at) == []  # coloured by domain: no prediction shown, no note
    (colour_by,) = at.get("segmented_control")
    colour_by.set_value("prediction").run()
    assert not at.exception, [e.message for e in at.exception]
    (note,) = _notes(at)
    assert re.sub(r"\\(.)", r"\1", note) == (
        f"run {run_id} was stored before AdaBN runs kept their source statistics: its predicted classes of "
        "the source samples come from its target statistics, unlike the run's own source scores"
    )
