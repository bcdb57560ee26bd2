"""Each image statistic on hand-made images whose value is known, and the domain summary."""

from __future__ import annotations

import math

import pytest
import torch

from tlcore.data import harmonise
from tlcore.data.domain import Domain
from tlcore.data.shifts import rotate
from tlcore.errors import TLError
from tlcore.explain.image_stats import (
    axial_difference,
    axial_mean,
    image_stats,
    native_size,
)
from tlcore.explain.per_image_stats import per_image_statistics


def canvas(value: float = 0.0, size: int = 16) -> torch.Tensor:
    return torch.full((1, 1, size, size), value)


def square(
    ink: float = 1.0, background: float = 0.0, top: int = 4, left: int = 6, side: int = 4
) -> torch.Tensor:
    X = canvas(background)
    X[..., top : top + side, left : left + side] = ink
    return X


def stat(X: torch.Tensor, name: str) -> float:
    return float(per_image_statistics(X)[name][0])


def test_background_is_the_border_median_and_polarity_its_sign():
    light_on_dark, dark_on_light = square(0.9, 0.2), square(0.1, 0.8)
    assert stat(light_on_dark, "background") == pytest.approx(0.2)
    assert stat(dark_on_light, "background") == pytest.approx(0.8)
    assert stat(light_on_dark, "polarity") == 1.0
    assert stat(dark_on_light, "polarity") == -1.0


def test_brightness_contrast_and_range_of_a_half_white_image():
    X = canvas(0.0)
    X[..., :, :8] = 1.0  # mean 0.5, population std 0.5, 1st..99th percentile 0..1
    assert stat(X, "brightness") == pytest.approx(0.5)
    assert stat(X, "contrast") == pytest.approx(0.5)
    assert stat(X, "range") == pytest.approx(1.0)


def test_ink_fill_box_and_centre_of_a_square_in_either_polarity():
    for X in (square(1.0, 0.0), square(0.0, 1.0)):  # inversion changes none of them
        assert stat(X, "ink_fill") == pytest.approx(16 / 256)
        assert stat(X, "ink_size") == pytest.approx(4 / 16)
        assert stat(X, "centre_x") == pytest.approx(8 / 16)  # columns 6..9 -> centre at 8
        assert stat(X, "centre_y") == pytest.approx(6 / 16)  # rows 4..7 -> centre at 6
    wide = canvas()
    wide[..., 6:8, 2:14] = 1.0  # 2 x 12 box: geometric mean side sqrt(2 * 12) / 16
    assert stat(wide, "ink_size") == pytest.approx(math.sqrt(2 * 12) / 16)


def test_slant_of_lines_from_the_vertical_counter_clockwise():
    vertical, backslash, slash = canvas(size=32), canvas(size=32), canvas(size=32)
    vertical[..., 4:28, 15:17] = 1.0
    for i in range(4, 28):
        backslash[..., i, i] = 1.0  # top-left to bottom-right: the vertical turned 45 deg counter-clockwise
        slash[..., i, 31 - i] = 1.0
    assert stat(vertical, "slant") == pytest.approx(0.0, abs=1e-4)
    assert stat(backslash, "slant") == pytest.approx(45.0, abs=1e-3)
    assert stat(slash, "slant") == pytest.approx(-45.0, abs=1e-3)
    turned = rotate(vertical, 30.0, torch.Generator())  # the registered shift's convention
    assert stat(turned, "slant") == pytest.approx(30.0, abs=2.0)


def test_sharpness_is_the_laplacian_variance_over_the_variance():
    checker = ((torch.arange(16).view(-1, 1) + torch.arange(16)) % 2).float().view(1, 1, 16, 16)
    # interior Laplacian is -4 on ones and +4 on zeros: variance 16; the image's variance 0.25
    assert stat(checker, "sharpness") == pytest.approx(16 / 0.25)
    ramp = torch.linspace(0, 1, 16).expand(16, 16).reshape(1, 1, 16, 16)
    assert stat(ramp, "sharpness") == pytest.approx(0.0, abs=1e-6)
    assert stat(canvas(0.3), "sharpness") == 0.0


def test_noise_is_the_robust_haar_estimate():
    assert stat(canvas(0.5, size=64), "noise") == 0.0
    blocks = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).repeat(8, 8).view(1, 1, 16, 16)  # HH = 1 everywhere
    assert stat(blocks, "noise") == pytest.approx(1 / 0.6745)
    noisy = 0.5 + 0.05 * torch.randn(1, 1, 128, 128, generator=torch.Generator().manual_seed(0))
    assert stat(noisy, "noise") == pytest.approx(0.05, rel=0.08)


def test_colour_is_the_spread_between_channels():
    assert stat(canvas(0.4), "colour") == 0.0
    red = torch.zeros(1, 3, 8, 8)
    red[:, 0] = 1.0
    assert stat(red, "colour") == pytest.approx(1.0)


def test_domain_summary_subsamples_with_a_seed_and_says_so():
    X = torch.cat([square(1.0, 0.0), square(0.0, 1.0)] * 10)
    domain = Domain("ten", X, None, ())
    stats = image_stats(domain, max_images=6, seed=3)
    assert (stats.n_images, stats.n_total, stats.subsampled) == (6, 20, True)
    assert stats == image_stats(domain, max_images=6, seed=3)
    full = image_stats(domain)
    assert full.get("polarity").mean == pytest.approx(0.0) and full.get("polarity").std == pytest.approx(
        1.0, rel=0.03
    )  # half +1, half -1
    assert set(full.to_dict()["statistics"]) == {s.name for s in full.statistics}


def test_blank_images_are_counted_and_left_out_of_the_inks_statistics():
    """QA: a blank image has no ink, yet counted (centre 0.5, fill 0, polarity +1) in the means; QA: a
    50%-blank target read as "less contrast"."""
    inked = torch.cat([square(0.0, 1.0, top=2, left=2), square(0.0, 1.0, top=8, left=6)])  # dark ink
    blank = torch.cat([canvas(1.0), canvas(0.0), canvas(0.5)])
    alone, mixed = (image_stats(Domain("d", X, None, ())) for X in (inked, torch.cat([inked, blank])))
    for name in ("polarity", "ink_fill", "ink_size", "centre_x", "centre_y", "slant", "sharpness"):
        assert mixed.get(name) == alone.get(name), name
    assert (alone.n_blank, mixed.n_blank, mixed.n_images) == (0, 3, 5)
    assert mixed.get("polarity").mean == -1.0 and mixed.get("centre_x").mean == pytest.approx(6 / 16)
    # from BLANK_MIN (5%) blank on, every statistic leaves them out; below it, whole-image ones count them
    assert mixed.drops_blank and mixed.get("brightness") == alone.get("brightness")
    assert (
        mixed.describe_blank("target")
        == "3 of 5 target images are blank (no ink) and left out of every statistic"
    )
    few = image_stats(Domain("f", torch.cat([inked.repeat(10, 1, 1, 1), canvas(0.5)]), None, ()))
    assert (few.n_blank, few.n_images, few.drops_blank) == (1, 21, False)
    assert few.get("brightness").mean == pytest.approx((20 * 240 / 256 + 0.5) / 21)  # every image
    assert (
        few.describe_blank("target", ink=False) == "1 of 21 target images is blank (no ink) and counted in it"
    )
    empty = image_stats(Domain("e", blank, None, ())).to_dict()  # no image has ink: nothing to average
    assert empty["n_blank"] == 3 and empty["statistics"]["centre_x"] == {"mean": None, "std": None, "n": 0.0}
    assert empty["statistics"]["brightness"]["mean"] == pytest.approx(0.5)


def test_axial_mean_wraps_at_ninety_degrees():
    angles = torch.tensor([89.0, -89.0])
    assert abs(axial_mean(angles, torch.ones(2))) == pytest.approx(90.0)
    assert axial_difference(85.0, -85.0) == pytest.approx(-10.0)


def test_native_size_from_the_loader_or_the_harmonisation():
    source = Domain("s", torch.rand(4, 1, 28, 28), None, ())
    small = Domain("t", torch.rand(4, 1, 8, 8), None, ())
    assert native_size(harmonise(source, small)[1]) == (8, 8)
    assert native_size(Domain("d", torch.rand(2, 1, 28, 28), None, (), meta={"native_size": (8, 8)})) == (
        8,
        8,
    )
    assert native_size(source) == (28, 28)


def test_feature_vectors_and_tiny_images_are_refused():
    with pytest.raises(TLError, match="images only"):
        image_stats(Domain("v", torch.rand(5, 3), None, ()))
    with pytest.raises(TLError, match="side >= 4"):
        per_image_statistics(torch.rand(2, 1, 3, 3))
