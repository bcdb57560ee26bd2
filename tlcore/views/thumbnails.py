"""Thumbnail grids: a handful of image samples composited into one picture (NumPy + PIL only).

The app shows these on the Data and Diagnose pages and the HTML report embeds them; nothing here
knows about Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from tlcore.data.rng import generator
from tlcore.ellipsis import keep_end, keep_start

BACKGROUND = (0, 0, 0, 0)  # transparent: the grid sits on the page's own background, light or dark
INK = (124, 126, 134, 255)  # captions: mid grey, about 4:1 contrast on white and on a dark page
LINE_HEIGHT = 13  # pixels per caption line: the 10-pixel font's accents and descenders included (scaled)
FONT_SIZE = 10
# clear pixels between a tile and its caption: at 1 px (the font's own ascender gap) a caption scaled
# to the page's width ran into the image above it (QA helper-117, Predict's least-confident samples)
CAPTION_GAP = 4
# DejaVu (Latin, Greek, Cyrillic, dashes; no CJK) by name from the system's fonts: Pillow's bitmap
# default drew é, —, Ж, θ as boxes (QA), and its TrueType default (Aileron) covers no more
FONTS = ("DejaVuSansCondensed.ttf", "DejaVuSans.ttf")


@functools.cache
def caption_font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The first of :data:`FONTS` installed, else Pillow's default, at ``size`` pixels."""
    for name in FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


FONT = caption_font()


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


def _measure(font: ImageFont.FreeTypeFont | ImageFont.ImageFont = FONT) -> ImageDraw.ImageDraw:
    """A drawing context that measures text in ``font``."""
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    draw.font = font
    return draw


def caption_lines(text: str, width: float, draw: ImageDraw.ImageDraw | None = None) -> list[str]:
    """``text`` in at most two lines of ``width`` pixels. Whole when it fits. A name with spaces (a
    class name) breaks at the last space that fits, its second line cut to an ellipsis at its end
    (QA: ``d`` / ``igit 0 (zero)``). Otherwise (a sample id) it keeps its end: a file name says more
    than its folders, so the folders go on the first line and the file name on the second (or, when
    the name alone is too wide, the text breaks where its end fits); a first line still too wide
    loses its start to an ellipsis."""
    draw = draw or _measure()
    if draw.textlength(text) <= width:
        return [text]
    words = text.split(" ")
    fits = [i for i in range(1, len(words)) if draw.textlength(" ".join(words[:i])) <= width]
    if fits:
        return [" ".join(words[: fits[-1]]), keep_start(" ".join(words[fits[-1] :]), width, draw.textlength)]
    folders, slash, name = text.rpartition("/")
    if slash and draw.textlength(name) <= width:
        return [keep_end(folders + slash, width, draw.textlength), name]
    cut = next(i for i in range(1, len(text) + 1) if draw.textlength(text[i:]) <= width)
    return [keep_end(text[:cut], width, draw.textlength), text[cut:]]


def thumbnail_grid(
    images: torch.Tensor | np.ndarray,
    captions: Sequence[str] | None = None,
    *,
    columns: int = 8,
    cell: int = 56,
    pad: int = 3,
    font_size: int = FONT_SIZE,
) -> Image.Image:
    """One RGBA picture with ``images`` on a grid, each scaled to ``cell`` pixels, captions under
    after :data:`CAPTION_GAP` clear pixels (two lines where one is too narrow: :func:`caption_lines`),
    in :data:`FONTS` at ``font_size`` pixels. Between the tiles it is transparent and the captions are
    grey, so it reads on a light or a dark page.

    Captions are drawn as pixels, so user-supplied names can never become markup.
    """
    pixels = to_uint8(images)
    count = len(pixels)
    columns = max(1, min(columns, count or 1))
    rows = max(1, -(-count // columns))
    font = caption_font(font_size)
    line_height = LINE_HEIGHT * font_size // FONT_SIZE
    measure = _measure(font)
    lines = [caption_lines(str(c), cell - 1, measure) for c in captions] if captions else []
    n_lines = max((len(c) for c in lines), default=0)
    caption_h = CAPTION_GAP + line_height * n_lines if n_lines else 0
    width = columns * (cell + pad) + pad
    height = rows * (cell + caption_h + pad) + pad
    canvas = Image.new("RGBA", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.fontmode = "1"  # whole pixels: antialiased, a 10-pixel stem was two half-grey columns on the page
    for i, tile in enumerate(pixels):
        row, col = divmod(i, columns)
        x = pad + col * (cell + pad)
        y = pad + row * (cell + caption_h + pad)
        canvas.paste(Image.fromarray(tile).resize((cell, cell), Image.Resampling.NEAREST), (x, y))
        for j, line in enumerate(lines[i] if i < len(lines) else []):
            draw.text((x + 1, y + cell + CAPTION_GAP + j * line_height), line, fill=INK, font=font)
    return canvas
