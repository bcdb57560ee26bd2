"""Synthetic domain shifts with a severity knob, composable and deterministic for a seed.

Each shift is a pure batched tensor function ``(X, value, generator) -> X`` registered (:func:`computes`)
under a shift declared in :mod:`tlcore.data.shift_table` with its parameter's meaning, valid range,
identity value (the value at which it changes nothing and is skipped) and its complete computation in
ordered ``steps``; :func:`register_shift` adds a new shift, facts and function. Random draws come from
a ``torch.Generator`` seeded from ``(seed, shift name)``.

>>> shifted = apply_shifts(domain, [("rotate", 30), ("noise", 0.2)], seed=0)
>>> shifted.name  # "mnist5k:rotate=30,noise=0.2"
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import torch
from torch.nn.functional import affine_grid, grid_sample, interpolate

from tlcore.data.domain import Domain
from tlcore.data.rng import generator
from tlcore.data.shift_table import (
    STANDARD_MEAN,
    STANDARD_STD,
    Shift,
    declare_shift,
    format_shifts,
    get_shift,
)
from tlcore.errors import TLError

ShiftFn = Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]
CHUNK = 4096  # images per batched call: bounds temporaries (grids, backgrounds) on 70k-image domains
_FUNCTIONS: dict[str, ShiftFn] = {}


def register_shift(
    name: str,
    *,
    param: str,
    low: float,
    high: float,
    steps: tuple[str, ...],
    identity: float = 0.0,
    images_only: bool = True,
    draws: bool = False,
    exact_at: tuple[float, ...] = (),
) -> Callable[[ShiftFn], ShiftFn]:
    """Register a new shift: its facts (:func:`~tlcore.data.shift_table.declare_shift`) and function
    (duplicates are refused)."""

    def decorate(fn: ShiftFn) -> ShiftFn:
        declare_shift(Shift(name, param, low, high, steps, identity, images_only, draws, exact_at))
        return computes(name)(fn)

    return decorate


def computes(name: str) -> Callable[[ShiftFn], ShiftFn]:
    """Register the function of the shift ``name``, declared in :mod:`tlcore.data.shift_table`."""

    def decorate(fn: ShiftFn) -> ShiftFn:
        get_shift(name)  # declared
        if name in _FUNCTIONS:
            raise ValueError(f"shift {name!r} already has a function")
        _FUNCTIONS[name] = fn
        return fn

    return decorate


def shift_function(name: str) -> ShiftFn:
    """The function that computes the shift ``name``."""
    get_shift(name)  # a known name, or the TLError that lists them
    return _FUNCTIONS[name]


def effective(shifts: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """The shifts that change data, in order: a value at its shift's identity is skipped, as
    :func:`apply_shifts` skips it."""
    return [(name, float(value)) for name, value in shifts if value != get_shift(name).identity]


def apply_shifts(domain: Domain, shifts: Sequence[tuple[str, float]], seed: int = 0) -> Domain:
    """Apply ``shifts`` in order; the result is named ``<name>:<shift>=<value>,...``."""
    if not shifts:
        return domain
    X = domain.X
    for name, raw in shifts:
        shift = get_shift(name)
        value = shift.check(raw)
        if shift.images_only and not domain.is_image:
            raise TLError(f"{name} needs an image domain; {domain.name} holds feature vectors")
        if value == shift.identity:
            continue
        gen = generator(seed, "shift", name)
        fn = shift_function(name)
        X = torch.cat([fn(chunk, value, gen) for chunk in X.split(CHUNK)])
    text = format_shifts(shifts)
    return replace(
        domain,
        name=f"{domain.name}{',' if ':' in domain.name else ':'}{text}",
        X=X,
        provenance=f"{domain.provenance}; shifted {text} (seed {seed})".lstrip("; "),
        meta={**domain.meta, "shifts": [*domain.meta.get("shifts", []), *map(list, shifts)], "seed": seed},
    )


def _warp(X: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample every image with one 2 x 3 affine map (output coords -> input coords), zero padding."""
    grid = affine_grid(theta.unsqueeze(0), [1, *X.shape[1:]], align_corners=False)
    out = grid_sample(X, grid.expand(len(X), -1, -1, -1), align_corners=False, padding_mode="zeros")
    return out.clamp_(0.0, 1.0)


@computes("rotate")
def rotate(X: torch.Tensor, degrees: float, gen: torch.Generator) -> torch.Tensor:
    """Rotate every image by ``degrees`` about its centre."""
    h, w = X.shape[-2:]
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return _warp(X, torch.tensor([[c, -s * h / w, 0.0], [s * w / h, c, 0.0]]))


@computes("scale")
def scale(X: torch.Tensor, factor: float, gen: torch.Generator) -> torch.Tensor:
    """Zoom every image about its centre by ``factor``."""
    return _warp(X, torch.tensor([[1.0 / factor, 0.0, 0.0], [0.0, 1.0 / factor, 0.0]]))


@computes("noise")
def noise(X: torch.Tensor, std: float, gen: torch.Generator) -> torch.Tensor:
    """Add Gaussian noise (clipped to [0, 1] for images)."""
    out = X + std * torch.randn(X.shape, generator=gen)
    return out.clamp_(0.0, 1.0) if X.ndim == 4 else out


def _separable(X: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Apply a linear map to every image's rows and columns: ``rows @ X @ cols.T`` as two big GEMMs."""
    return ((X @ cols.T).transpose(-1, -2) @ rows.T).transpose(-1, -2)


def _gaussian_matrix(size: int, sigma: float) -> torch.Tensor:
    """``size x size`` Gaussian smoothing operator with replicated edges."""
    radius = max(1, math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1)
    taps = torch.exp(-(offsets.float() ** 2) / (2 * sigma**2))
    index = (torch.arange(size).unsqueeze(1) + offsets).clamp(0, size - 1)
    matrix = torch.zeros(size, size).scatter_add_(1, index, (taps / taps.sum()).expand(size, -1).contiguous())
    return matrix


def _upsample_matrix(size_in: int, size_out: int) -> torch.Tensor:
    """``size_out x size_in`` bilinear upsampling operator."""
    eye = torch.eye(size_in).unsqueeze(1)  # size_in x 1 x size_in
    return interpolate(eye, size=size_out, mode="linear", align_corners=False).squeeze(1).T


def gaussian_blur(X: torch.Tensor, sigma: float) -> torch.Tensor:
    """Images (... x H x W) under a separable Gaussian blur of ``sigma`` pixels, edges replicated."""
    h, w = X.shape[-2:]
    return _separable(X, _gaussian_matrix(h, sigma), _gaussian_matrix(w, sigma))


@computes("blur")
def blur(X: torch.Tensor, sigma: float, gen: torch.Generator) -> torch.Tensor:
    """Separable Gaussian blur with replicated edges (:func:`gaussian_blur`)."""
    return gaussian_blur(X, sigma)


@computes("contrast")
def contrast(X: torch.Tensor, factor: float, gen: torch.Generator) -> torch.Tensor:
    """Scale each image's deviation from its own mean by ``factor``."""
    mean = X.mean(dim=(1, 2, 3), keepdim=True)
    return (mean + factor * (X - mean)).clamp_(0.0, 1.0)


@computes("invert")
def invert(X: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Invert each image with probability ``p`` (``1`` inverts all)."""
    flip = (torch.rand(len(X), generator=gen) < p).view(-1, 1, 1, 1)
    return torch.where(flip, 1.0 - X, X)


@computes("colour")
def colour(X: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """MNIST-M-like: ``|background - image|`` over procedural colour textures; 3 channels out."""
    n, (h, w) = len(X), X.shape[-2:]
    # smooth random colour patches at two scales around one dominant colour, built at 9 x 9 and
    # upsampled once; every step is a convex combination, so values stay in [0, 1]
    coarse = _separable(torch.rand(n, 3, 4, 4, generator=gen), _upsample_matrix(4, 9), _upsample_matrix(4, 9))
    low = (
        0.5 * torch.rand(n, 3, 1, 1, generator=gen)
        + 0.3 * coarse
        + 0.2 * torch.rand(n, 3, 9, 9, generator=gen)
    )
    background = _separable(low, _upsample_matrix(9, h), _upsample_matrix(9, w))  # N x 3 x H x W
    rgb = X.expand(-1, 3, -1, -1) if X.shape[1] == 1 else X[:, :3]
    return background.sub_(rgb).abs_().mul_(strength).add_(rgb, alpha=1.0 - strength)


@computes("occlusion")
def occlusion(X: torch.Tensor, fraction: float, gen: torch.Generator) -> torch.Tensor:
    """Zero a random rectangle of about ``fraction * H * W`` pixels in each image."""
    n, (h, w) = len(X), X.shape[-2:]
    aspect = torch.exp((torch.rand(n, generator=gen) - 0.5) * math.log(4.0))  # height / width in [1/2, 2]
    area = fraction * h * w
    rect_h = (area * aspect).sqrt().round().clamp(max(1.0, math.ceil(area / w)), h)
    rect_w = (area / rect_h).round().clamp(1, w)
    top = (torch.rand(n, generator=gen) * (h - rect_h + 1)).floor()
    left = (torch.rand(n, generator=gen) * (w - rect_w + 1)).floor()
    rows = torch.arange(h).view(1, h, 1)
    cols = torch.arange(w).view(1, 1, w)
    inside = (rows >= top.view(-1, 1, 1)) & (rows < (top + rect_h).view(-1, 1, 1))
    inside = inside & (cols >= left.view(-1, 1, 1)) & (cols < (left + rect_w).view(-1, 1, 1))
    return X.masked_fill(inside.unsqueeze(1), 0.0)


@computes("standardise")
def standardise(X: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """Each channel of each image to mean 0.5 and standard deviation 0.2, blended by ``strength``:
    any per-channel gain and offset of a whole image (a colour cast, a darker exposure) cancels, as in
    per-channel instance normalisation (Ulyanov et al. 2016)."""
    mean = X.mean(dim=(2, 3), keepdim=True)
    std = X.std(dim=(2, 3), keepdim=True, correction=0).clamp_min(1e-3)
    z = (X - mean) / std * STANDARD_STD + STANDARD_MEAN
    return (strength * z + (1.0 - strength) * X).clamp_(0.0, 1.0)
