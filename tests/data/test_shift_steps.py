"""Each shift's registered ``steps`` (what model.json tells users) is its whole computation: the
clamp where the code clamps, and, followed literally in NumPy, the same numbers as tlstudio."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tlcore.data.domain import Domain
from tlcore.data.shift_table import get_shift, shift_names
from tlcore.data.shifts import apply_shifts
from tlcore.model_card import Parity, Provenance, model_card
from tlcore.models import build_model

CLAMP = "clamp every value to [0, 1]"


def images(seed: int = 0, n: int = 4, shape: tuple[int, int, int] = (3, 12, 16)) -> np.ndarray:
    """float32 images in [0, 1], many near the ends so that a contrast or a warp reaches past them."""
    rng = np.random.default_rng(seed)
    return rng.beta(0.5, 0.5, size=(n, *shape)).astype(np.float32)


def shifted(X: np.ndarray, name: str, value: float) -> np.ndarray:
    domain = Domain("x", torch.from_numpy(X), None, ())
    return apply_shifts(domain, [(name, value)]).X.numpy()


def card_steps(target: str) -> list[dict]:
    model = build_model("lenet", (3, 28, 28), 2, pretrained=False)  # the card of a network that runs
    provenance = Provenance("run", "mnist5k", target, ("im",))
    card = model_card(
        model, ("a", "b"), provenance, fmt="onnx", file="m.onnx", parity=Parity("t", (1,), 0, 0, 0)
    )
    return [step for step in card.to_dict()["preprocessing"] if step["op"] == "shift"]


@pytest.mark.parametrize("name", shift_names())
def test_the_card_names_the_clamp_exactly_when_the_shift_clamps(name: str) -> None:
    """Images past [0, 1] (constant 1.5 and -0.5) come back inside it only from a shift that clamps."""
    shift = get_shift(name)
    past = np.stack([np.full((1, 16, 16), 1.5), np.full((1, 16, 16), -0.5)]).astype(np.float32)
    out = shifted(past, name, shift.high)
    clamps = bool(out.min() >= 0.0 and out.max() <= 1.0)
    (step,) = card_steps(f"upload:t.zip:{name}={shift.high:g}")
    assert step["steps"] == list(shift.steps)
    assert any(CLAMP in text for text in step["steps"]) == clamps
    assert clamps or any(text.startswith("no clamp") for text in step["steps"])  # said either way


def test_contrast_from_the_card_in_numpy_gives_tlstudios_numbers() -> None:
    """QA's case: contrast=2.95 on an upload. The card's steps, followed literally."""
    (step,) = card_steps("upload:target.zip:contrast=2.95")
    assert step["steps"] == [
        "m = the mean of all values of the image, over its channels and pixels together "
        "(one number per image)",
        "y = m + factor * (x - m) for every value",
        CLAMP,
    ]
    X, factor = images(), step["value"]
    m = X.mean(axis=(1, 2, 3), keepdims=True)
    y = m + factor * (X - m)
    expected = np.clip(y, 0.0, 1.0)
    out = shifted(X, "contrast", factor)
    np.testing.assert_allclose(out, expected, atol=1e-6, rtol=0)
    assert (y > 1).mean() > 0.2 and (y < 0).mean() > 0.2  # the clamp decides many values


def _bilinear_zeros(X: np.ndarray, col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """``X`` (N x C x H x W) read at fractional (row, col), H x W each, 4 nearest pixels, outside = 0."""
    H, W = X.shape[-2:]
    c0, r0 = np.floor(col).astype(int), np.floor(row).astype(int)
    out = np.zeros(X.shape, np.float64)
    for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
        r, c = r0 + dr, c0 + dc
        weight = (1 - np.abs(row - r)) * (1 - np.abs(col - c))
        inside = (r >= 0) & (r < H) & (c >= 0) & (c < W)
        out += np.where(inside, weight, 0.0) * X[..., r.clip(0, H - 1), c.clip(0, W - 1)]
    return out


@pytest.mark.parametrize(
    ("name", "value"), [("rotate", 30.0), ("rotate", -115.0), ("scale", 0.7), ("scale", 1.6)]
)
def test_warps_from_their_steps_in_numpy(name: str, value: float) -> None:
    X = images(1)
    H, W = X.shape[-2:]
    j, i = np.meshgrid(np.arange(W), np.arange(H))
    u, v = (2 * j + 1) / W - 1, (2 * i + 1) / H - 1
    if name == "rotate":
        c, s = math.cos(value * math.pi / 180), math.sin(value * math.pi / 180)
        u, v = c * u - s * (H / W) * v, s * (W / H) * u + c * v
    else:
        u, v = u / value, v / value
    expected = np.clip(_bilinear_zeros(X, (u + 1) * W / 2 - 0.5, (v + 1) * H / 2 - 0.5), 0, 1)
    np.testing.assert_allclose(shifted(X, name, value), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("sigma", [0.4, 1.3])
def test_blur_from_its_steps_in_numpy(sigma: float) -> None:
    X = images(2).astype(np.float64)
    H, W = X.shape[-2:]
    r = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-r, r + 1)
    k = np.exp(-(offsets**2) / (2 * sigma**2))
    k /= k.sum()
    y = sum(w * X[..., np.clip(np.arange(W) + o, 0, W - 1)] for w, o in zip(k, offsets, strict=True))
    z = sum(w * y[..., np.clip(np.arange(H) + o, 0, H - 1), :] for w, o in zip(k, offsets, strict=True))
    np.testing.assert_allclose(shifted(X.astype(np.float32), "blur", sigma), z, atol=1e-5, rtol=0)
