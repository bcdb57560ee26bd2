"""Shared by the app and browser tests: the app's path, a small pair, a zip of images, colour contrast."""

from __future__ import annotations

import io
import re
import tomllib
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from PIL import Image

from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.element_tree import TextInput

APP = Path(__file__).resolve().parents[2] / "app.py"
SMALL_SOURCE, SMALL_TARGET = "mnist5k:n=200", "digits:n=200"
EVIL = "<img src=x onerror=alert(1)>"  # a class name that must show as text, never run
THEMES = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text())["theme"]
LIGHT_PAGE, DARK_PAGE = THEMES["light"]["backgroundColor"], THEMES["dark"]["backgroundColor"]  # the app's


def plain(text: str) -> str:
    """Markdown text as a reader sees it (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def rgba(colour: str | Sequence[float]) -> tuple[float, float, float, float]:
    """``#rrggbb``, ``rgb(r, g, b)``, ``rgba(r, g, b, a)`` or an RGB(A) tuple (0-255) as ``(r, g, b, a)``,
    alpha from 0 to 1."""
    if isinstance(colour, str) and colour.startswith("#"):
        return (*(int(colour[i : i + 2], 16) for i in (1, 3, 5)), 1.0)
    if isinstance(colour, str):
        values = [float(v) for v in re.findall(r"[\d.]+", colour)]
        return (*values[:3], values[3] if len(values) > 3 else 1.0)
    return (*colour[:3], colour[3] / 255 if len(colour) > 3 else 1.0)


def luminance(colour: str | Sequence[float]) -> float:
    """WCAG relative luminance of an opaque colour: 0 black, 1 white."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (v / 255 for v in rgba(colour)[:3])
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(colour: str | Sequence[float], background: str | Sequence[float]) -> float:
    """WCAG contrast ratio (1 to 21) of ``colour``, alpha-blended onto the opaque ``background``."""
    *front, alpha = rgba(colour)
    back = rgba(background)[:3]
    blended = [alpha * f + (1 - alpha) * b for f, b in zip(front, back, strict=True)]
    high, low = sorted((luminance(blended), luminance(back)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def image_zip(
    classes: tuple[str, ...] = ("0", "1"), per_class: int = 6, seed: int = 0, side: int = 28
) -> bytes:
    """A zip of class folders of random grayscale PNGs, ``side`` x ``side`` px."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in classes:
            for i in range(per_class):
                pixels = (rng.random((side, side)) * 255).astype(np.uint8)
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


def pair_field(at: AppTest, key: str = "pair_target") -> TextInput:
    """The sidebar's field of the pair's ``key`` (its widget key names the value it shows)."""
    return at.text_input(key=f"{key}_field={at.session_state[key]}")


def click(at: AppTest, label: str) -> AppTest:
    """Click the button labelled ``label`` and run the page; no exception."""
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def number(at: AppTest, label: str) -> float:
    """The value of the number field labelled ``label``."""
    return next(w for w in at.number_input if w.label == label).value


def errors(at: AppTest) -> list[str]:
    """The error boxes' texts as a reader sees them (Markdown escapes removed)."""
    return [plain(e.value) for e in at.error]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def metric_rows(node: Any, kind: str = "metric") -> list[Any]:
    """The blocks (layout protos) that hold elements of ``kind`` (metrics) directly, in page order."""
    children = list(getattr(node, "children", {}).values())
    if any(getattr(child, "type", "") == kind for child in children):
        return [node.proto]
    return [row for child in children for row in metric_rows(child, kind)]


def texts(at: AppTest) -> list[str]:
    """Every markdown-ish text on the page (markdown, captions, alerts), as written."""
    kinds = ("markdown", "caption", "info", "error", "warning", "success")
    return [str(el.value) for kind in kinds for el in at.get(kind)]


def random_label_shift() -> LabelShiftEstimate:
    """A label-shift estimate of 3 classes from seeded random logits (30 source, 30 target samples): an
    untrusted one, whose figure carries error bars and the "not to be trusted" title."""
    logits = torch.randn(60, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    labels = torch.arange(30) % 3
    return estimate_label_shift(
        logits[:30], labels, logits[30:], ("a", "b", "c"), settings=LabelShiftSettings(n_bootstrap=5)
    )
