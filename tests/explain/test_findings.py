"""Each finding fires on its constructed shift of mnist5k and stays quiet on mnist5k against itself."""

from __future__ import annotations

import math

import pytest
import torch

from tlcore.data import harmonise, load_domain
from tlcore.data.domain import Domain
from tlcore.explain.findings import MILD, NOT_COMPARED, STRONG, compare, severity_of, standardised_difference
from tlcore.explain.image_stats import ImageStats, image_stats
from tlcore.explain.settings import ExplainSettings
from tlcore.views.diagnosis_report import finding_rows

N = 1000
FDR = ExplainSettings().fdr


@pytest.fixture(scope="module")
def source_stats() -> ImageStats:
    return image_stats(load_domain(f"mnist5k:n={N}", seed=0))


def target_stats(shift: str) -> ImageStats:
    source = load_domain(f"mnist5k:n={N}", seed=0)
    return image_stats(harmonise(source, load_domain(f"mnist5k:n={N},{shift}", seed=1))[1])


@pytest.mark.parametrize(
    ("shift", "statistic", "sign"),
    [
        ("invert=1", "polarity", -1),
        ("contrast=0.5", "contrast", -1),
        ("blur=1", "sharpness", -1),
        ("noise=0.2", "noise", 1),
        ("scale=0.7", "ink_size", -1),
        ("scale=1.5", "ink_size", 1),
        ("colour=1", "colour", 1),
        ("rotate=30", "slant", 1),
        ("occlusion=0.4", "ink_fill", -1),
    ],
)
def test_the_finding_fires_on_its_shift(source_stats: ImageStats, shift: str, statistic: str, sign: int):
    findings = {f.statistic: f for f in compare(source_stats, target_stats(shift), FDR)}
    finding = findings[statistic]
    assert finding.fires and math.copysign(1, finding.difference) == sign, finding
    assert finding.message.startswith("The target") and finding.title.startswith("the target")


def test_quiet_on_two_halves_of_mnist5k_and_on_a_subsample():
    mnist = load_domain("mnist5k")
    halves = [image_stats(mnist.subset(range(i, 5000, 2))) for i in (0, 1)]
    subsample = image_stats(load_domain("mnist5k:n=1500", seed=4))
    for other in (halves[1], subsample):
        loud = [f for f in compare(halves[0], other, FDR) if f.fires]
        assert loud == [], [f.message for f in loud]


def test_blank_target_images_move_no_finding_on_the_ink_and_are_said():
    """A few blank target images (9 of 309, under BLANK_MIN): the ink is alike, each finding on the ink
    says how many were left out, the whole-image statistics count them; a quarter of the target blank:
    every statistic leaves them out, so nothing fires (QA: a 50%-blank target read as "less
    contrast"); a side with no ink at all is not compared."""
    source = load_domain("mnist5k:n=300", seed=0)
    blank = torch.zeros(100, *source.shape)
    few = Domain("t", torch.cat([source.X, blank[:9]]), None, ())
    findings = {f.statistic: f for f in compare(image_stats(source), image_stats(few), FDR)}
    note = "9 of 309 target images are blank (no ink) and left out of the ink's statistics"
    ink = ("polarity", "ink_fill", "ink_size", "centre_x", "centre_y", "slant", "sharpness")
    assert [findings[name].message for name in ink if findings[name].fires] == []
    assert all(findings[name].message.endswith(f"; {note}.") for name in ink)
    counted = "deviations; 9 of 309 target images are blank (no ink) and counted in it"
    whole = ("background", "brightness", "contrast", "range", "noise", "colour")
    assert all(counted in findings[name].message for name in whole)
    quarter = image_stats(Domain("t", torch.cat([source.X, blank]), None, ()))
    assert quarter.drops_blank and quarter.n_blank == 100
    findings = {f.statistic: f for f in compare(image_stats(source), quarter, FDR)}
    left = "100 of 400 target images are blank (no ink) and left out of every statistic"
    assert [f.title for f in findings.values() if f.fires] == []
    assert all(findings[name].message.endswith(f"; {left}.") for name in (*ink, *whole))
    assert quarter.get("contrast").mean == pytest.approx(image_stats(source).get("contrast").mean)
    nothing = image_stats(Domain("b", blank, None, ()))
    ink_fill = next(f for f in compare(image_stats(source), nothing, FDR) if f.statistic == "ink_fill")
    assert (ink_fill.severity, ink_fill.title) == ("none", "share of ink pixels: not compared")
    assert ink_fill.to_dict()["target"] is None and "100 of 100 target images are blank" in ink_fill.message


def test_native_size_fires_on_uci_digits():
    mnist = load_domain("mnist5k:n=300")
    source, target = harmonise(mnist, load_domain("digits:n=300"))
    finding = compare(image_stats(source), image_stats(target), FDR)[-1]
    assert (finding.statistic, finding.severity, finding.difference) == (
        "native_size",
        "strong",
        pytest.approx(math.log2(64 / 784)),
    )
    assert "8x8" in finding.message


def test_severity_is_cohens_d_with_a_floor():
    assert [severity_of(d) for d in (0.0, -0.49, MILD, -0.99, STRONG, -7.0)] == [
        "none",
        "none",
        "mild",
        "mild",
        "strong",
        "strong",
    ]
    base = image_stats(load_domain("mnist5k:n=200"))
    # every image of both sides grey: spreads 0, so the floor (0.02 for colour) is the denominator
    coloured = image_stats(load_domain("mnist5k:n=200,colour=1"))
    s, t = base.get("colour"), coloured.get("colour")
    expected = (t.mean - s.mean) / max(math.sqrt((s.std**2 + t.std**2) / 2), 0.02)
    assert standardised_difference(base, coloured, "colour") == pytest.approx(expected)
    assert torch.isfinite(torch.tensor(standardised_difference(base, base, "noise")))


def test_a_chance_sized_difference_of_small_samples_is_alike_within_chance():
    """QA: 30 Fashion-MNIST images a side of one distribution, "the images differ (the target has
    objects turned further counter-clockwise)": slant 0.76 standard deviations apart by chance."""
    source = image_stats(load_domain("fashion:split=train,n=30", seed=2))
    target = image_stats(load_domain("fashion:split=test,n=30", seed=2))
    findings = {f.statistic: f for f in compare(source, target, FDR)}
    slant = findings["slant"]
    assert slant.difference == pytest.approx(0.76, abs=0.01) and severity_of(slant.difference) == "mild"
    assert slant.severity == "none" and not slant.fires and slant.q_value > FDR
    assert slant.message.startswith(
        "Alike within chance: slant of the ink's main axis -36.36 -> -8.054, +0.757 standard"
    )
    assert slant.message.endswith(
        f"(Welch's test: q = {slant.q_value:.2g}, above the 5% false discovery rate)."
    )
    assert slant.within_chance and not findings["contrast"].within_chance
    assert not any(f.fires for f in findings.values())


def test_a_findings_sentence_quotes_its_values_as_its_table_cells_write_them(source_stats: ImageStats):
    """QA: "mean brightness 0.132 -> 0.131" in the sentence beside 0.1322 and 0.1313 in its cells; both
    read 4 significant digits now (:func:`tlcore.explain.findings.value_text`)."""
    rows = {r["statistic"]: r for r in finding_rows(compare(source_stats, target_stats("contrast=0.5"), FDR))}
    contrast = rows["contrast (std of the pixels)"]
    assert (contrast["source"], contrast["target"]) == ("0.3033", "0.1511")
    assert contrast["finding"] == (
        "The target has less contrast than the source (contrast (std of the pixels) 0.3033 -> 0.1511, "
        "-4.21 standard deviations)."
    )
    brightness = rows["mean brightness"]
    assert (brightness["source"], brightness["target"]) == ("0.1322", "0.1313")
    assert "mean brightness 0.1322 -> 0.1313, -0.0187 standard deviations" in brightness["finding"]
    for row in rows.values():  # every compared statistic's sentence quotes its cells
        if row["source"] != NOT_COMPARED and row["statistic"] != "native size (pixels)":
            assert f" {row['source']} -> {row['target']}, " in row["finding"], row["statistic"]
