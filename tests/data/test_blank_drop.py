"""``blank=drop``: a spec option that drops the blank images (no ink) a diagnosis counts, their labels
and sample ids with them; after ``n=``, before the shifts; refused in one line where it cannot apply."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tlcore.cli import main
from tlcore.data import load_domain, parse_spec
from tlcore.data.ink import blank_mask
from tlcore.data.spec_edit import blank_dropped, compose_spec, spec_parts
from tlcore.data.spec_text import anchored
from tlcore.errors import TLError
from tlcore.explain.image_stats import image_stats

CONSTANT = [3, 10, 20, 30, 40, 59]  # the rows of scans.npz that are one grey value


def run(capsys: pytest.CaptureFixture[str], workspace: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    """60 MNIST digits with their labels, 6 of them (:data:`CONSTANT`) set to one grey value."""
    digits = load_domain("mnist5k:n=60", seed=0)
    X = digits.X.numpy()[:, 0].copy()
    X[CONSTANT] = 0.7
    path = tmp_path / "scans.npz"
    np.savez(path, X=X, y=digits.y.numpy(), classes=np.array(digits.classes))
    return path


def test_blank_drop_keeps_the_54_images_with_ink_with_their_labels_and_ids_in_order(scans: Path) -> None:
    whole = load_domain(str(scans))
    kept = load_domain(f"{scans}:blank=drop")
    rows = [i for i in range(60) if i not in CONSTANT]
    assert kept.n_samples == 54 and kept.name == f"{scans}:blank=drop"
    assert kept.ids == tuple(map(str, rows))  # the file's rows, in order
    assert torch.equal(kept.y, whole.y[rows]) and torch.equal(kept.X, whole.X[rows])
    assert kept.provenance.endswith("; 6 blank images dropped (no ink)")
    # the diagnosis counts by the same predicate: the 6 it drops, none left after it
    assert blank_mask(whole.X).nonzero().flatten().tolist() == CONSTANT
    assert image_stats(whole).n_blank == 6 and image_stats(kept).n_blank == 0


def test_blank_drop_comes_after_n_and_before_the_shifts(scans: Path) -> None:
    drawn = load_domain(f"{scans}:n=30", seed=2)
    kept = load_domain(f"{scans}:n=30,blank=drop", seed=2)
    assert kept.ids == tuple(i for i in drawn.ids if int(i) not in CONSTANT)  # the same draw, less its blanks
    assert 24 <= kept.n_samples < 30
    # a rotation's black corners would pass for ink on the grey images: they are dropped before it
    rotated = load_domain(f"{scans}:rotate=10")
    assert not blank_mask(rotated.X).any()
    assert load_domain(f"{scans}:blank=drop,rotate=10").n_samples == 54
    with pytest.raises(TLError, match="n=61 is more than the 60 samples"):
        load_domain(f"{scans}:n=61,blank=drop")


def test_blank_drop_round_trips_through_every_spec_text() -> None:
    spec = parse_spec("upload:scans.npz:rotate=10,BLANK=Drop,n=500")
    assert spec.drop_blank and str(spec) == "upload:scans.npz:n=500,blank=drop,rotate=10"
    assert parse_spec(str(spec)) == spec
    assert spec_parts(str(spec)) == ("upload:scans.npz", 500, {"rotate": 10.0}, True)  # the Data page's box
    assert compose_spec(*spec_parts(str(spec))) == str(spec)
    assert compose_spec("digits:blank=drop", None, {}) == "digits:blank=drop"  # a base that drops keeps it
    assert anchored("./scans.npz:blank=drop").endswith("/scans.npz:blank=drop")
    assert blank_dropped("digits:n=100,invert=1") == "digits:n=100,blank=drop,invert=1"
    assert blank_dropped("digits:blank=drop") is None and blank_dropped("not a spec") is None
    assert replace(spec, drop_blank=False) == parse_spec("upload:scans.npz:n=500,rotate=10")


def test_data_inspect_says_how_many_blank_images_were_dropped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scans: Path
) -> None:
    workspace = tmp_path / "ws"
    assert run(capsys, workspace, "data", "upload", str(scans))[0] == 0
    code, out, err = run(capsys, workspace, "data", "inspect", "upload:scans.npz:blank=drop")
    assert code == 0, err
    assert out.startswith("upload:scans.npz:blank=drop: 54 image samples of shape [1, 28, 28]")
    assert "; 6 blank images dropped (no ink)" in out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("table.csv:blank=drop", "error: blank=drop applies to images only; table.csv holds feature vectors"),
        (
            "empty.npz:blank=drop",
            "error: every image of empty.npz is blank (no ink): blank=drop would leave none",
        ),
        (
            "empty.npz:blank=keep",
            "error: blank=keep: use blank=drop (drop the blank images: no ink or foreground)",
        ),
    ],
)
def test_blank_drop_is_refused_in_one_line_where_it_cannot_apply(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"a": [0.1, 0.2, 0.3], "b": [1.0, 2.0, 3.0], "label": [0, 1, 0]}).to_csv(
        "table.csv", index=False
    )
    np.savez("empty.npz", X=np.full((5, 28, 28), 0.3, np.float32))
    code, out, err = run(capsys, tmp_path / "ws", "data", "inspect", spec)
    assert code == 2 and out == "" and err == message + "\n"
