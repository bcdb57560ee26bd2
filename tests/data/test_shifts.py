"""Each shift changes the data as its documentation claims, reproducibly for a seed."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from tlcore.data.domain import Domain
from tlcore.data.shift_table import get_shift, list_shifts, shift_names
from tlcore.data.shifts import apply_shifts, computes, register_shift, rotate, shift_function
from tlcore.errors import TLError

RANDOM = [("noise", 0.3), ("invert", 0.5), ("colour", 1.0), ("occlusion", 0.3)]


def constant(domain: Domain, value: float) -> Domain:
    return replace(domain, X=torch.full_like(domain.X, value))


def test_rotate_90_matches_rot90(digits_small: Domain) -> None:
    for degrees, k in ((90, 1), (-90, -1), (180, 2)):
        out = apply_shifts(digits_small, [("rotate", degrees)]).X
        torch.testing.assert_close(out, torch.rot90(digits_small.X, k, dims=(-2, -1)), atol=1e-5, rtol=0)


def test_scale_shrinks_about_the_centre(digits_small: Domain) -> None:
    out = apply_shifts(digits_small, [("scale", 0.5)]).X
    ratio = float(out.sum() / digits_small.X.sum())
    assert 0.2 < ratio < 0.3  # area shrinks by 0.5^2
    assert float(out[..., :7, :].abs().max()) == 0.0 and float(out[..., 21:, :].abs().max()) == 0.0


def test_noise_adds_gaussian_noise_within_range(digits_small: Domain) -> None:
    out = apply_shifts(digits_small, [("noise", 0.2)]).X
    background = digits_small.X == 0
    assert float(out[background].std()) > 0.1  # was exactly 0
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    middle = constant(digits_small, 0.5)
    delta = apply_shifts(middle, [("noise", 0.1)]).X - 0.5  # no clipping near 0.5 for std 0.1
    assert abs(float(delta.std()) - 0.1) < 0.005 and abs(float(delta.mean())) < 0.005


def test_blur_smooths_and_keeps_mass(digits_small: Domain) -> None:
    out = apply_shifts(digits_small, [("blur", 1.5)]).X

    def variation(X: torch.Tensor) -> float:
        return float(
            (X[..., 1:, :] - X[..., :-1, :]).abs().sum() + (X[..., :, 1:] - X[..., :, :-1]).abs().sum()
        )

    assert variation(out) < 0.6 * variation(digits_small.X)
    torch.testing.assert_close(out.sum(), digits_small.X.sum(), rtol=1e-3, atol=0)


def test_contrast_scales_deviation_from_the_mean(digits_small: Domain) -> None:
    out = apply_shifts(digits_small, [("contrast", 0.5)]).X
    dims = (1, 2, 3)
    torch.testing.assert_close(out.std(dim=dims), 0.5 * digits_small.X.std(dim=dims), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.mean(dim=dims), digits_small.X.mean(dim=dims), atol=1e-5, rtol=0)


def test_invert(digits_small: Domain) -> None:
    torch.testing.assert_close(apply_shifts(digits_small, [("invert", 1)]).X, 1 - digits_small.X)
    half = apply_shifts(digits_small, [("invert", 0.5)]).X
    flipped = (half - (1 - digits_small.X)).abs().amax(dim=(1, 2, 3)) == 0
    assert 10 < int(flipped.sum()) < 54


def test_colour_is_mnist_m_like(digits_small: Domain) -> None:
    out = apply_shifts(digits_small, [("colour", 1.0)])
    assert out.shape == (3, 28, 28)
    assert float(out.X.min()) >= 0.0 and float(out.X.max()) <= 1.0
    assert float((out.X[:, 0] - out.X[:, 1]).abs().mean()) > 0.02  # really coloured
    # |background - image|: black pixels show the background, white ones its inverse
    black = apply_shifts(constant(digits_small, 0.0), [("colour", 1.0)], seed=3).X
    white = apply_shifts(constant(digits_small, 1.0), [("colour", 1.0)], seed=3).X
    torch.testing.assert_close(white, 1 - black)
    assert float(black.std(dim=(2, 3)).mean()) > 0.02  # textured, not flat


def test_occlusion_zeroes_the_stated_fraction(digits_small: Domain) -> None:
    ones = constant(digits_small, 1.0)
    for fraction in (0.1, 0.3, 0.9):
        zero = apply_shifts(ones, [("occlusion", fraction)]).X[:, 0] == 0
        share = zero.float().mean(dim=(1, 2))
        assert float((share - fraction).abs().max()) < 0.03
        rows, cols = zero.any(dim=2), zero.any(dim=1)  # one rectangle: its bounding box is full
        assert torch.equal(zero.sum(dim=(1, 2)), rows.sum(dim=1) * cols.sum(dim=1))


@pytest.mark.parametrize(("name", "value"), RANDOM)
def test_random_shifts_are_reproducible_and_seeded(digits_small: Domain, name: str, value: float) -> None:
    a = apply_shifts(digits_small, [(name, value)], seed=1).X
    b = apply_shifts(digits_small, [(name, value)], seed=1).X
    c = apply_shifts(digits_small, [(name, value)], seed=2).X
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_identity_values_change_nothing(digits_small: Domain) -> None:
    for shift in list_shifts():
        out = apply_shifts(digits_small, [(shift["name"], shift["identity"])])
        assert torch.equal(out.X, digits_small.X), shift["name"]


def test_shifts_compose_in_order_and_name_the_domain(digits_small: Domain) -> None:
    out = apply_shifts(digits_small, [("rotate", 90), ("invert", 1)], seed=7)
    torch.testing.assert_close(out.X, 1 - torch.rot90(digits_small.X, 1, dims=(-2, -1)), atol=1e-5, rtol=0)
    assert out.name == "mnist5k:rotate=90,invert=1"
    assert "rotate=90,invert=1 (seed 7)" in out.provenance
    again = apply_shifts(out, [("noise", 0.1)])
    assert again.name == "mnist5k:rotate=90,invert=1,noise=0.1"
    assert again.meta["shifts"] == [["rotate", 90], ["invert", 1], ["noise", 0.1]]
    assert torch.equal(digits_small.X, digits_small.X.clone())  # input untouched


def test_bad_shifts_are_user_errors(digits_small: Domain) -> None:
    with pytest.raises(TLError, match="out of range"):
        apply_shifts(digits_small, [("rotate", 400)])
    with pytest.raises(TLError, match="unknown shift 'twist'"):
        apply_shifts(digits_small, [("twist", 1)])
    features = Domain("table", torch.rand(10, 4), None, ())
    with pytest.raises(TLError, match="image domain"):
        apply_shifts(features, [("rotate", 10)])
    noisy = apply_shifts(features, [("noise", 1.0)], seed=0).X
    assert float(noisy.max()) > 1.0 or float(noisy.min()) < 0.0  # features are not clipped


def test_registry_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_shift("rotate", param="x", low=0, high=1, steps=("x",))(lambda X, v, g: X)
    names = [s["name"] for s in list_shifts()]
    assert names == [
        "rotate",
        "scale",
        "noise",
        "blur",
        "contrast",
        "invert",
        "colour",
        "occlusion",
        "standardise",
    ]


def test_every_declared_shift_has_one_function() -> None:
    """The torch-free table (:mod:`tlcore.data.shift_table`, what ``data list`` reads) and the
    functions agree: each declared shift is computed by exactly one function, and only a declared
    name takes one."""
    assert shift_function("rotate") is rotate
    assert all(callable(shift_function(name)) for name in shift_names())
    with pytest.raises(ValueError, match="already has a function"):
        computes("rotate")(lambda X, v, g: X)
    with pytest.raises(TLError, match="unknown shift 'twist'"):
        computes("twist")(lambda X, v, g: X)
    with pytest.raises(TLError, match="unknown shift 'twist'"):
        shift_function("twist")


@pytest.mark.parametrize("name", shift_names())
def test_a_shift_is_random_exactly_when_it_says(name: str) -> None:
    """``Shift.random(value)`` (what model.json tells users to repeat or not) matches what the
    function does: two load seeds give other images exactly when it is random."""
    shift = get_shift(name)
    probe = torch.rand(8, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    values = {shift.low + 0.5 * (shift.high - shift.low), *shift.exact_at} - {shift.identity}
    fn = shift_function(name)
    for value in values:
        one, other = (fn(probe, value, torch.Generator().manual_seed(seed)) for seed in (0, 1))
        assert (not torch.equal(one, other)) == shift.random(value), (name, value)
    assert not shift.random(shift.identity)
