"""The size image files are loaded at (the median side) and how each keeps its shape (cover + centre
crop); built-in domains and uploads of one size are left exactly as they were."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn.functional import interpolate

from tests.data.data_formats import png_bytes, write_zip
from tlcore.data.images import cover_size
from tlcore.data.spec import load_domain
from tlcore.data.uploads import read_path


def disc_image(height: int, width: int, radius: float) -> np.ndarray:
    """A black disc of ``radius`` at the centre of a white ``height x width`` gray image."""
    rows, cols = np.ogrid[:height, :width]
    disc = (rows - (height - 1) / 2) ** 2 + (cols - (width - 1) / 2) ** 2 <= radius**2
    return np.where(disc, 0, 255).astype(np.uint8)


def ink_extent(image: torch.Tensor) -> tuple[int, int]:
    """Rows and columns the dark pixels (< 0.5) of a ``1 x H x W`` image span."""
    rows, cols = torch.nonzero(image[0] < 0.5, as_tuple=True)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def test_a_disc_in_a_portrait_photo_stays_a_disc(tmp_path: Path) -> None:
    members = {
        "portrait.png": png_bytes(disc_image(240, 120, 40)),
        "a.png": png_bytes(disc_image(60, 60, 10)),
        "b.png": png_bytes(disc_image(60, 60, 10)),
    }
    domain = read_path(write_zip(tmp_path / "photos.zip", members))
    assert domain.shape == (1, 60, 60)
    height, width = ink_extent(domain.X[0])  # 240 x 120 -> 120 x 60 (half), rows 30..89 kept
    assert (height, width) == (40, 40)  # a circle of radius 20; stretched to 60 x 60 it was 20 x 40
    assert domain.provenance == (
        "3 unlabelled images from photos.zip, 1 resized to 60x60 keeping the aspect ratio, centre-cropped"
    )


def test_cover_size_covers_the_output_keeping_the_aspect_ratio() -> None:
    assert cover_size((240, 120), (60, 60)) == (120, 60)
    assert cover_size((100, 200), (85, 128)) == (85, 170)
    assert cover_size((200, 150), (128, 96)) == (128, 96)  # the output's aspect ratio: only resized


def test_the_domain_size_is_the_median_height_and_width_not_the_most_common(tmp_path: Path) -> None:
    sizes = [(20, 20), (20, 20), (40, 44), (50, 54), (60, 64)]
    members = {f"{i}.png": png_bytes(np.full(size, 128, np.uint8)) for i, size in enumerate(sizes)}
    domain = read_path(write_zip(tmp_path / "sizes.zip", members))
    assert domain.shape == (1, 40, 44)  # lower medians of 20, 20, 40, 50, 60 and 20, 20, 44, 54, 64
    assert domain.meta["n_resized"] == 4
    assert torch.allclose(domain.X, torch.full_like(domain.X, 128 / 255))


def test_an_upload_of_one_size_is_only_scaled(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (200, 150), dtype=np.uint8) for _ in range(3)]
    members = {f"{i}.png": png_bytes(image) for i, image in enumerate(images)}
    domain = read_path(write_zip(tmp_path / "one_size.zip", members))
    pixels = torch.from_numpy(np.stack(images)[:, None].astype(np.float32) / 255)
    expected = interpolate(pixels, size=(128, 96), mode="bilinear", antialias=True, align_corners=False)
    assert domain.shape == (1, 128, 96) and torch.equal(domain.X, expected.clamp(0, 1))


@pytest.mark.parametrize(
    ("spec", "shape", "digest"),
    [
        ("mnist5k", (5000, 1, 28, 28), "ed9c26835ba0a6c8"),
        ("digits", (1797, 1, 28, 28), "9c78120d93adb820"),
    ],
)
def test_built_in_domains_are_unchanged(spec: str, shape: tuple[int, ...], digest: str) -> None:
    """SHA-256 prefixes of the tensors as they were before images kept their aspect ratio."""
    X = load_domain(spec, seed=0).X
    assert tuple(X.shape) == shape
    assert hashlib.sha256(X.numpy().tobytes()).hexdigest()[:16] == digest


@pytest.mark.parametrize(
    ("spec", "shape", "moments"),
    [
        ("mnist5k:n=200,rotate=20,noise=0.1", (200, 1, 28, 28), (0.163440893, 0.106011594, 0.431852570)),
        ("digits:colour=1,blur=1", (1797, 3, 28, 28), (0.426884725, 0.213732240, 0.289322982)),
    ],
)
def test_shifted_built_in_domains_are_unchanged(
    spec: str, shape: tuple[int, ...], moments: tuple[float, float, float]
) -> None:
    """A shift's interpolation rounds differently on other CPUs (its bytes differ between an Intel Xeon
    and an AMD EPYC): its mean, mean square and centre's mean, to a relative 1e-6."""
    X = load_domain(spec, seed=0).X.double()
    assert tuple(X.shape) == shape
    centre = X[:, :, 10:18, 10:18].mean().item()
    assert (X.mean().item(), (X**2).mean().item(), centre) == pytest.approx(moments, rel=1e-6)
