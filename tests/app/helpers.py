"""Shared by the app and browser tests: the app's path, a small pair, a zip of images."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

APP = Path(__file__).resolve().parents[2] / "app.py"
SMALL_SOURCE, SMALL_TARGET = "mnist5k:n=200", "digits:n=200"
EVIL = "<img src=x onerror=alert(1)>"  # a class name that must show as text, never run


def image_zip(classes: tuple[str, ...] = ("0", "1"), per_class: int = 6, seed: int = 0) -> bytes:
    """A zip of class folders of small random grayscale PNGs."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in classes:
            for i in range(per_class):
                pixels = (rng.random((28, 28)) * 255).astype(np.uint8)
                png = io.BytesIO()
                Image.fromarray(pixels).save(png, format="PNG")
                archive.writestr(f"{name}/{i:03d}.png", png.getvalue())
    return buffer.getvalue()


def digits_zip(classes: tuple[int, ...] = (0, 1), per_class: int = 15) -> bytes:
    """A zip of class folders of real handwritten digits (scikit-learn's 8x8 set, as 28x28 PNGs)."""
    from sklearn.datasets import load_digits  # noqa: PLC0415 - only the browser test needs it

    bunch = load_digits()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label in classes:
            for i, index in enumerate(np.flatnonzero(bunch.target == label)[:per_class]):
                pixels = (bunch.images[index] / 16 * 255).astype(np.uint8)
                png = io.BytesIO()
                Image.fromarray(pixels).resize((28, 28), Image.Resampling.BILINEAR).save(png, format="PNG")
                archive.writestr(f"{label}/{i:03d}.png", png.getvalue())
    return buffer.getvalue()


def loose_digits_zip(n: int, *, dark_ink: bool = False) -> bytes:
    """A zip of ``n`` loose (unlabelled) handwritten digits, ``scans/scan_XX.png``; with ``dark_ink``,
    dark ink on white paper, like a scanned form."""
    from sklearn.datasets import load_digits  # noqa: PLC0415 - only the tests that make scans need it

    bunch = load_digits()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(n):
            pixels = (bunch.images[i] / 16 * 255).astype(np.uint8)
            if dark_ink:
                pixels = 255 - pixels
            png = io.BytesIO()
            Image.fromarray(pixels).resize((28, 28), Image.Resampling.BILINEAR).save(png, format="PNG")
            archive.writestr(f"scans/scan_{i:02d}.png", png.getvalue())
    return buffer.getvalue()


def npz_bytes(classes: list[str], n: int = 12) -> bytes:
    """An ``.npz`` of ``n`` random 28x28 images labelled round-robin with ``classes``."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    X = rng.random((n, 1, 28, 28)).astype(np.float32)
    np.savez(buffer, X=X, y=np.arange(n) % len(classes), classes=np.asarray(classes))
    return buffer.getvalue()
