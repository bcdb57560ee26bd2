"""Every class's probability in a predictions file (``predict --probabilities all``): the model's
softmax, one column per class in its order, under names that stay unique whatever the class names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.predict.conftest import DIGITS, seeded_model
from tests.predict.test_predict import TEXT
from tests.predict.test_predict_cli import cli
from tlcore.data import load_domain
from tlcore.data.domain import Domain
from tlcore.predict import load_run_model, predict_rows, probability_columns
from tlcore.prediction_files import write_predictions
from tlcore.workspace import Workspace

TOP3 = ["id", "predicted", "confidence", "entropy", "top1", "p1", "top2", "p2", "top3", "p3"]


def softmax_of(trained_model: torch.nn.Module, X: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        logits = trained_model.eval()(X)[0].double().numpy()
    p = np.exp(logits - logits.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_all_columns_are_the_models_softmax_in_its_class_order(tmp_path: Path, suffix: str) -> None:
    classes = ("cat", "dog", "sea lion", "id", "p1")
    trained = seeded_model("mlp", (6,), classes, seed=3)
    X = 3 * torch.randn(9, 6, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3])
    path = tmp_path / f"all{suffix}"
    summary = write_predictions(
        path, predict_rows(trained, Domain("d", X, y, classes), batch_size=4), probabilities="all"
    )
    frame = pd.read_csv(path, dtype=TEXT) if suffix == ".csv" else pd.read_parquet(path)
    every = ["p_cat", "p_dog", "p_sea_lion", "p_id", "p_p1"]
    assert list(frame.columns) == [*TOP3, "label", *every]
    p = softmax_of(trained.model, X)
    np.testing.assert_allclose(frame[every].to_numpy(), p, rtol=1e-5)  # float32 logits
    np.testing.assert_allclose(frame[every].sum(axis=1), 1.0, rtol=1e-9)
    assert frame["predicted"].tolist() == [classes[i] for i in p.argmax(1)]
    np.testing.assert_allclose(frame["p1"], frame[every].max(axis=1), rtol=0, atol=1e-12)
    assert frame["id"].tolist() == [str(i) for i in range(9)] and frame["label"].tolist()[:2] == [
        "cat",
        "dog",
    ]
    assert summary.n_samples == 9


def test_the_default_file_keeps_its_columns_and_values(tmp_path: Path) -> None:
    trained = seeded_model("lenet", (1, 28, 28), DIGITS)
    domain = load_domain("mnist5k:n=20")
    top, every = tmp_path / "top.csv", tmp_path / "every.csv"
    summaries = [
        write_predictions(top, predict_rows(trained, domain, batch_size=8)).to_dict(),
        write_predictions(every, predict_rows(trained, domain, batch_size=8), probabilities="all").to_dict(),
    ]
    assert summaries[0] == summaries[1]
    default, wide = pd.read_csv(top, dtype=TEXT), pd.read_csv(every, dtype=TEXT)
    assert list(default.columns) == [*TOP3, "label"]
    assert list(wide.columns) == [*TOP3, "label", *(f"p_{d}" for d in DIGITS)]
    pd.testing.assert_frame_equal(wide[default.columns], default)


@pytest.mark.parametrize(
    ("classes", "columns"),
    [
        (("a b", "a_b", "a-b!"), ["p_a_b", "p_a_b_2", "p_a_b_3"]),  # alike once cleaned: in class order
        (("Cat", "cat", "CAT"), ["p_Cat", "p_cat_2", "p_CAT_3"]),  # alike ignoring case (SQL, spreadsheets)
        (("a b", "a_b_2", "a_b"), ["p_a_b", "p_a_b_2", "p_a_b_3"]),  # a suffix taken by a class's own name
        (("?", "", "  ", "4"), ["p_0", "p_1", "p_2", "p_4"]),  # nothing left: the class's index
        (("?", "0"), ["p_0", "p_0_2"]),
        (("id", "predicted", "p1", "top1", "label"), ["p_id", "p_predicted", "p_p1", "p_top1", "p_label"]),
        (("=cmd()", "+1", "_x_", "chat noir", "猫"), ["p_cmd", "p_1", "p_x", "p_chat_noir", "p_猫"]),
        (("x²", "x2", "café", "cafe\u0301", "a\u200bb"), ["p_x2", "p_x2_2", "p_café", "p_café_2", "p_a_b"]),
    ],
)
def test_class_names_become_unique_plain_column_names(classes: tuple[str, ...], columns: list[str]) -> None:
    assert probability_columns(classes) == columns
    assert all(c.isidentifier() for c in columns)


def test_a_clash_of_names_still_gives_every_class_its_own_column(tmp_path: Path) -> None:
    classes = ("id", "a b", "a_b", "Predicted")
    trained = seeded_model("mlp", (4,), classes, seed=1)
    X = torch.rand(5, 4, generator=torch.Generator().manual_seed(2))
    path = tmp_path / "clash.parquet"
    write_predictions(path, predict_rows(trained, Domain("d", X, None, ())), probabilities="all")
    frame = pd.read_parquet(path)
    assert list(frame.columns) == [*TOP3, "p_id", "p_a_b", "p_a_b_2", "p_Predicted"]
    assert frame["id"].tolist() == [str(i) for i in range(5)]  # the sample ids, not class "id"'s p
    np.testing.assert_allclose(frame.iloc[:, -4:].to_numpy(), softmax_of(trained.model, X), rtol=1e-5)


def test_a_batch_keeps_only_its_top_classes_sorted(tmp_path: Path) -> None:
    """The tally holds every batch's confidence and top classes: views of the batch's n x K sort kept
    all K sorted for the whole run (16 bytes per sample and class); copies keep n x 3."""
    trained = seeded_model("mlp", (4,), tuple(f"c{i}" for i in range(40)))
    (batch,) = predict_rows(trained, Domain("d", torch.rand(6, 4), None, ()))
    for values in (batch.top_index, batch.top_p, batch.confidence, batch.top_index[:, :2]):
        owner: np.ndarray | torch.Tensor = values
        while isinstance(owner, np.ndarray) and owner.base is not None:
            owner = owner.base  # a torch tensor's numpy view: its base is the tensor
        held = owner.untyped_storage().nbytes() if isinstance(owner, torch.Tensor) else owner.nbytes
        assert held == 6 * 3 * 8


def test_cli_writes_every_class_on_request_and_refuses_it_without_a_file(
    tiny_run: tuple[Workspace, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    workspace, run_id = tiny_run
    out_path = tmp_path / "every.parquet"
    args = (run_id, "--data", "digits:n=12", "--json")
    code, out, _ = cli(workspace, capsys, *args, "--out", str(out_path), "--probabilities", "all")
    wide = json.loads(out)
    assert code == 0 and wide["out"] == str(out_path)
    code, out, _ = cli(workspace, capsys, *args)
    assert code == 0 and {k: v for k, v in wide.items() if k != "out"} == {
        k: v for k, v in json.loads(out).items() if k != "out"
    }  # the summary does not change
    frame = pd.read_parquet(out_path)
    every = [f"p_{d}" for d in DIGITS]
    assert list(frame.columns) == [*TOP3, "label", *every]
    trained = load_run_model(workspace, run_id)
    domain = load_domain("digits:n=12")
    expected = softmax_of(trained.model, predict_rows(trained, domain).plan.samples(domain.X))
    np.testing.assert_allclose(frame[every].to_numpy(), expected, rtol=1e-5)
    code, out, err = cli(workspace, capsys, run_id, "--data", "digits:n=12", "--probabilities", "all")
    assert (
        code == 2 and out == "" and err == "error: --probabilities all needs --out FILE.csv or FILE.parquet\n"
    )
    with pytest.raises(SystemExit) as exited:
        cli(workspace, capsys, *args, "--out", str(tmp_path / "x.csv"), "--probabilities", "some")
    assert exited.value.code == 2 and "invalid choice: 'some'" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
