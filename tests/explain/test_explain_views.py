"""The explanation's pictures and HTML report, and what it says for domains that are not images."""

from __future__ import annotations

import html
import json

import numpy as np
import pytest
import torch

from tlcore.cli import main
from tlcore.data.domain import Domain
from tlcore.explain.columns import ColumnDrift
from tlcore.explain.explanation import NOT_IMAGES, explain
from tlcore.explain.mean_images import mean_images
from tlcore.explain.settings import ExplainSettings
from tlcore.views.diagnosis_report import diagnosis_report, report_name
from tlcore.views.explain_figures import (
    columns_figure,
    difference_rgba,
    findings_figure,
    mean_image_pngs,
    mean_images_figure,
)
from tlcore.views.report import Section, render_report

SMALL = ExplainSettings(
    max_images=200, search_images=64, check_samples=100, check_permutations=20, max_checks=2
)
SCRIPT = "<script>alert(1)</script>"  # has a "/": parses as a (missing) file path
BOLD = "<b onmouseover=alert(1)>scans"  # is no spec at all


def squares(n: int, ink: float, background: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    X = torch.full((n, 1, 16, 16), background) + 0.02 * torch.rand(n, 1, 16, 16, generator=g)
    for i, top in enumerate(torch.randint(2, 9, (n,), generator=g).tolist()):
        X[i, :, top : top + 5, 5:10] = ink
    return X.clamp(0, 1)


@pytest.fixture(scope="module")
def hostile_pair() -> tuple[Domain, Domain]:
    y = torch.arange(120) % 2
    source = Domain(SCRIPT, squares(120, 1.0, 0.0, 0), y, ("a", "b"))
    target = Domain(BOLD, squares(120, 0.0, 1.0, 1), y, ("a", "b"))
    return source, target


def test_mean_images_are_the_means_and_the_difference_target_minus_source():
    Xs, Xt = torch.zeros(4, 1, 4, 4), torch.ones(2, 1, 4, 4)
    Xt[:, :, 0, 0] = 0.0
    images = mean_images(Xs, Xt)
    assert images.source.shape == (4, 4, 1) and images.difference[0, 0] == 0 and images.difference[1, 1] == 1
    assert (images.n_source, images.n_target) == (4, 2)


def test_difference_colours_and_the_figures():
    pixels = difference_rgba(np.array([[0.0, 0.5, -0.5, 0.25]]))
    assert pixels[0, 0, 3] == 0  # see-through at 0: the page behind shows, never a white block
    assert pixels[0, 1].tolist() == [214, 39, 40, 255] and pixels[0, 2].tolist() == [59, 111, 212, 255]
    assert pixels[0, 3].tolist() == [214, 39, 40, 128]  # half the largest difference: half opaque
    images = mean_images(squares(10, 1.0, 0.0, 0), squares(10, 0.0, 1.0, 1))
    fig = mean_images_figure(images, SCRIPT, "t")
    assert [t.type for t in fig.data] == ["image", "image", "heatmap"]
    assert fig.data[2].zmin == -fig.data[2].zmax and SCRIPT not in fig.layout.annotations[0].text
    pngs = mean_image_pngs(images)
    assert len(pngs) == 3 and all(png.startswith(b"\x89PNG") for _, png in pngs)


def test_pictures_and_captions_are_escaped_in_a_report():
    page = render_report("t", "s", [Section("pics", pictures=[(SCRIPT, b"\x89PNG")])])
    assert SCRIPT not in page and 'alt="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "width=" not in page.split("<img", 1)[1].split(">", 1)[0]  # no PNG header: no size, still shown


def test_explanation_of_hostile_names_reports_escaped_without_fix_specs(hostile_pair):
    source, target = hostile_pair
    explanation = explain(source, target, settings=SMALL)
    polarity = next(f for f in explanation.findings if f.statistic == "polarity")
    assert polarity.severity == "strong"
    assert (
        polarity.fix is not None and polarity.fix.spec is None and "not named by a spec" in polarity.fix.note
    )
    json.dumps(explanation.to_dict(include_images=True))  # JSON-safe
    bars = findings_figure(explanation.findings)
    assert len(bars.data[0].x) == len(explanation.findings)
    page = diagnosis_report(None, explanation, title=SCRIPT)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_feature_vectors_get_their_columns_instead_of_image_checks_and_still_a_verdict():
    g = torch.Generator().manual_seed(0)
    source = Domain("table-a", torch.randn(200, 5, generator=g), None, ())
    target = Domain("table-b", torch.randn(200, 5, generator=g) + 3.0, None, ())
    explanation = explain(source, target, settings=SMALL)
    assert (explanation.applies, explanation.note, explanation.findings) == (False, NOT_IMAGES, ())
    # every column moved 3 SDs: each is a cause, and matched together they leave no gap to adapt
    assert [c.kind for c in explanation.verdict.causes] == ["column"] * 5
    assert explanation.shares is not None and explanation.shares.columns_share == 1.0
    assert explanation.to_dict()["statistics"] == {"source": None, "target": None}
    page = diagnosis_report(None, explanation)
    assert "What differs (columns)" in page and "5 of 5 columns moved" in page
    # QA: the verdict's text cells were right-aligned and its neutral notes sat in red alert boxes
    first = explanation.verdict.causes[0]
    for text in (first.title, first.action):  # left-aligned: a plain cell, or a sentence's (reading width)
        assert any(f"<td{kind}>{html.escape(text)}</td>" in page for kind in ("", " class='prose'"))
    assert "<td class='num'>+3.12</td>" in page  # the first column's shift (source SDs): a number
    next_step = f'<div class="aside">Next step: {html.escape(explanation.verdict.next_step)}</div>'
    assert next_step in page and '<div class="flag">' not in page
    # QA helper-246: the report's text began with its next step, the headline after it
    assert page.index(html.escape(explanation.verdict.headline)) < page.index(next_step)


def test_the_diagnosis_report_is_named_after_its_pair_file_safe_and_short():
    assert report_name("mnist5k", "digits") == "tlstudio-diagnosis-mnist5k-to-digits.html"
    long = "upload:shop sales/2026.csv:label=churn,missing=impute,text=onehot"
    assert report_name(long, "usps:rotate=30") == (  # QA helper-249: cut at a separator, not "churn-m"
        "tlstudio-diagnosis-upload-shop-sales-2026.csv-label=churn-to-usps-rotate=30.html"
    )
    exact = "a" * 36 + "-bcd-e"  # a separator just past the 40th character: the 40 kept, "bcd" whole
    assert report_name(exact, "x") == f"tlstudio-diagnosis-{'a' * 36}-bcd-to-x.html"
    one_word = "d" * 50  # no separator to cut at: cut at the limit
    assert report_name(one_word, "x") == f"tlstudio-diagnosis-{'d' * 40}-to-x.html"


def test_report_cells_align_numbers_right_and_text_left():
    rows = [{"name": "a b", "n": 3, "ratio": "948x", "mean": "646,565", "shift": "+1796.60", "gone": "≈ 0"}]
    page = render_report("t", "s", [Section("x", table=rows, asides=["Next step: look"], flags=["alarm"])])
    assert "<td>a b</td><td class='num'>3</td><td class='num'>948x</td><td class='num'>646,565</td>" in page
    assert "<td class='num'>+1796.60</td><td class='num'>≈ 0</td>" in page
    assert '<div class="aside">Next step: look</div>' in page and '<div class="flag">alarm</div>' in page


def test_the_columns_figure_puts_the_largest_share_on_top_and_escapes_names():
    def column(name: str, share: float | None) -> ColumnDrift:
        return ColumnDrift(0, name, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, True, None, share)

    fig = columns_figure([column("<b>a</b>", 0.6), column("b", 0.2), column("unchecked", None)])
    (bars,) = fig.data
    assert list(bars.y) == ["b", "&lt;b&gt;a&lt;/b&gt;"] and list(bars.x) == [0.2, 0.6]  # top: the last


def test_a_table_pairs_report_says_where_the_target_is_new_with_the_clis_numbers(capsys, tmp_path):
    """The report had no coverage section (the Diagnose page's "Where the target is new"): now it
    reads the novel share as the CLI prints it, for feature vectors as for images."""
    g = np.random.default_rng(0)
    for name, shift in (("s", 0.0), ("t", 4.0)):  # the target's last column moved far: no neighbours
        X = g.normal(size=(150, 4)) + np.array([0.0, 0.0, 0.0, shift])
        rows = ["a,b,c,d", *(",".join(f"{v:.4f}" for v in row) for row in X)]
        (tmp_path / f"{name}.csv").write_text("\n".join(rows) + "\n")
    page = tmp_path / "report.html"
    pair = ["--source", str(tmp_path / "s.csv"), "--target", str(tmp_path / "t.csv")]
    argv = ["--workspace", str(tmp_path / "ws"), "diagnose", *pair, "--permutations", "50", "--no-umap"]
    assert main([*argv, "--report", str(page)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("novel target"))
    share, reading = line.split(maxsplit=2)[2].split(maxsplit=1)
    assert share.endswith("%") and float(share[:-1]) > 20  # 53.3% of 150 (80) at these seeds
    text = page.read_text()
    section = text[
        text.index("<h2>Where the target is new</h2>") : text.index("<h2>What differs (columns)</h2>")
    ]
    assert f"<td class='num'>{share}</td>" in section and html.escape(reading) in section
    assert "lies farther from every source sample" in section  # the reading in plain words
