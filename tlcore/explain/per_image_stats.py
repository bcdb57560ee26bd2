"""Each image's statistics, measured from its pixels: the definitions behind
:mod:`tlcore.explain.image_stats`, which summarises them over a domain.

Every statistic is computed per image on ``N x C x H x W`` tensors in ``[0, 1]`` (batched, in chunks).
``g`` is the grey image (the mean over channels). Definitions, per image:

* ``background``: ``b``, the median of ``g`` over the border ring, and ``polarity``, ``+1`` when
  the ink is lighter than the background, ``-1`` when darker, as :mod:`tlcore.data.ink` defines them
  with the ink itself (``d``, positive in both polarities, and the ink pixels).
* ``brightness``: mean of ``g``; ``contrast``: standard deviation of ``g`` (over its pixels);
  ``range``: ``q99(g) - q01(g)``.
* ``ink_fill``: the share of ink pixels; ``ink_size``: the geometric
  mean of the ink bounding box's height and width, as fractions of the image's; ``centre_x``,
  ``centre_y``: the centre of mass of ``d`` over the ink, as fractions of the width / height (0.5 is
  the middle, y down).
* ``slant``: the angle in degrees of the ink's principal axis (second central moments of ``d`` over
  the ink, y up) from the vertical, counter-clockwise in ``(-90, 90]``, and its weight in a domain's
  mean, ``eccentricity``: ``(l1 - l2) / (l1 + l2)`` of the moment matrix (0 for a round blob).
* ``sharpness``: normalised variance of the Laplacian, ``Var(lap g) / Var(g)`` with the 4-neighbour
  kernel on the interior (Pech-Pacheco et al. 2000), divided by the image's variance so that contrast
  does not count.
* ``noise``: Donoho & Johnstone's (1994) robust noise estimate ``median(|HH|) / 0.6745`` of the
  finest diagonal Haar coefficients ``HH = (a - b - c + d) / 2`` over non-overlapping 2 x 2 blocks.
* ``colour``: mean over pixels of ``max_c x - min_c x`` (0 for grey images).
* ``cast``: the colour cast, mean of the blue channel minus mean of the red one (positive: bluer);
  NaN on a grey image (fewer than 3 channels, or all equal), so that a grey side is not compared.

``ink`` says which images have ink: a *blank* one (:mod:`tlcore.data.ink`) has none, and
:mod:`tlcore.explain.image_stats` leaves it out of the ink's statistics.
"""

from __future__ import annotations

import math

import torch

from tlcore.data.ink import CHUNK, check_images, colour_spread, find_ink

HAAR_MAD = 0.6745  # median |N(0, 1)|


def per_image_statistics(X: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every statistic of :data:`~tlcore.explain.image_stats.STATISTICS` for each image of ``X``
    (``N x C x H x W`` in [0, 1]): ``{name: N float32}``, plus ``eccentricity`` (the weight of
    ``slant``) and ``ink`` (N bool: the image has ink, not blank); see the module docstring."""
    check_images(X, "image statistics")
    parts = [_chunk_statistics(chunk.float()) for chunk in X.split(CHUNK)]
    return {key: torch.cat([p[key] for p in parts]) for key in parts[0]}


def _chunk_statistics(X: torch.Tensor) -> dict[str, torch.Tensor]:
    n, _, h, w = X.shape
    g = X.mean(1)  # N x H x W
    flat = g.flatten(1)
    found = find_ink(X)
    ink, has_ink = found.mask, found.has_ink
    mass = torch.where(ink, found.d, 0.0)
    total = mass.sum((1, 2))
    safe_total = torch.where(has_ink, total, 1.0)
    cols = (torch.arange(w, dtype=torch.float32) + 0.5) / w
    rows = (torch.arange(h, dtype=torch.float32) + 0.5) / h
    centre_x = torch.where(has_ink, (mass.sum(1) * cols).sum(1) / safe_total, 0.5)
    centre_y = torch.where(has_ink, (mass.sum(2) * rows).sum(1) / safe_total, 0.5)
    slant, eccentricity = _slant(mass, centre_x * w, centre_y * h, safe_total, has_ink)
    height = _extent(ink.any(2)) / h
    width = _extent(ink.any(1)) / w
    lap = g[:, :-2, 1:-1] + g[:, 2:, 1:-1] + g[:, 1:-1, :-2] + g[:, 1:-1, 2:] - 4 * g[:, 1:-1, 1:-1]
    variance = flat.var(1, correction=0)
    sharpness = lap.flatten(1).var(1, correction=0) / variance.clamp_min(1e-8)
    even = g[:, : h - h % 2, : w - w % 2]
    hh = (even[:, 0::2, 0::2] - even[:, 0::2, 1::2] - even[:, 1::2, 0::2] + even[:, 1::2, 1::2]) / 2
    noise = hh.abs().flatten(1).median(1).values / HAAR_MAD
    colour = colour_spread(X)
    channels = X.mean((2, 3))
    cast = channels[:, 2] - channels[:, 0] if X.shape[1] >= 3 else torch.full((n,), math.nan)
    cast = torch.where(colour > 0, cast, math.nan)  # grey: no cast to speak of
    return {
        "background": found.background,
        "polarity": found.polarity,
        "brightness": flat.mean(1),
        "contrast": variance.sqrt(),
        "range": found.high - found.low,
        "ink_fill": ink.float().flatten(1).mean(1),
        "ink_size": (height * width).sqrt(),
        "centre_x": centre_x,
        "centre_y": centre_y,
        "slant": slant,
        "sharpness": torch.where(variance > 1e-8, sharpness, 0.0),
        "noise": noise,
        "colour": colour,
        "cast": cast,
        "eccentricity": eccentricity,
        "ink": has_ink,
    }


def _extent(occupied: torch.Tensor) -> torch.Tensor:
    """Rows (or columns) from the first to the last occupied one (``N x L`` bool -> N; 0 when none)."""
    length = occupied.shape[1]
    first = occupied.float().argmax(1)
    last = length - 1 - occupied.flip(1).float().argmax(1)
    return torch.where(occupied.any(1), (last - first + 1).float(), 0.0)


def _slant(
    mass: torch.Tensor, cx: torch.Tensor, cy: torch.Tensor, total: torch.Tensor, has_ink: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image: the principal axis' angle from the vertical (degrees, counter-clockwise, y up) and
    the eccentricity of the second-moment matrix (0 for a round blob or no ink)."""
    h, w = mass.shape[-2:]
    x = torch.arange(w, dtype=torch.float32).view(1, 1, -1) + 0.5 - cx.view(-1, 1, 1)
    y = -(torch.arange(h, dtype=torch.float32).view(1, -1, 1) + 0.5 - cy.view(-1, 1, 1))  # y up
    mxx = (mass * x * x).sum((1, 2)) / total
    myy = (mass * y * y).sum((1, 2)) / total
    mxy = (mass * x * y).sum((1, 2)) / total
    from_x = 0.5 * torch.atan2(2 * mxy, mxx - myy)  # axis angle from the x axis, (-pi/2, pi/2]
    angle = wrap_axial(torch.rad2deg(from_x) - 90.0)
    spread = torch.sqrt((mxx - myy) ** 2 + 4 * mxy**2)
    eccentricity = torch.where(has_ink, spread / (mxx + myy).clamp_min(1e-8), 0.0)
    return torch.where(has_ink, angle, 0.0), eccentricity


def wrap_axial(degrees: torch.Tensor) -> torch.Tensor:
    """Angles of axes wrapped to ``(-90, 90]``."""
    return 90.0 - torch.remainder(90.0 - degrees, 180.0)
