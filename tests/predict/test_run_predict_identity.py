"""A run's stored target predictions are ``predict``'s for the same files: one path from a file to
the model's input (the target decoded straight to the source's size, not to its own and resized)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.data.data_formats import png_bytes, write_zip
from tlcore.adapt.config import AdaptConfig
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.runs.jobs import run_inline
from tlcore.runs.run_files import PREDICTIONS_FILE
from tlcore.runs.store import RunStore
from tlcore.selection.predictions import TargetPredictions
from tlcore.workspace import Workspace


def shapes_zip(path: Path, n: int, background: int, seed: int) -> Path:
    """``n`` RGB photos of 20 to 59 pixels a side (no two sizes alike by design), a red disc or a
    blue square on a noisy ``background``, in class folders ``disc`` and ``square``."""
    rng = np.random.default_rng(seed)
    members = {}
    for i in range(n):
        height, width = (int(side) for side in rng.integers(20, 60, size=2))
        image = np.clip(background + rng.normal(0, 20, (height, width, 3)), 0, 255).astype(np.uint8)
        rows, cols = np.ogrid[:height, :width]
        r = 0.3 * min(height, width)
        disc = (rows - height / 2) ** 2 + (cols - width / 2) ** 2 <= r**2
        square = (abs(rows - height / 2) <= r) & (abs(cols - width / 2) <= r)
        cls = ("disc", "square")[i % 2]
        image[disc if cls == "disc" else square] = (200, 40, 40) if cls == "disc" else (40, 40, 200)
        members[f"{cls}/{i:03d}.png"] = png_bytes(image)
    return write_zip(path, members)


def test_stored_target_predictions_equal_predict_for_every_file(tmp_path: Path) -> None:
    workspace = Workspace.resolve(tmp_path / "workspace")
    source = shapes_zip(tmp_path / "source.zip", 40, 180, seed=0)
    target = f"{shapes_zip(tmp_path / 'target.zip', 30, 90, seed=1)}:blur=1"
    config = AdaptConfig(source=str(source), target=target, model="lenet_bn", epochs=1, device="cpu")
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    stored = TargetPredictions.load(RunStore(workspace).folder(record.id) / PREDICTIONS_FILE).after

    trained = load_run_model(workspace, record.id)
    batches = list(predict_rows(trained, load_data(trained, target, workspace)))
    predicted = np.concatenate([batch.predicted for batch in batches])
    confidence = np.concatenate([batch.confidence for batch in batches])
    assert len(predicted) == len(stored) == 30
    assert (predicted == stored.argmax(1)).all()
    # the stored probabilities are float32: equal up to their rounding (the old double resize: 1e-3)
    np.testing.assert_allclose(confidence, stored.max(1), rtol=0, atol=1e-6)
