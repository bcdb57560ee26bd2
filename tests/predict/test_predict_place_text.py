"""``predict`` of a model trained on a table without a header read with ``text=onehot``: a new file
without one is matched by the place of each column, its text column taking the model's values (one
the model never had reported, one the file lacks a column of zeros), as a header's file is; another
number of places is refused saying both counts, even where the 0/1 columns make up the width."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.predict.test_predict_cli import cli
from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace

SOURCE = ("east", "north", "south")


def table(rows: int, regions: tuple[str, ...], extra: bool = False) -> str:
    """A CSV without a header: a number, a region, a number (and a fourth place, ``extra``), a label."""
    lines = []
    for i in range(rows):
        region = regions[i % len(regions)]
        places = [f"{i % 7 * 0.5:.1f}", region, f"{i % 3 - 1:.1f}", *(["1.0"] if extra else [])]
        lines.append(",".join([*places, "hi" if region == "north" else "lo"]) + "\n")
    return "".join(lines)


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return str(folder / name)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str, Path]:
    folder = tmp_path_factory.mktemp("place_text")
    source = write(folder, "s.csv", table(30, SOURCE)) + ":label=3,text=onehot"
    target = write(folder, "t.csv", table(12, SOURCE)) + ":label=3,text=onehot"
    workspace = Workspace.resolve(folder / "workspace")
    record = run_inline(workspace, AdaptConfig(source=source, target=target, epochs=1))
    assert record.status == "done", record.error
    return workspace, record.id, folder


@pytest.mark.parametrize(
    ("regions", "west"),
    [(("north", "south", "west"), 2), (("north", "west"), 3)],  # as wide as the source's 0/1 columns, or not
)
def test_a_batch_without_a_header_takes_the_models_values(
    run: tuple[Workspace, str, Path], capsys: pytest.CaptureFixture[str], regions: tuple[str, ...], west: int
) -> None:
    workspace, run_id, folder = run
    spec = write(folder, "batch.csv", table(6, regions)) + ":label=3,text=onehot"
    trained = load_run_model(workspace, run_id)
    assert trained.model.columns == () and trained.model.categories == {"feature 1": SOURCE}
    predictions = predict_rows(trained, load_data(trained, spec))
    conformed = predictions.plan.samples(predictions.domain.X)
    rows = [line.split(",") for line in table(6, regions).splitlines()]
    expected = [
        [float(x0), *(float(region == value) for value in SOURCE), float(x2)] for x0, region, x2, _ in rows
    ]
    assert conformed.tolist() == expected
    note = (
        f"data: {west} samples with text values the model never had, read as none of its values "
        f"(their 0/1 columns all 0): column 2 of the file: west ({west})"
    )
    assert predictions.notes() == [note]
    with torch.no_grad():
        logits = trained.model.eval()(torch.tensor(expected))[0]
    assert [int(i) for batch in predictions for i in batch.top_index[:, 0]] == logits.argmax(1).tolist()

    code, out, _ = cli(workspace, capsys, run_id, "--data", spec)
    assert code == 0 and f"note: {note}" in " ".join(out.split())


def test_another_number_of_places_is_refused_saying_both_counts(run: tuple[Workspace, str, Path]) -> None:
    workspace, run_id, folder = run
    spec = write(folder, "wide.csv", table(6, ("north", "west"), extra=True)) + ":label=4,text=onehot"
    trained = load_run_model(workspace, run_id)
    domain = load_data(trained, spec)
    assert domain.shape == (5,)  # the model's width: two values' columns and a fourth place
    with pytest.raises(TLError) as refused:
        predict_rows(trained, domain)
    assert str(refused.value) == (
        f"{spec} has 4 feature columns and the file {trained.name} was trained on had 3: a table without a "
        "header is read by the place of each column, so it needs the training file's columns, in their order"
    )
