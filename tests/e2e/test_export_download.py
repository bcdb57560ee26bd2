"""Predict's *Take the model home* in a real Chromium: the TorchScript export (the fast one) downloads as
``RUN-torchscript.zip``, whose model loads with torch alone and labels the target as ``predict`` does.
On the package's shared server: the pair is this test's alone, its run trained inline (LeNet, 1 epoch)."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.e2e.harness import assert_no_exception, fill, launch_chromium, open_app, settle, visit
from tlcore.adapt.config import AdaptConfig
from tlcore.predict import load_data, load_run_model, predict_rows, probability_columns
from tlcore.runs import jobs
from tlcore.workspace import Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SOURCE, TARGET = "mnist5k:n=100", "digits:n=100"


def test_the_torchscript_export_downloads_and_labels_as_predict_does(
    shared_server: str, shared_workspace: Path
) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only the browser tests need it

    workspace = Workspace.resolve(shared_workspace)
    record = jobs.run_inline(workspace, AdaptConfig(source=SOURCE, target=TARGET, model="lenet", epochs=1))
    assert record.status == "done", record.error
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = open_app(browser, shared_server, accept_downloads=True)
        fill(page, "Source (learn from)", SOURCE)
        fill(page, "Target (adapt to)", TARGET)
        visit(page, "Predict")  # the pair's one run, preselected
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Format").click()
        page.get_by_role("option", name="torchscript", exact=True).click()
        settle(page)
        page.get_by_role("button", name="Export the model").click()
        button = page.get_by_role("button", name="Download the torchscript model", exact=False)
        button.wait_for()
        settle(page)
        assert_no_exception(page)
        with page.expect_download() as download:
            button.click()
        name, data = download.value.suggested_filename, Path(download.value.path()).read_bytes()
        browser.close()
    assert name == f"{record.id}-torchscript.zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    folder = f"{record.id}-torchscript"
    assert sorted(archive.namelist()) == [f"{folder}/model.json", f"{folder}/model.pt"]
    card = json.loads(archive.read(f"{folder}/model.json"))
    assert (card["format"], card["file"], card["run_id"], card["onnx_opset"]) == (
        "torchscript",
        "model.pt",
        record.id,
        None,
    )
    with warnings.catch_warnings():  # torch 2.14 deprecates TorchScript (README)
        warnings.simplefilter("ignore", FutureWarning)
        module = torch.jit.load(io.BytesIO(archive.read(f"{folder}/model.pt")), map_location="cpu")
    trained = load_run_model(workspace, record.id)
    domain = load_data(trained, TARGET, workspace)
    with torch.no_grad():
        logits = module(torch.from_numpy(np.asarray(domain.X[:20], np.float32))).numpy()
    p = torch.softmax(torch.from_numpy(logits).double(), dim=1).numpy()
    rows = next(iter(predict_rows(trained, domain))).to_frame("all")[:20]  # what predict writes
    assert card["classes"] == list(trained.classes)
    assert np.abs(p - rows[probability_columns(trained.classes)].to_numpy()).max() < 1e-6
    assert list(rows["predicted"]) == [card["classes"][k] for k in p.argmax(axis=1)]
