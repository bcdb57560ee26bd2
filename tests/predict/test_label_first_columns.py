"""A table without a header whose label column comes first: its places (``feature 1``, the label left
out) stay the names a model stores and a file to predict is matched by, while every note a user reads
names the column of the file it is (``column 3 of the file`` in the training file, ``column 2 of the
file`` in a batch without the label column); a model stored before the card named them still predicts
with the same notes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.predict.test_predict_cli import cli
from tests.predict.test_predict_dropped_places import notes, write
from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import load_checkpoint
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_domain
from tlcore.explain.columns import column_drift
from tlcore.explain.settings import ExplainSettings
from tlcore.model_card import Parity, Provenance, model_card
from tlcore.predict import load_run_model
from tlcore.runs.jobs import run_inline
from tlcore.runs.store import RunStore
from tlcore.views.explore import table_preview
from tlcore.views.text_cells import row_cells
from tlcore.workspace import Workspace

IGNORED = (
    "note: data: column 2 of the file was empty in every row of the training file and the model does not "
    "read it: ignored"
)


def table(rows: int, seed: int, empty: int | None = None, labels: bool = True) -> str:
    """Labels ``x``/``y`` first (unless not ``labels``), then 3 feature columns, the one at ``empty``
    left empty."""
    values = np.random.default_rng(seed).normal(size=(rows, 3)).round(3)
    lines = [",".join("" if j == empty else str(v) for j, v in enumerate(row)) for row in values]
    return "".join((f"{'xy'[i % 2]}," if labels else "") + f"{line}\n" for i, line in enumerate(lines))


def test_a_pair_names_the_places_after_the_label_by_their_column_of_the_file(tmp_path: Path) -> None:
    source = load_domain(write(tmp_path, "s.csv", table(12, 0, empty=1)))
    target = load_domain(write(tmp_path, "t.csv", table(12, 1)) + ":missing=impute")
    assert source.provenance.startswith(
        "s.csv: 12 rows x 2 features, labels from column 1 of the file (label=0); WARNING: column 3 of the "
        "file is empty in every row: dropped"
    )
    new_source, paired = harmonise(source, target)
    assert paired.column_names == ("feature 0", "feature 2")  # the stored names: places
    assert paired.meta["pair_report"].lines() == [
        "WARNING: column 3 of the file is empty in every row of the source: dropped from the source and the "
        "target (it carries no value to learn from)"
    ]
    drift = column_drift(new_source, paired, ExplainSettings())
    shown = ["column 2 of the file", "column 4 of the file"]
    assert [c.name for c in drift] == shown
    assert list(table_preview(paired).columns) == [*shown, "label"]  # the Data page's preview
    assert list(row_cells(paired)(0, [1, 0])) == shown[::-1]  # Diagnose's and a run's changes' rows


def trained(folder: Path) -> tuple[Workspace, str]:
    source = write(folder, "source.csv", table(40, 0, empty=1))
    target = write(folder, "target.csv", table(20, 1))
    workspace = Workspace.resolve(folder / "workspace")
    record = run_inline(workspace, AdaptConfig(source=source, target=target, epochs=1))
    assert record.status == "done", record.error
    return workspace, record.id


def features_step(workspace: Workspace, run_id: str) -> dict[str, object]:
    model = load_run_model(workspace, run_id).model
    provenance = Provenance(run_id, "source.csv", "target.csv", ("source_only",))
    parity = Parity("test", (2,), 0.0, 1e-4, 0)
    card = model_card(model, model.classes, provenance, fmt="onnx", file="model.onnx", parity=parity)
    return next(step for step in card.to_dict()["preprocessing"] if step["op"] == "features")


def test_a_model_keeps_places_its_card_names_columns_and_one_stored_before_still_predicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The model stores places and the training file's columns; a batch without the label column is
    matched by place, its note naming its own column. The same checkpoint as stored before (no file
    columns): the card names none, and predict gives the same notes and predictions."""
    workspace, run_id = trained(tmp_path)
    model = load_run_model(workspace, run_id).model
    assert (model.dropped, model.file_columns) == (("feature 1",), (1, 2, 3))
    step = features_step(workspace, run_id)
    assert (step["reads"], step["skips"]) == (["feature 0", "feature 2"], ["feature 1"])
    assert step["training_file_columns"] == {
        "feature 0": "column 2 of the file",
        "feature 2": "column 4 of the file",
    }
    assert step["training_file_indexes"] == {"feature 0": 1, "feature 2": 3}  # pandas' header=None numbers
    batch = write(tmp_path, "batch.csv", table(6, 2, labels=False)) + ":label=none"  # place 1: column 2
    code, text, err = cli(workspace, capsys, run_id, "--data", batch)
    assert code == 0 and notes(text) == [IGNORED], err
    _, before, _ = cli(workspace, capsys, run_id, "--data", batch, "--json")

    path = RunStore(workspace).checkpoint_path(run_id)
    payload = torch.load(path, weights_only=True)
    del payload["file_columns"]  # the checkpoint as stored before: its places only
    torch.save(payload, path)
    assert load_checkpoint(path)[0].file_columns == ()
    assert "training_file_columns" not in features_step(workspace, run_id)
    code, text, err = cli(workspace, capsys, run_id, "--data", batch)
    assert code == 0 and notes(text) == [IGNORED], err
    _, after, _ = cli(workspace, capsys, run_id, "--data", batch, "--json")
    assert after == before
