"""The Compare page's "where the predictions moved": the flows of stored predictions, a run against
another, and the samples of one flow (constructed predictions on the real small target, no training)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_escaping import _result
from tests.selection.helpers import candidate, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.data import harmonise, load_domain
from tlcore.runs.store import RunStore
from tlcore.selection.predictions import TargetFingerprint
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"
LABELS = np.arange(120) % 10
ONES = np.flatnonzero(LABELS == 1)  # 12 samples


def store_run(store: RunStore, after: np.ndarray, fingerprint: TargetFingerprint) -> str:
    """A done run whose source-only model predicts ``LABELS`` and whose adapted model ``after``."""
    config = AdaptConfig(source=SOURCE, target=TARGET, methods=("dann",), epochs=1)
    made = candidate("x", probabilities(LABELS, 0.6, k=10), after)
    run_id = store.create(config)
    result = _result(config) | {"validators": replace(made.validators, target=fingerprint).to_dict()}
    assert store.start(run_id, os.getpid())
    assert store.finish(run_id, result, write_predictions=made.predictions.save)
    return run_id


def tipped(count: int) -> np.ndarray:
    """The adapted model: ``count`` of the "1"s read as "2", confident."""
    labels = LABELS.copy()
    labels[ONES[:count]] = 2
    return probabilities(labels, 0.9, k=10)


@pytest.fixture
def runs(workspace: Path) -> dict[str, str]:
    root = Workspace.resolve(workspace)
    target = harmonise(load_domain(SOURCE, root, 0), load_domain(TARGET, root, 0))[1]
    fingerprint = TargetFingerprint.of(target.X.numpy())
    store = RunStore(root)
    return {
        "five": store_run(store, tipped(5), fingerprint),
        "two": store_run(store, tipped(2), fingerprint),
        "elsewhere": store_run(store, tipped(3), TargetFingerprint(120, "0" * 64)),
    }


def section(at: AppTest) -> list[str]:
    """The section's sentences as a reader sees them."""
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown if "target predictions" in m.value]


def test_the_flow_and_its_samples_show_without_labels(app: OpenApp, runs: dict[str, str]) -> None:
    at = app("compare", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value([runs["five"], runs["two"]]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Where the predictions moved, without target labels" in [s.value for s in at.subheader]
    (sentence,) = section(at)
    assert sentence.startswith("5 of 120 target predictions (4.2%) changed class from dann · ")
    (flows,) = [d for d in at.dataframe if "share of from" in d.value.columns]
    assert flows.value.to_dict("records") == [
        {"from": "1", "to": "2", "samples": 5, "share of from": pytest.approx(5 / 12)}
    ]
    (look,) = [s for s in at.selectbox if s.label == "Look at a flow"]
    assert look.options == ["1 → 2: 5 samples"]
    assert len(at.get("image")) == 1  # the five samples, from the target the run predicted

    against = next(s for s in at.selectbox if s.label.endswith(" against"))
    against.set_value(runs["two"]).run()
    (sentence,) = section(at)
    assert sentence.startswith("3 of 120 target predictions (2.5%) changed class between dann · ")


def test_predictions_of_other_samples_show_no_thumbnails(app: OpenApp, runs: dict[str, str]) -> None:
    at = app("compare", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value([runs["elsewhere"]]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert section(at)[0].startswith("3 of 120 target predictions")
    assert "The target data no longer gives the samples this run predicted." in [i.value for i in at.info]
    assert len(at.get("image")) == 0
