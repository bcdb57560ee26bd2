"""The Diagnose page explains the gap: the verdict with a one-click fix, what differs, how the labels
moved (or how to get the model that reads it), where the target is new, and the HTML report."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_escaping import deferred_downloads
from tlcore.cli import main
from tlcore.data import load_domain

OpenApp = Callable[..., AppTest]
SOURCE, INVERTED = "mnist5k:n=300", "mnist5k:n=300,invert=1"


def plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_the_verdict_names_inversion_and_its_fix_applies_in_one_click(
    app: OpenApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = deferred_downloads(monkeypatch)
    at = app("diagnose", source=SOURCE, target=INVERTED)
    assert not at.exception, [e.message for e in at.exception]
    markdown = [plain(str(m.value)) for m in at.markdown]
    assert any("Next step:" in m for m in markdown)
    (fix,) = [b for b in at.button if b.label.startswith("Apply this fix")]
    assert fix.label == f"Apply this fix: target = {SOURCE}"
    headings = {s.value for s in at.subheader}
    assert {"What differs", "How the labels moved", "Where the target is new"} <= headings
    assert any("polarity" in str(row).lower() for row in at.dataframe[-1].value.to_dict("records"))
    captions = [plain(str(c.value)) for c in at.caption]  # where the target is new, before and after
    assert any(
        c.startswith("Novel target after the fix invert=1 on the target: 100% -> 0% (covered)")
        for c in captions
    )
    assert any("train one" in plain(i.value) or "source-only" in plain(i.value) for i in at.info)
    report = downloads["tlstudio-diagnosis.html"]()
    assert "Verdict" in report and "invert" in report
    fix.click().run()
    assert not at.exception
    assert at.session_state["pair_target"] == SOURCE
    assert not [b for b in at.button if b.label.startswith("Apply this fix")]  # nothing left to fix


def test_the_page_says_which_target_samples_pairing_dropped_and_the_verdict_names_them(
    app: OpenApp, workspace: Path, tmp_path: Path
) -> None:
    digits = load_domain("mnist5k:n=300", seed=3)
    X, y = digits.X.numpy()[:, 0], digits.y.numpy()
    source, target = tmp_path / "no9.npz", tmp_path / "all.npz"
    np.savez(source, X=X[y != 9], y=y[y != 9], classes=np.array([str(c) for c in range(9)]))
    np.savez(target, X=X, y=y, classes=np.array([str(c) for c in range(10)]))
    for path in (source, target):
        assert main(["--workspace", str(workspace), "data", "upload", str(path)]) == 0
    n9 = int((y == 9).sum())
    at = app("diagnose", source="upload:no9.npz", target="upload:all.npz")
    assert not at.exception, [e.message for e in at.exception]
    warnings = " ".join(plain(w.value) for w in at.warning)
    assert f"Pairing: target classes unknown to the source, {n9} samples dropped: 9 ({n9}) " in warnings
    markdown = [plain(str(m.value)) for m in at.markdown]
    assert any("the target has classes the source lacks (9)" in m for m in markdown)
