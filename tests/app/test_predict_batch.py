"""The Predict page on a run adapted to a shifted target (a diagnosis' fix): a new batch gets the run's
target shifts by default and can be read unlabelled, and an accuracy carries its count and interval,
each as `python -m tlcore predict` gives it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_digits
from streamlit.testing.v1 import AppTest

from app_support import display
from tests.app.helpers import plain
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120,invert=1"  # the run was adapted on inverted digits
SHIFTS = "Give the batch the run's target shifts: invert=1"


@pytest.fixture
def run_id(trained_run: Callable[[AdaptConfig], str]) -> str:
    """A done source_only run of the pair (1 epoch) in the test's workspace."""
    return trained_run(AdaptConfig(source=SOURCE, target=TARGET, methods=("source_only",), epochs=1))


def dated_zip(n: int = 12) -> bytes:
    """``n`` loose digits in month folders (``2026-01/``, ``2026-02/``): folders that are no classes."""
    from PIL import Image  # noqa: PLC0415

    bunch = load_digits()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(n):
            png = io.BytesIO()
            Image.fromarray((bunch.images[i] / 16 * 255).astype("uint8")).resize((28, 28)).save(png, "PNG")
            archive.writestr(f"2026-0{1 + i % 2}/scan_{i:02d}.png", png.getvalue())
    return buffer.getvalue()


def label_batch(at: AppTest, name: str, labels: str) -> AppTest:
    at.file_uploader(key="predict_batch_file").upload(name, dated_zip(), "application/zip")
    at.text_input(key="predict_batch_label").input(labels)
    return at.button[[b.label for b in at.button].index("Label this batch")].click().run()


def cli_rows(workspace: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> pd.DataFrame:
    out = workspace.parent / "cli.csv"
    capsys.readouterr()
    assert main(["--workspace", str(workspace), "predict", *argv, "--out", str(out)]) == 0
    return pd.read_csv(out)


def page_rows(at: AppTest) -> pd.DataFrame:
    return at.dataframe[-1].value  # the first 200 rows of the page's CSV (a batch holds 12)


def test_a_new_batch_gets_the_runs_target_shifts_unless_unticked_and_can_be_read_unlabelled(
    app: OpenApp, workspace: Path, run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The QA case: a run adapted on ``upload:target.zip:contrast=2.95`` labelled a new batch as the
    plain files, a small caption saying they lacked the shifts; and a zip of date folders could not be
    read unlabelled, the Predict uploader having no label column field."""
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    # named as `data upload --label COLUMN` and the spec's label= mean it (QA helper-117: "Labels")
    assert at.text_input(key="predict_batch_label").label == "Label column (optional)"
    (shifts,) = [c for c in at.checkbox if c.label == SHIFTS]
    assert shifts.value is False  # offered unticked: a named dataset's shifts make its target domain
    shifts.check().run()  # ticked by default on a fix of the user's files (tests/predict: shifts_fix_data)
    label_batch(at, "batch.zip", "none")
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    spec = "upload:batch.zip:label=none,invert=1"
    assert at.text_input(key="predict_spec").value == spec
    assert at.text_input(key="predict_batch_label").value == ""  # for this save only
    assert {m.label: m.value for m in at.metric}["Samples"] == "12"
    assert not [c for c in at.caption if "lack its shifts" in c.value]
    shifted = cli_rows(workspace, capsys, run_id, "--data", "upload:batch.zip:label=none", "--run-shifts")
    pd.testing.assert_frame_equal(page_rows(at), shifted, check_exact=False, rtol=1e-6)
    assert shifted.equals(cli_rows(workspace, capsys, run_id, "--data", spec))

    next(c for c in at.checkbox if c.label == SHIFTS).uncheck().run()  # opted out: the files as they are
    label_batch(at, "plain.zip", "none")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.text_input(key="predict_spec").value == "upload:plain.zip:label=none"
    assert [plain(c.value) for c in at.caption if "lack its shifts" in c.value] == [
        f"Note: data: the model was adapted to {TARGET}; these data lack its shifts invert=1 (add them to "
        "the data's spec if its files need the same)."
    ]
    plain_rows = cli_rows(workspace, capsys, run_id, "--data", "upload:plain.zip:label=none")
    pd.testing.assert_frame_equal(page_rows(at), plain_rows, check_exact=False, rtol=1e-6)
    assert not plain_rows["confidence"].equals(shifted["confidence"])  # the shift changed the predictions


def test_the_accuracy_on_labelled_data_carries_its_count_and_interval_as_the_cli_prints(
    app: OpenApp, workspace: Path, run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    at = app("predict", source=SOURCE, target=TARGET)
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    capsys.readouterr()
    assert main(["--workspace", str(workspace), "predict", run_id, "--data", TARGET]) == 0
    (line,) = [x.strip() for x in capsys.readouterr().out.splitlines() if x.strip().startswith("accuracy ")]
    counted = line.removeprefix("accuracy ").removesuffix(": predicted class = the data's label")
    assert " of 120, 95% CI " in counted
    assert {m.label: m.value for m in at.metric}["Accuracy"] == counted.split(" ")[0]
    expected = f"Accuracy on all 120 labelled samples of {TARGET}: {counted};"
    assert next(c.value for c in at.caption if c.value.startswith("Accuracy ")).startswith(
        display.esc(expected)
    )
