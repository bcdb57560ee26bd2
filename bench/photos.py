"""Loading phone photos: tlcore's image reader against a full decode of the same files, in one run.

tlcore decodes a JPEG much larger than its output at a reduced DCT scale (``Image.draft``,
:mod:`tlcore.data.images`); the reference decodes every pixel, then makes the same float conversion
and antialiased bilinear resize (the steps ``model.json`` lists without the draft). Both read the same
zip of seeded synthetic 8-bit JPEGs (quality 90) of two kinds: a smooth scene, what a photo mostly
is, and per-pixel noise, the worst case for a reduced decode (its detail lies at the frequencies a
reduced scale drops). Reported per kind: each way's wall time (best of ``ROUNDS``), the speed-up, and
the largest and mean difference between the two tensors in 8-bit levels (1/255).
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.nn.functional import interpolate

from tlcore.data.images import draft_side, jpeg_scale, read_images
from tlcore.limits import Limits

Log = Callable[[str], None]
ROUNDS = 2  # each way reads the zip this many times; the fastest counts
QUALITY = 90


def measure_photos(count: int, size: tuple[int, int], folder: Path, log: Log) -> dict[str, Any]:
    """Per kind of photo, ``count`` JPEGs of ``size`` (height, width): timings and differences."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"count": count, "size": list(size), "rounds": ROUNDS, "kinds": {}}
    for kind in ("smooth", "noise"):
        log(f"photos: {count} {kind} JPEGs of {size[1]}x{size[0]}")
        path = _write_zip(folder / f"{kind}.zip", kind, count, size)
        limits = Limits(max_total_pixels=1 << 40, max_image_pixels=size[0] * size[1])
        studio, studio_s = _best(lambda path=path, limits=limits: read_images(path, limits, path.name).X)
        full, full_s = _best(lambda path=path, shape=tuple(studio.shape[-2:]): _full_decode(path, shape))
        levels = (studio - full).abs() * 255
        side = draft_side(tuple(studio.shape[-2:]))
        out["kinds"][kind] = {
            "output": list(studio.shape[-2:]),
            "scale": jpeg_scale(size, side),
            "tlcore_s": studio_s,
            "full_s": full_s,
            "speedup": full_s / studio_s,
            "max_levels": float(levels.max()),
            "mean_levels": float(levels.mean()),
        }
    return out


def _best(read: Callable[[], torch.Tensor]) -> tuple[torch.Tensor, float]:
    """What ``read`` returns, and its fastest wall time over ``ROUNDS`` calls."""
    seconds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        tensor = read()
        seconds.append(time.perf_counter() - start)
    return tensor, min(seconds)


def _full_decode(path: Path, shape: tuple[int, int]) -> torch.Tensor:
    """Every member decoded at full size, scaled to [0, 1] and resized to ``shape`` as the reader does."""
    images = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            with Image.open(io.BytesIO(archive.read(name))) as image:
                array = np.asarray(image.convert("RGB"), np.float32) / 255
            pixels = torch.from_numpy(array).permute(2, 0, 1)[None]
            images.append(interpolate(pixels, size=shape, mode="bilinear", antialias=True)[0].clamp(0, 1))
    return torch.stack(images)


def _write_zip(path: Path, kind: str, count: int, size: tuple[int, int]) -> Path:
    """``count`` seeded JPEGs of ``kind`` in one class folder (stored, not deflated, as cameras' are)."""
    rng = np.random.default_rng(0)
    height, width = size
    rows, cols = np.ogrid[0:height, 0:width]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            if kind == "noise":
                pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            else:
                a, b, c = rng.uniform(2, 12, 3) / max(size)
                red = 128 + 100 * np.sin(a * rows + b * cols)
                green = np.broadcast_to(128 + 90 * np.cos(c * cols), (height, width))
                blue = 64 + 120 * (rows / height) * (cols / width)
                pixels = np.dstack([red, green, blue]).clip(0, 255).astype(np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, format="JPEG", quality=QUALITY)
            archive.writestr(f"field/IMG_{i:04d}.jpg", buffer.getvalue())
    return path
