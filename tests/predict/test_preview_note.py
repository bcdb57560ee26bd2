"""The Predict page's preview of a predictions file (QA helper-220): the least-confident table read
31.36% and the preview below it 0.9974, unexplained. The file keeps its fractions (code reads them);
the note above the preview says they are probabilities from 0 to 1, with its first row in percent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from tests.predict.conftest import seeded_model
from tlcore.data.domain import Domain
from tlcore.predict import predict_rows
from tlcore.prediction_files import PREVIEW_ROWS, preview_note, write_predictions


def test_the_preview_says_its_confidences_are_fractions(tmp_path: Path) -> None:
    classes = ("cat", "dog", "bird")
    trained = seeded_model("mlp", (6,), classes, seed=3)
    X = 3 * torch.randn(9, 6, generator=torch.Generator().manual_seed(1))
    path = tmp_path / "scans.csv"
    summary = write_predictions(path, predict_rows(trained, Domain("d", X, None, classes), batch_size=4))
    preview = pd.read_csv(path, nrows=PREVIEW_ROWS)
    first = float(preview["confidence"].iloc[0])
    assert 0 < first <= 1  # the file's own value, a fraction
    note = preview_note(preview, summary.n_samples)
    assert note.startswith("The file as written, its 9 rows: confidence, p1, p2, ... are probabilities")
    assert f"(the first row's {first:.4g} is {100 * first:.1f}%)" in note
    assert "its first 3 of 9 rows" in preview_note(preview.head(3), 9)
    every = preview.assign(p_cat=0.5)  # the file of "Every class's probability"
    assert "p1, p2, ... and every class's p_ are probabilities" in preview_note(every, 9)
