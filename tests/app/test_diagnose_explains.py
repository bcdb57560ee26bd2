"""The Diagnose page explains the gap: the verdict with a one-click fix, what differs, how the labels
moved (or how to get the model that reads it), where the target is new, and the HTML report."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_support.display import MIX_PX, wrapped_row_height
from tests.app.helpers import plain
from tests.app.test_diagnose_findings_table import TABLE_1024_PX
from tests.app.test_escaping import deferred_downloads
from tests.explain.test_colour_cast import _photos, _upload
from tests.explain.test_columns_cli import wine_csvs
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data import load_domain
from tlcore.runs import jobs
from tlcore.views.column_table import MIX
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, INVERTED = "mnist5k:n=300", "mnist5k:n=300,invert=1"


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
    assert "The target samples farthest from every source sample, farthest first:" in captions
    assert len(at.get("image")) == 2  # the most foreign and, the target being new, the most novel
    report = downloads["tlstudio-diagnosis-mnist5k-n=300-to-mnist5k-n=300-invert=1.html"]()  # its pair's
    assert "Verdict" in report and "invert" in report
    fix.click().run()
    assert not at.exception
    assert at.session_state["pair_target"] == SOURCE
    assert not [b for b in at.button if b.label.startswith("Apply this fix")]  # nothing left to fix


def test_a_two_sided_fix_sets_both_specs_in_one_click(app: OpenApp, workspace: Path) -> None:
    """The colour cast's fix, standardise=1 on both sides, had no button (a cause named one side's
    spec only): one click now sets both and the page diagnoses the fixed pair."""
    ws = Workspace.resolve(workspace)
    source = _upload(ws, "day.npz", _photos(120, 0, False))
    target = _upload(ws, "dusk.npz", _photos(120, 1, True))
    at = app("diagnose", source=source, target=target)
    assert not at.exception, [e.message for e in at.exception]
    fixed = f"{source}:standardise=1", f"{target}:standardise=1"
    (fix,) = [b for b in at.button if b.label.startswith("Apply this fix")]
    assert fix.label == f"Apply this fix: source = {fixed[0]}, target = {fixed[1]}"
    before = float(next(m.value for m in at.metric if m.label == "MMD²"))
    fix.click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert (at.session_state["pair_source"], at.session_state["pair_target"]) == fixed
    after = float(next(m.value for m in at.metric if m.label == "MMD²"))
    assert after < 0.2 * before, (before, after)  # the verdict: it shrinks MMD² by more than 80%


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
    assert f"Target classes unknown to the source, {n9} samples dropped: 9 ({n9}) " in warnings
    assert "Pairing: target" not in warnings  # QA: the prefix said "target" twice
    markdown = [plain(str(m.value)) for m in at.markdown]
    assert any("the target has classes the source lacks (9)" in m for m in markdown)


def test_blank_images_shares_and_a_covered_target_read_on_the_page(
    app: OpenApp, workspace: Path, tmp_path: Path
) -> None:
    # QA helper-39: 60 blank images were said in the CLI only; the causes showed no share; the fix
    # checks' numbers did not say where they are measured; 16 "most novel" thumbnails of a covered
    # target. 60 of 360 (17%) are a cause of their own, named first, and out of every statistic
    digits = load_domain("digits:n=300", seed=0)
    X, y = digits.X.numpy()[:, 0], digits.y.numpy()
    X = np.concatenate([X, np.zeros((60, *X.shape[1:]), X.dtype)])
    y = np.concatenate([y, np.zeros(60, y.dtype)])
    np.savez(tmp_path / "blanky.npz", X=X, y=y, classes=np.array(digits.classes))
    assert main(["--workspace", str(workspace), "data", "upload", str(tmp_path / "blanky.npz")]) == 0
    at = app("diagnose", source="mnist5k:n=300", target="upload:blanky.npz")
    assert not at.exception, [e.message for e in at.exception]
    captions = " ".join(plain(str(c.value)) for c in at.caption)
    assert "60 of 360 target images are blank (no ink) and left out of every statistic" in captions
    basis = "on the fix check's 300+360 samples, 20 PCA dims"
    assert f"Shares of the gap, fix effects and novel shares before → after are measured {basis}" in captions
    assert f"Fix effects {basis}." in captions
    markdown = [plain(str(m.value)) for m in at.markdown]
    assert any(re.match(r"- \*\*.+\*\* \(accounts for \d+% of the gap\): ", m) for m in markdown)
    assert any("left out of every statistic" in str(row) for row in at.dataframe[-1].value.to_dict("records"))
    assert any(m.startswith("First, the data: 17% of the target images are blank.") for m in markdown)
    fixed = "upload:blanky.npz:blank=drop"
    assert any(f"use the target {fixed} to drop the 60 blank target images (no ink)" in m for m in markdown)
    assert "The source covers the target" in captions and "farthest" not in captions
    assert len(at.get("image")) == 1  # the most foreign samples only, no "most novel" of a covered target
    (fix,) = [b for b in at.button if b.label.startswith("Apply this fix")]
    assert fix.label == f"Apply this fix: target = {fixed}"
    fix.click().run()  # the target without its blank images: none left to name
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["pair_target"] == fixed
    markdown = [plain(str(m.value)) for m in at.markdown]
    assert not any("are blank" in m or "First, the data" in m for m in markdown), markdown
    assert "blank (no ink)" not in " ".join(plain(str(c.value)) for c in at.caption)


def test_a_table_pair_shows_which_columns_moved_and_their_shares(
    app: OpenApp, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = deferred_downloads(monkeypatch)
    source, target = wine_csvs(tmp_path)
    lots = pd.read_csv(target)
    lots.insert(0, "id", [f"lot-{500 + row}" for row in range(len(lots))])  # ids the user finds in the file
    lots.to_csv(target, index=False)
    for path in (source, target):
        assert main(["--workspace", str(workspace), "data", "upload", path]) == 0
    at = app("diagnose", source="upload:wine_src.csv", target="upload:wine_tgt.csv")
    assert not at.exception, [e.message for e in at.exception]
    markdown = [plain(str(m.value)) for m in at.markdown]
    assert any(m.startswith("Most of the gap: alcohol moved +1.21 source SDs.") for m in markdown)
    rows = at.dataframe[-1].value.to_dict("records")
    assert [r["column"] for r in rows] == ["alcohol", "proline", "color_intensity"]
    assert [r["share of the gap"] for r in rows] == ["57%", "24%", "19%"]
    assert rows[1]["source mean"] == "742.3" and rows[1]["spread ratio"] == "1.2x"  # QA: 742.3000
    captions = " ".join(plain(str(c.value)) for c in at.caption)
    assert "3 of 13 columns moved." in captions
    # QA helper-246: the caption under the table was an 8-line block; how it reads is a list apart
    assert "each side standardised" not in captions
    (reading,) = [e for e in at.expander if e.label == "How the columns are read"]
    lines = plain(reading.markdown[0].value).split("\n")
    assert "- **shape MMD²**: the MMD² of the column, each side standardised" in lines
    # QA: a table read "raw pixels / values (PCA 50)", and its most foreign samples had headers 0..12
    assert at.selectbox[0].options[0] == "raw values (standardised, PCA 50 if wider)"
    foreign = at.dataframe[0].value
    drifted_first = ["sample id", "log-odds", "alcohol", "proline", "color_intensity", "malic_acid"]
    assert (
        list(foreign.columns[:6]) == drifted_first
    )  # the verdict's columns on screen, then the file's order
    # QA: the samples were numbered by their row (0..67), not by the target's own ids
    by_id = lots.set_index("id")
    assert len(foreign) == 24 and foreign["sample id"].isin(by_id.index).all()
    assert foreign["alcohol"].to_numpy() == pytest.approx(
        by_id.loc[foreign["sample id"], "alcohol"].to_numpy()
    )
    named = "tlstudio-diagnosis-upload-wine_src.csv-to-upload-wine_tgt.csv.html"
    assert "What differs (columns)" in downloads[named]()


def test_a_long_mix_of_text_values_is_wrapped_in_the_columns_table_and_said_whole_under_it(
    app: OpenApp, workspace: Path, tmp_path: Path
) -> None:
    """Eight long region names, their mix changed: the mix cell names the three largest changes and
    counts the rest, its rows tall enough to show that wrapped in the column's width (in one line it was
    cut at the column's edge; whole, one row height made every row nine lines tall); the expander under
    the table says the mix whole."""
    rng = np.random.default_rng(4)
    names = [f"Regional Distribution Centre Number {i:02d} of the Northern Highlands" for i in range(8)]
    for side, p in (("s", np.full(8, 1 / 8)), ("t", np.array([1, 1, 6, 6, 1, 1, 6, 6]) / 28)):
        x = rng.normal(size=(160, 2)).round(3)
        frame = pd.DataFrame({"region": rng.choice(names, 160, p=p), "x1": x[:, 0], "x2": x[:, 1]})
        frame.assign(label=(x[:, 0] > 0).astype(int)).to_csv(tmp_path / f"{side}.csv", index=False)
        upload = ["data", "upload", str(tmp_path / f"{side}.csv"), "--text", "onehot"]
        assert main(["--workspace", str(workspace), *upload]) == 0
    at = app("diagnose", source="upload:s.csv:text=onehot", target="upload:t.csv:text=onehot")
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[-1]
    (row,) = table.value.to_dict("records")
    assert row["column"] == "region" and row[MIX].count("Regional Distribution Centre") == 3
    assert row[MIX].endswith(" and 5 more")
    lines = -(-len(row[MIX]) // ((MIX_PX - 24) // 7))  # at 7 px a character, 24 px of padding
    assert lines == 7 and table.proto.row_height == lines * 20 + 24  # the names are long
    (whole,) = [e for e in at.expander if e.label == "Each text column's mix in full"]
    (said,) = [str(m.value) for m in whole.markdown]
    assert said.startswith("- **region**: ") and said.count("Regional Distribution Centre") == 8


def test_the_columns_table_fits_a_1024_px_window_its_cut_mix_in_two_lines() -> None:
    """QA helper-224: at 480 px the mix column was cut at a 1024 px window's edge (a 562 px table):
    beside the column, severity and share columns (62, 62 and 110 px as Chromium drew them) it fits,
    a mix of 24 cities cut to its three largest changes in two lines."""
    beside = 62 + 62 + 110
    assert beside + MIX_PX == 534 <= TABLE_1024_PX
    cut = "city_w 3% -> 7%, city_u 4% -> 8%, city_v 2% -> 6% and 16 more"
    assert wrapped_row_height([cut], MIX_PX) == 65


def test_an_all_blank_target_voids_the_label_shift_and_novelty_on_the_page(
    app: OpenApp, workspace: Path, tmp_path: Path
) -> None:
    # QA: the verdict said "Every target image is blank" beside the model's label-shift estimate
    np.savez(tmp_path / "blank.npz", X=np.zeros((120, 28, 28), np.float32))
    assert main(["--workspace", str(workspace), "data", "upload", str(tmp_path / "blank.npz")]) == 0
    config = AdaptConfig(
        source="mnist5k:n=120", target="upload:blank.npz", methods=("source_only",), epochs=1
    )
    assert jobs.run_inline(Workspace.resolve(workspace), config).status == "done"  # a cached baseline
    at = app("diagnose", source="mnist5k:n=120", target="upload:blank.npz")
    assert not at.exception, [e.message for e in at.exception]
    infos = [plain(i.value) for i in at.info]
    void = "not measured: every target image is blank (no ink), and a model's outputs on blank images"
    assert any(i.startswith(f"Label shift {void}") for i in infos), infos
    assert any(i.startswith(f"The novel share is {void}") for i in infos), infos
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("proportions")]
    markdown = [plain(str(m.value)) for m in at.markdown]
    assert any(m.startswith("Every target image is blank (no ink)") for m in markdown)
    # QA helper-53: read by the run's model, the gap box named a largest class gap and the map
    # offered to colour every blank image by the class the model predicts for it
    [space] = [s for s in at.selectbox if s.label == "Feature space"]
    space.set_value(space.options[1]).run()
    assert not at.exception, [e.message for e in at.exception]
    boxes = [plain(str(b.value)) for kind in ("error", "warning", "info", "success") for b in at.get(kind)]
    assert any(b.startswith("Large gap: the domains differ") for b in boxes), boxes
    assert not [b for b in boxes if "Largest class gap" in b]
    [colour_by] = at.get("segmented_control")
    assert "Model prediction" not in colour_by.options and "Domain" in colour_by.options


def test_the_label_shift_under_the_class_gaps_says_it_is_of_the_true_labels(
    app: OpenApp, workspace: Path, tmp_path: Path
) -> None:
    # QA helper-53: "Label shift: the class priors differ by 5.1%" did not say it came from the
    # blank target's true labels, beside "Label shift not measured" for the model's estimate
    y = np.arange(120) % 10
    np.savez(tmp_path / "blankl.npz", X=np.zeros((120, 28, 28), np.float32), y=y)
    assert main(["--workspace", str(workspace), "data", "upload", str(tmp_path / "blankl.npz")]) == 0
    at = app("diagnose", source="mnist5k:n=120", target="upload:blankl.npz")
    assert not at.exception, [e.message for e in at.exception]
    captions = [plain(str(c.value)) for c in at.caption]
    said = [c for c in captions if c.startswith("Label shift: the class priors differ by")]
    assert said and said[0].endswith(
        "(total variation, true target labels; p = 0.801 against random splits of the pooled labels)."
    ), captions


def test_a_difference_within_chance_is_named_under_what_differs(app: OpenApp) -> None:
    """QA helper-62: ``diagnose`` listed "Not counted, within chance at these sample sizes: ..." but the
    Diagnose page said only that the images look alike. On 20 vs 20 fashion images the slant differs
    by 0.5 SD, which Welch's test does not find: the page names it in one caption."""
    at = app("diagnose", source="fashion:split=train,n=20", target="fashion:split=test,n=20")
    assert not at.exception, [e.message for e in at.exception]
    captions = [plain(str(c.value)) for c in at.caption]
    chance = [c for c in captions if c.startswith("Not counted, within chance at these sample sizes: ")]
    assert len(chance) == 1, captions
    assert (
        "Alike within chance: slant of the ink's main axis -36.77 -> -13.69, +0.54 standard deviations"
        in chance[0]
    )


def test_what_differs_lists_the_fixes_together_after_the_findings_they_combine(
    app: OpenApp, workspace: Path, tmp_path: Path
) -> None:
    """Only the verdict showed the combined check: the table of what differs listed invert=1 (-81%)
    and contrast=2.5 (-14%) but not that together they remove the gap. Its own row now follows the
    last finding it combines, as in the HTML report (one function builds both tables)."""
    X = load_domain("mnist5k:n=600,contrast=0.4,invert=1", seed=1).X.numpy()[300:, 0]
    np.savez(tmp_path / "t.npz", X=X)
    assert main(["--workspace", str(workspace), "data", "upload", str(tmp_path / "t.npz")]) == 0
    at = app("diagnose", source=SOURCE, target="upload:t.npz")
    assert not at.exception, [e.message for e in at.exception]
    (table,) = [d.value for d in at.dataframe if "finding" in d.value.columns]
    statistics = table["statistic"].tolist()
    together = statistics.index("fixes together")
    assert statistics[together - 1] == "contrast (std of the pixels)"
    row = table.iloc[together]
    assert (
        row["fix"] == "invert=1,contrast=2.5 on the target: use the target upload:t.npz:invert=1,contrast=2.5"
    )
    assert row["finding"].endswith(
        "explain more than invert=1 on the target alone: the verdict suggests them together."
    )
    assert (row["change"], row["novel target before → after"]) == (
        "-100%, removes the gap",
        "100% → 1% (covered)",
    )
