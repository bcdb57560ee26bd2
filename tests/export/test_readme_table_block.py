"""The README's table block on real table runs: a file with a header in another column order and a file
without one (its label column in the middle, a column empty in every training row), each with a text
column read with ``text=onehot`` (a value the source never had, an empty cell) and missing numbers
(``missing=impute``): the block, following ``model.json`` alone, gives every row predict's class and
probability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.export.test_export_e2e import run_readme_block
from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.export import export_run
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.runs.jobs import run_inline
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OPTIONS = "text=onehot,missing=impute"
REGIONS = ("east", "north", "south")


def rows(n: int, seed: int, regions: tuple[str, ...] = REGIONS) -> list[dict[str, str]]:
    """``n`` rows: ``temp`` and ``flow`` numbers that tell the class, ``region`` text, an empty ``notes``
    and a ``label`` (low, mid, high); a few cells missing or not numbers."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = i % 3
        out.append(
            {
                "temp": f"{20 + 6 * k + rng.normal():.3f}",
                "label": ("low", "mid", "high")[k],
                "region": regions[(i + k) % len(regions)],
                "notes": "",
                "flow": f"{3 + k * rng.uniform(0.5, 1.5):.3f}",
            }
        )
    out[1]["temp"], out[2]["flow"], out[4]["region"], out[5]["temp"] = "n/a", "", "", "#DIV/0!"
    return out


def write(path: Path, table: list[dict[str, str]], columns: list[str], header: bool) -> str:
    lines = [",".join(columns)] if header else []
    lines += [",".join(row[c] for c in columns) for row in table]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def confident_run(folder: Path, source: str, target: str) -> tuple[Workspace, str]:
    """A done 1-epoch run, its head scaled so that a wrong input moves the printed probabilities."""
    workspace = Workspace.resolve(folder / "workspace")
    record = run_inline(workspace, AdaptConfig(source=source, target=target, epochs=1))
    assert record.status == "done", record.error
    path = RunStore(workspace).checkpoint_path(record.id)
    model, config = load_checkpoint(path)
    with torch.no_grad():
        model.head.weight.mul_(30)
    save_checkpoint(path, model, config, model.classes)
    return workspace, record.id


def predicted(workspace: Workspace, run_id: str, spec: str) -> np.ndarray:
    """predict's probabilities for every row of ``spec``, in the file's order."""
    trained = load_run_model(workspace, run_id)
    batches = list(predict_rows(trained, load_data(trained, spec)))
    assert np.concatenate([b.rows for b in batches]).tolist() == list(range(sum(map(len, batches))))
    return np.concatenate([b.p for b in batches])


@pytest.mark.parametrize("header", [True, False])
def test_readme_table_block_labels_rows_as_predict_does(tmp_path: Path, header: bool) -> None:
    order = ["temp", "label", "region", "notes", "flow"]  # without a header: label=1, notes empty
    labels = "" if header else ",label=1"
    source = write(tmp_path / "source.csv", rows(60, 0), order, header) + f":{OPTIONS}{labels}"
    new = rows(12, 1, ("north", "south", "west"))
    for i, row in enumerate(new):
        row["notes"], row["id"] = "7", f"r{i}"  # notes: a value where training had none, not read
    later = ["flow", "id", "label", "notes", "region", "temp"] if header else order
    path = write(tmp_path / "new.csv", new, later, header)
    workspace, run_id = confident_run(tmp_path, source, f"{path}:{OPTIONS}{labels}")
    out = export_run(workspace, run_id, "onnx", tmp_path / "exported").folder
    expected = predicted(workspace, run_id, f"{path}:{OPTIONS}{labels}")
    assert_block_prints(tmp_path, out, Path(path), expected, load_run_model(workspace, run_id).classes)


def test_readme_table_block_labels_a_headerless_batch_without_its_label_column(tmp_path: Path) -> None:
    """A batch to label has no label column: the block reads it as predict does, each row as the same
    row laid out as the training file (its label in the middle) is read."""
    order = ["temp", "label", "region", "notes", "flow"]
    source = write(tmp_path / "source.csv", rows(60, 0), order, False) + f":{OPTIONS},label=1"
    new = rows(12, 1, ("north", "south", "west"))
    laid_out = write(tmp_path / "laid_out.csv", new, order, False)
    batch = write(tmp_path / "batch.csv", new, [c for c in order if c != "label"], False)
    workspace, run_id = confident_run(tmp_path, source, f"{laid_out}:{OPTIONS},label=1")
    out = export_run(workspace, run_id, "onnx", tmp_path / "exported").folder
    expected = predicted(workspace, run_id, f"{batch}:{OPTIONS},label=none")
    as_trained = predicted(workspace, run_id, f"{laid_out}:{OPTIONS},label=1")
    np.testing.assert_allclose(expected, as_trained, atol=1e-6)
    assert_block_prints(tmp_path, out, Path(batch), expected, load_run_model(workspace, run_id).classes)


def assert_block_prints(
    tmp_path: Path, out: Path, data: Path, expected: np.ndarray, classes: tuple[str, ...]
) -> None:
    """The README's block on ``data`` prints each row's class and probability as ``expected`` holds them."""
    stdout = run_readme_block(tmp_path, 1, out, data, {"onnxruntime", "pandas", "numpy"})
    printed = [line.split(" ") for line in stdout.splitlines()]
    assert [(int(row), name) for row, name, _ in printed] == [
        (i, classes[k]) for i, k in enumerate(expected.argmax(1))
    ]
    shares = np.array([float(share.rstrip("%")) / 100 for _, _, share in printed])
    assert np.abs(shares - expected.max(1)).max() <= 0.0005 + 1e-6  # printed to 0.1%
    assert len(set(expected.argmax(1))) > 1  # rows the model tells apart
