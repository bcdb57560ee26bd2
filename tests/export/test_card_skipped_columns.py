"""``model.json`` of a table model says which columns of a file the model reads, in order, and which it
skips (the training file's columns empty in every row, its checkpoint's ``dropped``): by name for a
file with a header, by place for one without, the ``fill`` step naming the same places, and the
column of the training file each place was; a model stored before they were kept says what it said
before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.predict.test_predict_dropped_places import trained
from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.cli import main
from tlcore.model_card import BY_NAME, BY_PLACE, Parity, Provenance, model_card
from tlcore.predict import load_run_model
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

SCALING = "none here: the network standardises its input itself (inside_model)"
SKIPPED = "empty in every row of the training file"


def medians(path: Path, columns: list[int] | list[str], header: int | None = 0) -> list[float]:
    """The training source's column medians of ``columns`` (float32 values, as read), as the model
    stores them (float64)."""
    values = pd.read_csv(path, header=header)[columns].to_numpy(np.float32).astype(np.float64)
    return np.median(values, axis=0).tolist()


def features_and_fill(card: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    steps = {step["op"]: step for step in card["preprocessing"]}
    return steps["features"], steps["fill"]["values"]


def card_of(workspace: Workspace, run_id: str) -> dict[str, Any]:
    model = load_run_model(workspace, run_id).model
    provenance = Provenance(run_id, "source.csv", "target.csv", ("source_only",))
    parity = Parity("test", (2,), 0.0, 1e-4, 0)
    return model_card(
        model, model.classes, provenance, fmt="onnx", file="model.onnx", parity=parity
    ).to_dict()


def test_a_headerless_models_card_reads_and_skips_places(tmp_path: Path) -> None:
    workspace, run_id = trained(tmp_path)
    m0, m2 = medians(tmp_path / "source.csv", [0, 2], header=None)
    out = tmp_path / "exported"
    argv = [
        "--workspace",
        str(workspace.root),
        "export",
        run_id,
        "--format",
        "torchscript",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    features, fill = features_and_fill(json.loads((out / "model.json").read_text(encoding="utf-8")))
    assert features == {
        "op": "features",
        "dimension": 2,
        "dtype": "float32",
        "columns": None,
        "reads": ["feature 0", "feature 2"],
        "skips": ["feature 1"],
        "order": "a file without a header is read by the place of each column, feature 0 its first feature "
        "column (the label column left out): of a row's 3 feature values the model reads those in reads, "
        f"in that order, and not those in skips ({SKIPPED})",
        "training_file_columns": {"feature 0": "column 1 of the file", "feature 2": "column 3 of the file"},
        "training_file_indexes": {"feature 0": 0, "feature 2": 2},
        "scaling": SCALING,
    }
    assert fill == {"feature 0": m0, "feature 2": m2}

    path = RunStore(workspace).checkpoint_path(run_id)  # the same model, stored before dropped was
    old, config = load_checkpoint(path)
    old.dropped, old.file_columns = None, ()
    save_checkpoint(path, old, config, old.classes)
    features, fill = features_and_fill(card_of(workspace, run_id))
    assert features == {
        "op": "features",
        "dimension": 2,
        "dtype": "float32",
        "columns": None,
        "order": BY_PLACE,
        "scaling": SCALING,
    }
    assert fill == {"feature 0": m0, "feature 1": m2}  # its places unknown: as before


def test_a_headed_models_card_skips_its_empty_column_by_name(tmp_path: Path) -> None:
    workspace, run_id = trained(tmp_path, "a,b,c,label")
    m0, m2 = medians(tmp_path / "source.csv", ["a", "c"])
    features, fill = features_and_fill(card_of(workspace, run_id))
    assert features == {
        "op": "features",
        "dimension": 2,
        "dtype": "float32",
        "columns": ["a", "c"],
        "order": f"{BY_NAME}; the file's columns in skips are not read ({SKIPPED})",
        "skips": ["b"],
        "scaling": SCALING,
    }
    assert fill == {"a": m0, "c": m2}
