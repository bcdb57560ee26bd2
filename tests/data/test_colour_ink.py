"""Ink on colour images (:mod:`tlcore.data.ink`): a pixel that stands out from the background in colour
is ink, even where its grey value equals the background's; grey images keep exactly the ink they had."""

from __future__ import annotations

import hashlib

import torch

from tlcore.data import load_domain
from tlcore.data.ink import blank_mask, find_ink


def digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.contiguous().numpy().tobytes()).hexdigest()[:16]


def disc_on(background: tuple[float, float, float], disc: tuple[float, float, float]) -> torch.Tensor:
    """One 3 x 32 x 32 image: a disc of radius 8 in the middle, coloured ``disc``, on ``background``."""
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    inside = (yy - 15.5) ** 2 + (xx - 15.5) ** 2 <= 64
    image = torch.tensor(background).view(3, 1, 1).expand(3, 32, 32).clone()
    image[:, inside] = torch.tensor(disc).view(3, 1)
    return image.unsqueeze(0)


def test_a_blue_disc_on_a_red_background_of_equal_brightness_is_ink() -> None:
    X = disc_on((0.6, 0.0, 0.0), (0.0, 0.0, 0.6))  # grey 0.2 inside and out
    assert torch.equal(X.mean(1), torch.full((1, 32, 32), 0.2))
    assert not blank_mask(X).item()
    ink = find_ink(X)
    inside = disc_on((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))[0, 0] > 0
    assert torch.equal(ink.mask[0], inside)  # the disc, all of it and nothing else
    assert torch.allclose(ink.d[0][inside], torch.tensor(0.6))  # e = max_c |k_c - k0_c| = 0.6
    # the same disc in the background's colour is an empty image
    assert blank_mask(disc_on((0.6, 0.0, 0.0), (0.6, 0.0, 0.0))).item()


def test_grey_images_keep_exactly_the_ink_they_had() -> None:
    """Hashes taken with the grey-only ink (before colour ink): the blank mask, the ink mask and ``d``
    of 5000 MNIST digits, as one channel and as three equal channels."""
    X = load_domain("mnist5k", seed=0).X
    three = X.expand(-1, 3, -1, -1).contiguous()
    assert digest(blank_mask(X)) == digest(blank_mask(three)) == "7ca5bd879f393d9d"
    assert digest(find_ink(X).mask) == digest(find_ink(three).mask) == "6ae13c27c8887ad3"
    assert digest(find_ink(X).d) == "ed9c26835ba0a6c8"
    assert digest(find_ink(three).d) == "611190f96952587c"  # the mean of 3 equal floats, as before
