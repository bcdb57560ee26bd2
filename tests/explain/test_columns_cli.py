"""``python -m tlcore diagnose`` on tables and vectors says which columns moved: text, ``--json``, the
HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_wine

from tests.explain.test_verdict_cli import run


def wine_csvs(folder: Path) -> tuple[str, str]:
    """The brief's reproduction: last year's wines -> this year's, three columns recalibrated."""
    frame = load_wine(as_frame=True).frame.sample(frac=1, random_state=0).reset_index(drop=True)
    source, target = frame.iloc[:110].copy(), frame.iloc[110:].copy()
    target["alcohol"] = target["alcohol"] * 1.05 + 0.3
    target["proline"] = target["proline"] * 1.3
    target["color_intensity"] = target["color_intensity"] + 1.5
    source.rename(columns={"target": "label"}).to_csv(folder / "wine_src.csv", index=False)
    target.drop(columns="target").to_csv(folder / "wine_tgt.csv", index=False)
    return str(folder / "wine_src.csv"), str(folder / "wine_tgt.csv")


def test_a_table_pair_names_the_columns_that_moved_in_text_json_and_report(capsys, tmp_path) -> None:
    source, target = wine_csvs(tmp_path)
    page = tmp_path / "report.html"
    out = run(capsys, tmp_path, "--source", source, "--target", target, "--report", str(page))
    (verdict,) = [line for line in out.splitlines() if line.startswith("Verdict:")]
    assert verdict.startswith("Verdict: Most of the gap: alcohol moved +1.21 source SDs.")
    assert "A moderate gap with no single cause found" not in out
    assert (
        "  2. proline moved +0.744 source SDs (accounts for 24% of the gap): check how proline is produced "
        "upstream" in out
    )
    assert "What differs (3 of 13 columns; shares on the fix check's 110+68 samples, 20 PCA dims):" in out
    assert "  mild   proline: mean 742.3 -> 980.7 (+0.744 source SDs), spread 320.7 -> 393.6 (1.23x)" in out
    html = page.read_text(encoding="utf-8")
    assert "What differs (columns)" in html and "color_intensity" in html
    data = json.loads(run(capsys, tmp_path, "--source", source, "--target", target, "--json"))
    explanation = data["explanation"]
    rows = {row["name"]: row for row in explanation["columns"]}
    assert len(rows) == 13 and rows["alcohol"]["severity"] == "strong"
    assert rows["alcohol"]["shift"] == pytest.approx(1.21, abs=0.01)
    assert rows["hue"]["share"] is None and rows["hue"]["severity"] == "none"
    causes = explanation["verdict"]["causes"]
    assert [c["kind"] for c in causes] == ["column"] * 3
    assert [c["share"] for c in causes] == [
        rows[n]["share"] for n in ("alcohol", "proline", "color_intensity")
    ]
    assert explanation["gap_shares"]["columns_share"] == pytest.approx(1.0)


def test_npz_vectors_without_names_say_feature_i(capsys, tmp_path) -> None:
    g = np.random.default_rng(0)
    Xs, Xt = g.normal(size=(300, 6)), g.normal(size=(300, 6))
    Xt[:, 3] = Xt[:, 3] * 3.0  # a spread three times the source's
    np.savez(tmp_path / "s.npz", X=Xs.astype(np.float32), y=g.integers(0, 2, 300))
    np.savez(tmp_path / "t.npz", X=Xt.astype(np.float32))
    argv = ("--source", str(tmp_path / "s.npz"), "--target", str(tmp_path / "t.npz"))
    data = json.loads(run(capsys, tmp_path, *argv, "--json"))
    names = [row["name"] for row in data["explanation"]["columns"]]
    assert names == [f"feature {i}" for i in range(6)]
    (first, *_) = data["explanation"]["verdict"]["causes"]
    assert first["kind"] == "column" and first["title"] == "feature 3's spread is 3.2x the source's"
    out = run(capsys, tmp_path, *argv)
    assert "  strong feature 3: mean" in out
