"""Blank images (no ink) as the verdict reads them (QA): a target all of whose images are blank voids
what a model reads on it and its novel share; one with a notable share of blank images names them
first, with their share of the gap, instead of "part of the target is new" or "less contrast"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tlcore.cli import main
from tlcore.data import load_domain
from tlcore.explain.evidence import BlankImages
from tlcore.explain.explanation import explain
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.verdict import verdict

from .test_verdict import SPECS, finding

FAST = ("--permutations", "50", "--no-umap")
VOID = "not measured: every target image is blank (no ink)"


def diagnose(capsys: pytest.CaptureFixture[str], workspace: Path, *argv: str) -> str:
    code = main(["--workspace", str(workspace), "diagnose", *FAST, *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def digits_with(tmp_path: Path, name: str, n_const: int, value: float) -> str:
    """400 MNIST digits, the first ``n_const`` of them set to the constant ``value``."""
    domain = load_domain("mnist5k:n=400", seed=1)
    X = domain.X.numpy()[:, 0].copy()
    X[:n_const] = value
    np.savez(tmp_path / name, X=X, y=domain.y.numpy(), classes=np.array(domain.classes))
    return str(tmp_path / name)


def test_an_all_blank_target_voids_the_models_readings_and_its_novel_share(capsys, tmp_path):
    # QA: "Every target image is blank" under "Large label shift ... 0.90" and a coverage reading
    blank = tmp_path / "blank.npz"
    np.savez(blank, X=np.zeros((200, 28, 28), np.float32))  # unlabelled: a model predicts its labels
    pair = ["--source", "mnist5k:n=200", "--target", str(blank)]
    base = ["--workspace", str(tmp_path)]
    assert main([*base, "adapt", *pair, "--epochs", "1", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    page = tmp_path / "r.html"
    data = json.loads(diagnose(capsys, tmp_path, *pair, "--features", f"run:{run_id}", "--json"))
    for key in ("label_shift_estimate", "novelty", "label_shift", "per_class"):  # predicted labels
        assert data[key]["not_measured"].startswith(VOID), key
    assert data["explanation"]["not_measured"].startswith(VOID)
    assert data["explanation"]["blank_images"] == [
        {"side": "target", "n_blank": 200, "n_total": 200, "share": 1.0}
    ]
    out = diagnose(capsys, tmp_path, *pair, "--features", f"run:{run_id}", "--report", str(page))
    assert f"label shift: {VOID}" in out and f"  novel target      {VOID}" in out
    assert f"The target's novel share is {VOID}" in out
    assert (
        "label shift (TV)  not measured" in out and "per-class gaps by predicted labels: not measured" in out
    )
    for contradiction in ("label shift:", "collect labels", "The source covers", "class proportions of"):
        assert out.count(contradiction) == (1 if contradiction == "label shift:" else 0), contradiction
    assert "Verdict: Every target image is blank (no ink)" in out
    html = page.read_text(encoding="utf-8")
    assert (
        "How the labels moved" in html and "every target image is blank (no ink), and a model&#x27;s" in html
    )
    assert "EM and BBSE" not in html and "Per-class gaps (predicted target labels)" in html


def test_a_tenth_of_constant_target_images_is_the_first_cause_not_new_data(capsys, tmp_path):
    # QA: 10% constant images read as "part of the target is new: collect labels there"
    target = digits_with(tmp_path, "white.npz", 40, 1.0)
    data = json.loads(diagnose(capsys, tmp_path, "--source", "mnist5k:n=300", "--target", target, "--json"))
    explanation = data["explanation"]
    causes = explanation["verdict"]["causes"]
    assert [c["kind"] for c in causes] == ["blank"]
    shares = explanation["gap_shares"]
    assert shares["mmd2"] == pytest.approx(0.0154, abs=1e-4) and shares["without_blank"] < 0.0003
    assert causes[0]["share"] == pytest.approx(min(1.0, 1 - shares["without_blank"] / shares["mmd2"]))
    assert causes[0]["title"] == "10% of the target images are blank"
    fixed = f"{target}:blank=drop"
    action = f"use the target {fixed} to drop the 40 blank target images (no ink), then diagnose again"
    assert causes[0]["action"] == action
    assert (causes[0]["fix_side"], causes[0]["fix_spec"]) == ("target", fixed)
    assert explanation["verdict"]["headline"].startswith(
        "First, the data: 10% of the target images are blank."
    )
    assert explanation["verdict"]["coverage"].startswith("the source covers the target's images with ink (1%")
    assert explanation["blank_images"] == [{"side": "target", "n_blank": 40, "n_total": 400, "share": 0.1}]
    assert data["novelty"]["level"] == "new"  # the diagnosis, blank images included, defers to it:
    out = diagnose(capsys, tmp_path, "--source", "mnist5k:n=300", "--target", target)
    assert "collect labels" not in out and f"Next step: {action}\n" in out
    assert (
        "more than chance gives on every sample, yet no cause in the verdict, which reads the novel share on "
        "the fix checks' samples: the source covers the target's images" in out
    )


def test_a_half_blank_target_is_blank_images_not_less_contrast(capsys, tmp_path):
    # QA: 50% blank images read as "the largest measured cause: the target has less contrast"
    target = digits_with(tmp_path, "half.npz", 200, 0.0)
    data = json.loads(diagnose(capsys, tmp_path, "--source", "mnist5k:n=300", "--target", target, "--json"))
    explanation = data["explanation"]
    assert [f["statistic"] for f in explanation["findings"] if f["severity"] != "none"] == []
    (cause,) = explanation["verdict"]["causes"]
    assert cause["kind"] == "blank" and cause["share"] == pytest.approx(1.0, abs=1e-3)
    assert cause["action"] == (
        f"use the target {target}:blank=drop to drop the 200 blank target images (no ink), then "
        "diagnose again"
    )
    assert (
        explanation["note"] == "200 of 400 target images are blank (no ink) and left out of every statistic"
    )


def test_blank_images_come_first_even_when_another_cause_takes_the_gap():
    # inverted digits with 10% white images: invert=1 takes the gap, the blank images are named first
    # and say they account for little of it
    findings = [finding("polarity", -10.0, "invert", after=0.005)]
    shares = GapShares(1.0, without_blank=0.99)
    judged = verdict(findings, "large", blank=[BlankImages("target", 40, 400)], shares=shares, **SPECS)
    assert [c.kind for c in judged.causes] == ["blank", "appearance"]
    assert judged.causes[0].share == pytest.approx(0.01)
    assert judged.causes[0].detail.endswith("It does not explain the measured gap (under 5% of it).")
    assert judged.headline.startswith("First, the data: 10% of the target images are blank.")
    # QA: the cause that takes the gap was only an "Also:" beside a blank cause worth 1% of it
    assert "The largest measured cause: the target differs in polarity (100% of the gap)." in judged.headline
    assert "Also:" not in judged.headline
    assert judged.next_step == (
        "use the target upload:scans.zip:blank=drop to drop the 40 blank target images (no ink), then "
        "diagnose again"
    )
    empty = verdict(findings, "large", blank=[BlankImages("source", 9, 9)], shares=shares, **SPECS)
    assert empty.causes == () and empty.headline.startswith("Every source image is blank")


def test_blank_images_whose_removal_raises_the_gap_say_so_once():
    # QA (blank10.npz): "MMD² 0.113 -> 0.119 on the fix check's ... dims rises: it accounts for none of
    # the measured gap. It does not explain the measured gap (under 5% of it)."
    findings = [finding("slant", 3.0, "rotate", after=0.05)]
    shares = GapShares(0.113, without_blank=0.119)
    judged = verdict(findings, "large", blank=[BlankImages("target", 60, 600)], shares=shares, **SPECS)
    blank = judged.causes[0]
    assert blank.kind == "blank" and blank.share == 0.0
    assert blank.detail.endswith(
        "Without them, MMD² rises, 0.113 -> 0.119: it accounts for none of the measured gap."
    )
    assert "It does not explain" not in blank.detail


def test_applying_the_blank_fix_leaves_no_blank_images_to_name(capsys, tmp_path):
    target = digits_with(tmp_path, "white.npz", 40, 1.0)
    pair = ["--source", "mnist5k:n=300", "--target", f"{target}:blank=drop"]
    explanation = json.loads(diagnose(capsys, tmp_path, *pair, "--json"))["explanation"]
    assert explanation["blank_images"] == [] and explanation["statistics"]["target"]["n_blank"] == 0
    assert explanation["statistics"]["target"]["n_total"] == 360
    assert "blank" not in [c["kind"] for c in explanation["verdict"]["causes"]]


def test_blank_images_on_both_sides_or_already_dropped():
    # both sides: one action naming both specs, the first side's the fix the app applies
    both = [BlankImages("source", 5, 100), BlankImages("target", 40, 400)]
    (cause,) = verdict([], "large", blank=both, shares=GapShares(1.0, without_blank=0.0), **SPECS).causes
    assert cause.action == (
        "use the source mnist5k:blank=drop and the target upload:scans.zip:blank=drop to drop the 5 blank "
        "source images and the 40 blank target images (no ink), then diagnose again"
    )
    assert cause.fix_specs == {"source": "mnist5k:blank=drop", "target": "upload:scans.zip:blank=drop"}
    assert (cause.fix_side, cause.fix_spec) == (None, None)  # the one-side keys: one-sided fixes only
    # a spec that drops them already (the shifts made these blank), or a side no spec names: in words
    for specs in (
        {**SPECS, "target_spec": "upload:scans.zip:blank=drop,contrast=0"},
        {**SPECS, "target_spec": "my target"},
    ):
        (cause,) = verdict(
            [], "large", blank=both[1:], shares=GapShares(1.0, without_blank=0.0), **specs
        ).causes
        assert cause.action == "drop the 40 blank target images from the data (no ink), then diagnose again"
        assert cause.fix_spec is None and cause.fix_side is None


def test_the_mean_image_leaves_the_blank_images_out_as_the_statistics_do(tmp_path):
    # QA: the target panel was headed "target (600)", blank images included, beside a caption saying
    # they were "left out of every statistic"
    target = load_domain(digits_with(tmp_path, "white.npz", 40, 1.0))
    source = load_domain("mnist5k:n=300", seed=1)
    explained = explain(source, target, settings=ExplainSettings(check_samples=200, check_pca=10))
    assert explained.target_stats is not None and explained.target_stats.drops_blank
    assert explained.mean_images is not None
    assert (explained.mean_images.n_source, explained.mean_images.n_target) == (300, 360)
