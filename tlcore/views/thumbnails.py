"""Thumbnail grids: a handful of image samples composited into one picture (NumPy + PIL only).

The app shows these on the Data and Diagnose pages and the HTML report embeds them; nothing here
knows about Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw

from tlcore.data.rng import generator

BACKGROUND = (245, 246, 248)


def pick_samples(y: torch.Tensor | None, n_samples: int, count: int, seed: int = 0) -> np.ndarray:
    """Up to ``count`` sample indices spread over the classes of ``y`` (round robin), seeded.

    With no labels the indices are a seeded random draw.
    """
    count = min(count, n_samples)
    order = torch.randperm(n_samples, generator=generator(seed, "thumbnails")).numpy()
    if y is None or count == 0:
        return np.sort(order[:count])
    labels = y.numpy()[order]
    per_class = [order[labels == c] for c in np.unique(labels)]
    chosen: list[int] = []
    depth = 0
    while len(chosen) < count:
        for members in per_class:
            if depth < len(members) and len(chosen) < count:
                chosen.append(int(members[depth]))
        depth += 1
    return np.asarray(chosen, dtype=np.int64)


def to_uint8(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """``N x C x H x W`` floats in ``[0, 1]`` → ``N x H x W x 3`` uint8 RGB."""
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.ndim != 4:
        raise ValueError(f"expected N x C x H x W images, got shape {array.shape}")
    array = np.clip(np.nan_to_num(array, nan=0.0), 0.0, 1.0)
    if array.shape[1] == 1:
        array = np.repeat(array, 3, axis=1)
    elif array.shape[1] != 3:
        array = np.repeat(array.mean(axis=1, keepdims=True), 3, axis=1)
    return (array.transpose(0, 2, 3, 1) * 255.0 + 0.5).astype(np.uint8)


def thumbnail_grid(
    images: torch.Tensor | np.ndarray,
    captions: Sequence[str] | None = None,
    *,
    columns: int = 8,
    cell: int = 56,
    pad: int = 3,
) -> Image.Image:
    """One RGB picture with ``images`` on a grid, each scaled to ``cell`` pixels, captions under.

    Captions are drawn as pixels, so user-supplied names can never become markup.
    """
    pixels = to_uint8(images)
    count = len(pixels)
    columns = max(1, min(columns, count or 1))
    rows = max(1, -(-count // columns))
    caption_h = 12 if captions else 0
    width = columns * (cell + pad) + pad
    height = rows * (cell + caption_h + pad) + pad
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for i, tile in enumerate(pixels):
        row, col = divmod(i, columns)
        x = pad + col * (cell + pad)
        y = pad + row * (cell + caption_h + pad)
        canvas.paste(Image.fromarray(tile).resize((cell, cell), Image.Resampling.NEAREST), (x, y))
        if captions:
            draw.text((x + 1, y + cell), str(captions[i])[: max(3, cell // 6)], fill=(60, 60, 70))
    return canvas
