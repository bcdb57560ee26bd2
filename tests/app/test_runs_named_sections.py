"""Compare's sections under its ranking and Predict's results name runs as the ranking table does
(helper-238 listed them): "where the predictions moved", the UMAP's and the confusions' run pickers and
the negative-transfer boxes read ``deep_coral+… · 8d23a5``, not the whole composition, which stays in
the help; Predict's "Run …, data …" caption and its export's download name the run so, whole on hover."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.app import test_ranking_ui
from tests.app.helpers import plain
from tests.app.test_moved_predictions import SOURCE, TARGET, OpenApp, pair_store, section, store_run, tipped
from tests.selection.helpers import probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.run_files import CHECKPOINT_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

LONG = ("deep_coral", "im", "fixmatch", "shot_pl", "adabn")


@pytest.fixture
def two_runs(workspace: Path) -> tuple[str, str]:
    """A run whose label the ranking table cuts and a ``dann`` run, of one target."""
    store, fingerprint = pair_store(workspace)
    return store_run(store, tipped(5), fingerprint, LONG), store_run(store, tipped(2), fingerprint)


def test_compares_sections_name_runs_as_its_ranking_table(app: OpenApp, two_runs: tuple[str, str]) -> None:
    long, dann = two_runs
    cut = f"deep_coral+… · {long[-6:]}"
    at = app("compare", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value([long, dann]).run()
    assert not at.exception, [e.message for e in at.exception]
    (umap,) = [s for s in at.selectbox if s.label == "Run"]
    assert umap.options == [cut, f"dann · {dann[-6:]}"]
    assert f"{'+'.join(LONG)} ({long[-6:]})" in plain(umap.help)  # whole in the help
    (confusions,) = [m for m in at.multiselect if m.label == "Confusion matrices of"]
    assert confusions.options == [cut, f"dann · {dann[-6:]}"]
    assert f"{'+'.join(LONG)} ({long[-6:]})" in plain(confusions.help)
    against = next(s for s in at.selectbox if s.label.endswith(" against"))
    assert against.label == f"{cut} against"
    assert against.options == ["its source-only model", f"dann · {dann[-6:]} (both adapted)"]
    (sentence,) = section(at)
    assert sentence.endswith(f"changed class from {cut}'s source-only model to its adapted model.")
    boxes = [plain(b.value) for b in (*at.warning, *at.error) if "less accurate on the target" in b.value]
    fell = "is less accurate on the target than the source-only model, fell 25.0 points"
    assert [box.split(" (paired")[0] for box in boxes] == [
        f"Negative transfer: {name} {fell}" for name in (cut, f"dann · {dann[-6:]}")
    ]


@pytest.fixture
def long_run(trained_run: Callable[[AdaptConfig], str]) -> str:
    """A done run of five methods (1 epoch): the ranking table cuts its label."""
    return trained_run(AdaptConfig(source=SOURCE, target=TARGET, methods=LONG, epochs=1))


def test_predicts_caption_and_export_name_the_run_as_compare(app: OpenApp, long_run: str) -> None:
    cut, whole = f"deep_coral+… · {long_run[-6:]}", f"{'+'.join(LONG)} · {long_run[-6:]}"
    at = app("predict", source=SOURCE, target=TARGET)
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    (said,) = [c for c in at.caption if plain(c.value).startswith("Run ")]
    assert plain(said.value) == f"Run {cut}, data {TARGET}." and plain(said.help) == whole
    at.button[[b.label for b in at.button].index("Export the model")].click().run()
    (download,) = [b for b in at.get("download_button") if b.proto.label.startswith("Download the ")]
    assert download.proto.label == f"Download the onnx model of {cut}"
    assert plain(download.proto.help) == f"The model of {whole}"


def test_the_label_data_button_names_the_run_cut_and_whole_in_its_help(app: OpenApp, workspace: Path) -> None:
    """The button read the cut label (helper-237) with nothing saying the run's whole composition."""
    store = RunStore(Workspace.resolve(workspace))
    run_id = test_ranking_ui.store_run(store, LONG, probabilities(test_ranking_ui.Y, 0.9))
    (store.get(run_id).folder / CHECKPOINT_FILE).touch()
    at = app("compare", source=test_ranking_ui.SOURCE, target=test_ranking_ui.TARGET)
    assert not at.exception, [e.message for e in at.exception]
    (go,) = [b for b in at.button if b.label.startswith("Label data with")]
    assert go.label == f"Label data with deep_coral+… · {run_id[-6:]} on Predict"
    assert go.help == (
        f"Predict preselects this run, {'+'.join(LONG)} · {run_id[-6:]}: label new data with it, or export "
        "its model"
    )
