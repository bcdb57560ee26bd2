"""A model trained on tables without a header whose text columns were encoded (``text=onehot``) names
them by place in ``model.json`` as its checkpoint does: the ``onehot`` step's ``feature 1`` and
``feature 3`` (not pandas' column numbers ``1``, ``3``), the ``features`` step reading their 0/1 columns
in place, the ``fill`` step naming only the number columns (``feature 0``, ``feature 2``); predict's
notes name a place as the column of the file it is (``feature 3``: ``column 5 of the file``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.export.test_card_skipped_columns import card_of
from tests.predict.test_predict_cli import cli
from tests.predict.test_predict_dropped_places import notes
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace

OPTIONS = ":text=onehot,label=2"  # the label column at the file's place 2


def rows(n: int, seed: int, hole: int | None = None) -> str:
    """``n`` rows of a number, a text column (nn/sn), the label (x/y), a number and a text column (p/q);
    row ``hole`` without its last two cells."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        first, plan = "ns"[i % 2] + "n", "pq"[int(rng.integers(2))]
        last = ",\n" if i == hole else f"{rng.normal():.3f},{plan}\n"
        lines.append(f"{rng.normal():.3f},{first},{'xy'[i % 2]},{last}")
    return "".join(lines)


def test_a_headerless_text_models_card_and_notes_name_places(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "source.csv").write_text(rows(40, 0), encoding="utf-8")
    (tmp_path / "target.csv").write_text(rows(20, 1), encoding="utf-8")
    workspace = Workspace.resolve(tmp_path / "workspace")
    source, target = (f"{tmp_path / name}.csv{OPTIONS}" for name in ("source", "target"))
    record = run_inline(workspace, AdaptConfig(source=source, target=target, epochs=1))
    assert record.status == "done", record.error
    steps = {step["op"]: step for step in card_of(workspace, record.id)["preprocessing"]}
    assert steps["onehot"]["categories"] == {"feature 1": ["nn", "sn"], "feature 3": ["p", "q"]}
    assert steps["features"]["reads"] == [
        "feature 0",
        "feature 1=nn",
        "feature 1=sn",
        "feature 2",
        "feature 3=p",
        "feature 3=q",
    ]
    assert list(steps["fill"]["values"]) == ["feature 0", "feature 2"]
    batch = tmp_path / "batch.csv"
    batch.write_text(rows(6, 2, hole=1), encoding="utf-8")
    code, text, err = cli(workspace, capsys, record.id, "--data", f"{batch}{OPTIONS},missing=impute")
    assert code == 0, err
    assert notes(text) == [
        "note: data: 1 cell of 1 column missing, filled with the model's column medians",
        "note: data: 1 text cell of 1 column missing, read as none of its column's values (its 0/1 columns "
        "all 0): column 5 of the file (1)",
    ]


def test_a_headerless_text_models_order_counts_the_files_columns(tmp_path: Path) -> None:
    """The order text counts a row's feature values in the file (a text column one), not its 0/1 columns."""
    for name, seed in (("source", 0), ("target", 1)):  # an empty column at place 2, after the label
        lines = rows(40 if seed == 0 else 20, seed).splitlines()
        text = "".join(f"{a},{b},{c},,{d},{e}\n" for a, b, c, d, e in (line.split(",") for line in lines))
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    workspace = Workspace.resolve(tmp_path / "workspace")
    source, target = (f"{tmp_path / name}.csv{OPTIONS}" for name in ("source", "target"))
    record = run_inline(workspace, AdaptConfig(source=source, target=target, epochs=1))
    assert record.status == "done", record.error
    step = next(s for s in card_of(workspace, record.id)["preprocessing"] if s["op"] == "features")
    assert step["skips"] == ["feature 2"]
    reads = ["feature 0", "feature 1=nn", "feature 1=sn", "feature 3", "feature 4=p", "feature 4=q"]
    assert step["reads"] == reads
    assert "of a row's 5 feature values the model reads those in reads" in step["order"]
