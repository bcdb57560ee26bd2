"""The Predict page on a real tiny run: an unlabelled zip labelled file by file, and the model exported."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_support import display
from tests.app.helpers import loose_digits_zip, pair_field, plain
from tlcore.adapt.config import AdaptConfig
from tlcore.data import load_domain, save_upload
from tlcore.data.ink import blank_warning
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.prediction_summary import Uncertain
from tlcore.runs import jobs
from tlcore.views import thumbnails
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"


@pytest.fixture
def finished_run(trained_run: Callable[[AdaptConfig], str]) -> str:
    """A done source_only run of the pair (1 epoch) in the test's workspace."""
    return trained_run(AdaptConfig(source=SOURCE, target=TARGET, methods=("source_only",), epochs=1))


def has_download(at: AppTest, label_start: str) -> bool:
    return any(b.proto.label.startswith(label_start) for b in at.get("download_button"))


def test_an_unlabelled_upload_is_labelled_one_row_per_file(
    app: OpenApp, workspace: Path, finished_run: str
) -> None:
    data = io.BytesIO(loose_digits_zip(7))
    with zipfile.ZipFile(data, "a") as archive:
        archive.writestr("scans/broken.png", b"not a png")  # no row: the page says so
    name = save_upload(Workspace.resolve(workspace), "scans.zip", data.getvalue())
    at = app("predict", source=SOURCE, target=f"upload:{name}")
    assert not at.exception, [e.message for e in at.exception]
    assert at.text_input(key="predict_spec").value == f"upload:{name}"
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Samples"] == "7" and metrics["Accuracy"] == "unlabelled"
    assert len(at.get("plotly_chart")) == 2 and len(at.get("image")) == 1
    csv = next((Path(workspace) / "predictions" / finished_run).glob("*.csv"))
    table = pd.read_csv(csv)
    assert sorted(table["id"]) == [f"scans/scan_{i:02d}.png" for i in range(7)]
    assert has_download(at, "Predictions, one row per sample")
    trained = load_run_model(Workspace.resolve(workspace), finished_run)  # the CLI's notes, shown
    notes = predict_rows(trained, load_data(trained, f"upload:{name}", Workspace.resolve(workspace))).notes()
    captions = [c.value for c in at.caption]
    assert notes and all(display.esc(f"Note: {note}.") in captions for note in notes), captions


def test_a_bad_spec_shows_one_error_box(app: OpenApp, finished_run: str) -> None:
    at = app("predict", source=SOURCE, target=TARGET)
    at.text_input(key="predict_spec").set_value("nonsense").run()
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "unknown domain" in at.error[0].value


def test_the_model_exports_as_a_zip_with_its_model_card(
    app: OpenApp, workspace: Path, finished_run: str
) -> None:
    at = app("predict", source=SOURCE, target=TARGET)
    at.button[[b.label for b in at.button].index("Export the model")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert has_download(at, "Download the onnx model")
    assert not list((Path(workspace) / "exports").iterdir())  # only the zip leaves, no folder stays
    from app_support import predictions  # noqa: PLC0415 - the page's cached call, read back directly

    data, shown = predictions._export_zip(str(workspace), finished_run, "onnx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    card = json.loads(archive.read(f"{finished_run}-onnx/model.json"))
    assert card["classes"] == [str(i) for i in range(10)] and card["file"] == "model.onnx"
    assert card == shown.to_dict()  # the card the caption reads is the one in the zip
    opset = onnx.load_from_string(archive.read(f"{finished_run}-onnx/model.onnx")).opset_import
    assert card["onnx_opset"] == next(o.version for o in opset if o.domain in {"", "ai.onnx"})
    parity = card["parity"]
    caption = (
        f"model.onnx (ONNX opset {card['onnx_opset']}) and model.json; checked: {parity['runtime']} vs "
        f"torch, batches of 2, 5, 1: max |Δ logit| {parity['max_abs_diff']:.2g} (allowed 0.0001)."
    )
    assert display.esc(caption) in [c.value for c in at.caption]
    at.selectbox(key="export_format").set_value("torchscript").run()  # not exported yet: no download
    assert not has_download(at, "Download the") and not at.exception
    at.selectbox(key="export_format").set_value("onnx").run()  # exported already: its zip again
    assert has_download(at, "Download the onnx model")


def test_data_to_label_follows_the_sidebar_target_unless_typed_for_it(
    app: OpenApp, finished_run: str
) -> None:
    at = app("predict", source=SOURCE, target=TARGET)
    assert at.text_input(key="predict_spec").value == TARGET
    pair_field(at).set_value("digits:n=60").run()
    assert at.text_input(key="predict_spec").value == "digits:n=60"  # the new target, not the first
    at.text_input(key="predict_spec").set_value("mnist5k:n=50").run()
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/predict.py").run()
    assert at.text_input(key="predict_spec").value == "mnist5k:n=50"  # typed for this target: kept
    pair_field(at).set_value("digits:n=70").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.text_input(key="predict_spec").value == "digits:n=70"


def _table(columns: list[str], n: int, labelled: bool) -> bytes:
    """A CSV of ``n`` rows of numeric ``columns`` (and a text label, when ``labelled``)."""
    header = ",".join([*columns, "label"] if labelled else columns)
    rows = [
        ",".join(
            [*(f"{(i * (j + 2)) % 7 / 3:.3f}" for j in range(len(columns)))]
            + (["ab"[i % 2]] if labelled else [])
        )
        for i in range(n)
    ]
    return "\n".join([header, *rows, ""]).encode()


def test_a_new_batch_uploaded_on_predict_is_labelled_and_the_pair_stays(
    app: OpenApp, workspace: Path
) -> None:
    """A table user's new batch (its columns in another order) goes through the upload path, stored as
    upload:NAME, and is labelled with the chosen run: source and target are untouched."""
    ws = Workspace.resolve(workspace)
    source = f"upload:{save_upload(ws, 'last_year.csv', _table(['f1', 'f2', 'f3'], 40, True))}"
    target = f"upload:{save_upload(ws, 'this_year.csv', _table(['f3', 'f1', 'f2'], 30, False))}"
    config = AdaptConfig(source=source, target=target, methods=("source_only",), epochs=1)
    record = jobs.run_inline(ws, config)
    assert record.status == "done", record.error
    at = app("predict", source=source, target=target)
    at.file_uploader(key="predict_batch_file").upload("new batch.csv", _table(["f2", "f3", "f1"], 9, False))
    at.button[[b.label for b in at.button].index("Label this batch")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert (at.session_state["pair_source"], at.session_state["pair_target"]) == (source, target)
    assert at.text_input(key="predict_spec").value == "upload:new_batch.csv"
    assert (ws.root / "uploads" / "new_batch.csv").is_file()
    assert {m.label: m.value for m in at.metric}["Samples"] == "9"
    assert has_download(at, "Predictions, one row per sample")
    at.file_uploader(key="predict_batch_file").upload("bad.csv", b"f1,f2\n1,x\n", "text/csv")
    at.button[[b.label for b in at.button].index("Label this batch")].click().run()
    assert not at.exception and len(at.error) == 1 and "numeric feature columns" in at.error[0].value
    assert (at.session_state["pair_source"], at.session_state["pair_target"]) == (source, target)


def test_the_intro_describes_the_batch_being_labelled_not_the_sidebars_target(
    app: OpenApp, workspace: Path
) -> None:
    """With an image pair in the sidebar, a table run's new batch uploaded on Predict: the intro named
    no data and promised "one row per image" (the sidebar's target); now it names the batch and its
    rows. Before any upload it describes the sidebar's target, the data to label then."""
    ws = Workspace.resolve(workspace)
    source = f"upload:{save_upload(ws, 'last_year.csv', _table(['f1', 'f2', 'f3'], 40, True))}"
    target = f"upload:{save_upload(ws, 'this_year.csv', _table(['f1', 'f2', 'f3'], 30, False))}"
    record = jobs.run_inline(
        ws, AdaptConfig(source=source, target=target, methods=("source_only",), epochs=1)
    )
    assert record.status == "done", record.error
    at = app("predict", source=SOURCE, target=TARGET)
    intro = at.caption[0].value
    assert f"every sample of {display.esc(TARGET)} " in intro and "one row per image" in intro
    at.file_uploader(key="predict_batch_file").upload("new batch.csv", _table(["f2", "f3", "f1"], 9, False))
    at.button[[b.label for b in at.button].index("Label this batch")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    intro = at.caption[0].value
    assert f"every sample of {display.esc('upload:new_batch.csv')} " in intro, intro
    assert "one row per row of the table" in intro and "image" not in intro


def test_blank_data_are_warned_of(app: OpenApp, workspace: Path, finished_run: str) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.zeros((12, 1, 28, 28), dtype=np.float32))  # no ink in any image
    spec = f"upload:{save_upload(Workspace.resolve(workspace), 'blank.npz', buffer.getvalue())}"
    at = app("predict", source=SOURCE, target=spec)
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    blank = blank_warning(load_domain(spec, Workspace.resolve(workspace)))  # what `predict` says
    assert blank is not None and blank.startswith(f"12 of 12 {spec} images are blank (no ink)")
    assert [w.value for w in at.warning] == [display.esc(blank)]


def test_a_dropped_row_of_a_table_without_ids_is_named_by_its_line_and_its_id(
    app: OpenApp, workspace: Path
) -> None:
    """QA helper-155: the note named "line 7 of the file" while the predictions' ids are data-row
    numbers (id 5): it says both, the id in the word of the predictions file's column."""
    ws = Workspace.resolve(workspace)
    source = f"upload:{save_upload(ws, 'last_year.csv', _table(['f1', 'f2'], 40, True))}"
    target = f"upload:{save_upload(ws, 'this_year.csv', _table(['f1', 'f2'], 30, False))}"
    record = jobs.run_inline(
        ws, AdaptConfig(source=source, target=target, methods=("source_only",), epochs=1)
    )
    assert record.status == "done", record.error
    lines = _table(["f1", "f2"], 20, False).decode().splitlines()
    lines[6] = "0.5,#DIV/0!"  # line 7 of the file (the header is line 1): data row 5
    gaps = chr(10).join([*lines, ""]).encode()
    spec = f"upload:{save_upload(ws, 'gaps.csv', gaps, missing='drop')}:missing=drop"
    at = app("predict", source=source, target=target)
    at.text_input(key="predict_spec").set_value(spec).run()
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    note = "1 row with a missing or non-numeric cell dropped (missing=drop: line 7 of the file (id 5))"
    assert [plain(c.value) for c in at.caption if "missing=drop:" in plain(c.value)] == [
        f"Note: data: {note}, not predicted."
    ]
    csv = next((Path(workspace) / "predictions" / record.id).glob("*.csv"))
    assert pd.read_csv(csv)["id"].tolist() == [i for i in range(20) if i != 5]  # the id the note names


def test_the_thumbnails_read_the_confidence_as_the_least_confident_table_does(
    app: OpenApp, workspace: Path, finished_run: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thumbnail's caption read ``31%`` above a table cell of ``31.4%``: both have one decimal now."""
    assert Uncertain(0, "a.png", 0.3136, "seven", None, None).caption == "31.4% seven"
    drawn: list[list[str]] = []
    grid = thumbnails.thumbnail_grid
    monkeypatch.setattr(
        thumbnails, "thumbnail_grid", lambda x, c, **kw: drawn.append(list(c)) or grid(x, c, **kw)
    )
    name = save_upload(Workspace.resolve(workspace), "scans.zip", loose_digits_zip(7))
    at = app("predict", source=SOURCE, target=f"upload:{name}")
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    table = next(t.value for t in at.dataframe if "confidence" in t.value.columns)
    cells = [f"{c:.1%} {p}" for c, p in zip(table["confidence"], table["predicted"], strict=True)]
    assert drawn == [cells] and all(len(c.split()[0]) in (5, 6) for c in cells)  # "31.4%", "100.0%"
