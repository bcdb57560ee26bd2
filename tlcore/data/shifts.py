"""Synthetic domain shifts with a severity knob, composable and deterministic for a seed.

Each shift is a pure batched tensor function ``(X, value, generator) -> X`` registered with its
parameter's meaning, valid range, identity value (the value at which it changes nothing and is
skipped) and its complete computation in ordered ``steps`` (what ``model.json`` tells someone who
repeats it outside tlstudio; ``tests/data/test_shift_steps.py`` holds them to the code). Random
draws come from a ``torch.Generator`` seeded from ``(seed, shift name)``.

>>> shifted = apply_shifts(domain, [("rotate", 30), ("noise", 0.2)], seed=0)
>>> shifted.name  # "mnist5k:rotate=30,noise=0.2"
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch.nn.functional import affine_grid, grid_sample, interpolate

from tlcore.data.domain import Domain
from tlcore.data.rng import generator
from tlcore.errors import TLError

ShiftFn = Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]
CHUNK = 4096  # images per batched call: bounds temporaries (grids, backgrounds) on 70k-image domains


@dataclass(frozen=True)
class Shift:
    """A registered shift: its function and the documented parameter."""

    name: str
    fn: ShiftFn
    param: str  # what the value means
    low: float
    high: float
    identity: float  # the value that leaves the data unchanged
    steps: tuple[str, ...]  # the whole computation on one image x (C x H x W in [0, 1]), in order
    images_only: bool
    draws: bool = False  # draws random numbers per sample (noise, a rectangle, a colour)
    exact_at: tuple[float, ...] = ()  # values at which those draws decide nothing (invert=1)

    def random(self, value: float) -> bool:
        """Whether ``value`` shifts each sample by chance: new data cannot repeat it sample for sample."""
        return self.draws and value != self.identity and value not in self.exact_at

    def check(self, value: float) -> float:
        """``value`` as a float, or a :class:`TLError` when it is out of range."""
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise TLError(
                f"{self.name}={value:g} is out of range [{self.low:g}, {self.high:g}] ({self.param})"
            )
        return float(value)


_SHIFTS: dict[str, Shift] = {}


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
    """Register a shift function under ``name`` (duplicates are refused)."""

    def decorate(fn: ShiftFn) -> ShiftFn:
        if name in _SHIFTS:
            raise ValueError(f"shift {name!r} is already registered")
        _SHIFTS[name] = Shift(name, fn, param, low, high, identity, steps, images_only, draws, exact_at)
        return fn

    return decorate


def get_shift(name: str) -> Shift:
    try:
        return _SHIFTS[name]
    except KeyError:
        raise TLError(f"unknown shift {name!r}; known: {', '.join(_SHIFTS)}") from None


def shift_names() -> tuple[str, ...]:
    return tuple(_SHIFTS)


def list_shifts() -> list[dict[str, Any]]:
    """Name, parameter meaning, valid range and identity value of every shift."""
    return [
        {"name": s.name, "param": s.param, "low": s.low, "high": s.high, "identity": s.identity}
        for s in _SHIFTS.values()
    ]


def format_shifts(shifts: Sequence[tuple[str, float]]) -> str:
    """``rotate=30,noise=0.2``: short, and exact (parsing the text gives the same floats back)."""
    return ",".join(f"{name}={_number_text(value)}" for name, value in shifts)


def _number_text(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


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
        X = torch.cat([shift.fn(chunk, value, gen) for chunk in X.split(CHUNK)])
    text = format_shifts(shifts)
    return replace(
        domain,
        name=f"{domain.name}{',' if ':' in domain.name else ':'}{text}",
        X=X,
        provenance=f"{domain.provenance}; shifted {text} (seed {seed})".lstrip("; "),
        meta={**domain.meta, "shifts": [*domain.meta.get("shifts", []), *map(list, shifts)], "seed": seed},
    )


_GRID = (
    "for the output pixel at row i, column j take u = (2j + 1) / W - 1, v = (2i + 1) / H - 1 "
    "(pixel centres in [-1, 1], align_corners=False)"
)
_SAMPLE = (
    "read x at column (u' + 1) * W / 2 - 0.5, row (v' + 1) * H / 2 - 0.5 by bilinear interpolation "
    "between its 4 nearest pixels, every channel alike, a pixel outside the image counting as 0 "
    "(torch.nn.functional.grid_sample, mode='bilinear', padding_mode='zeros', align_corners=False)"
)
_CLAMP = "clamp every value to [0, 1]"
_PER_IMAGE = "drawn independently per image from the shift's seeded generator (torch.rand: uniform [0, 1))"


def _warp(X: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample every image with one 2 x 3 affine map (output coords -> input coords), zero padding."""
    grid = affine_grid(theta.unsqueeze(0), [1, *X.shape[1:]], align_corners=False)
    out = grid_sample(X, grid.expand(len(X), -1, -1, -1), align_corners=False, padding_mode="zeros")
    return out.clamp_(0.0, 1.0)


@register_shift(
    "rotate",
    param="degrees, counter-clockwise",
    low=-180,
    high=180,
    steps=(
        _GRID,
        "c = cos(degrees * pi / 180), s = sin(degrees * pi / 180); the point read is "
        "u' = c * u - s * (H / W) * v, v' = s * (W / H) * u + c * v",
        _SAMPLE,
        _CLAMP,
    ),
)
def rotate(X: torch.Tensor, degrees: float, gen: torch.Generator) -> torch.Tensor:
    """Rotate every image by ``degrees`` about its centre."""
    h, w = X.shape[-2:]
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return _warp(X, torch.tensor([[c, -s * h / w, 0.0], [s * w / h, c, 0.0]]))


@register_shift(
    "scale",
    param="zoom factor (<1 shrinks)",
    low=0.25,
    high=4,
    identity=1.0,
    steps=(_GRID, "the point read is u' = u / factor, v' = v / factor", _SAMPLE, _CLAMP),
)
def scale(X: torch.Tensor, factor: float, gen: torch.Generator) -> torch.Tensor:
    """Zoom every image about its centre by ``factor``."""
    return _warp(X, torch.tensor([[1.0 / factor, 0.0, 0.0], [0.0, 1.0 / factor, 0.0]]))


@register_shift(
    "noise",
    param="Gaussian noise std",
    low=0,
    high=1,
    images_only=False,
    draws=True,
    steps=(
        "add std * z to every value (each channel of each pixel, or each feature), z drawn "
        "independently per value from the standard normal (torch.randn on the shift's seeded generator)",
        "images: clamp every value to [0, 1]; feature vectors are not clamped",
    ),
)
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


@register_shift(
    "blur",
    param="Gaussian blur sigma in pixels",
    low=0,
    high=5,
    steps=(
        "r = max(1, ceil(3 * sigma)); weights k(o) = exp(-o^2 / (2 * sigma^2)) for the integer "
        "offsets o = -r..r, divided by their sum",
        "along each row, every channel alike: y[j] = sum over o of k(o) * x[min(max(j + o, 0), W - 1)] "
        "(edges replicated: an offset past the border reads the border pixel)",
        "then along each column of that result the same with H: z[i] = sum over o of "
        "k(o) * y[min(max(i + o, 0), H - 1)]",
        "no clamp: a weighted average of values in [0, 1] stays in [0, 1]",
    ),
)
def blur(X: torch.Tensor, sigma: float, gen: torch.Generator) -> torch.Tensor:
    """Separable Gaussian blur with replicated edges."""
    h, w = X.shape[-2:]
    return _separable(X, _gaussian_matrix(h, sigma), _gaussian_matrix(w, sigma))


@register_shift(
    "contrast",
    param="contrast factor (<1 lowers)",
    low=0,
    high=4,
    identity=1.0,
    steps=(
        "m = the mean of all values of the image, over its channels and pixels together (one number "
        "per image)",
        "y = m + factor * (x - m) for every value",
        _CLAMP,
    ),
)
def contrast(X: torch.Tensor, factor: float, gen: torch.Generator) -> torch.Tensor:
    """Scale each image's deviation from its own mean by ``factor``."""
    mean = X.mean(dim=(1, 2, 3), keepdim=True)
    return (mean + factor * (X - mean)).clamp_(0.0, 1.0)


@register_shift(
    "invert",
    param="probability that an image is inverted (x -> 1 - x)",
    low=0,
    high=1,
    draws=True,
    exact_at=(1.0,),
    steps=(
        f"u {_PER_IMAGE}",
        "where u < p: y = 1 - x for every value of the image (p = 1 inverts every image, whatever u); "
        "otherwise y = x",
        "no clamp: 1 - x stays in [0, 1]",
    ),
)
def invert(X: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Invert each image with probability ``p`` (``1`` inverts all)."""
    flip = (torch.rand(len(X), generator=gen) < p).view(-1, 1, 1, 1)
    return torch.where(flip, 1.0 - X, X)


@register_shift(
    "colour",
    param="blend strength of the MNIST-M-like colourisation",
    low=0,
    high=1,
    draws=True,
    steps=(
        "for a batch of n images (up to 4096), in this order from the shift's seeded generator "
        "(torch.rand, uniform [0, 1)): n x 3 x 4 x 4 values a, n x 3 x 1 x 1 values b, "
        "n x 3 x 9 x 9 values d; each image takes its own",
        "upsample a to 3 x 9 x 9 by linear interpolation along rows then columns "
        "(torch.nn.functional.interpolate, mode='linear', align_corners=False, on each axis)",
        "low = 0.5 * b + 0.3 * a + 0.2 * d (3 x 9 x 9)",
        "background = low upsampled the same way to 3 x H x W",
        "rgb = x with its one channel repeated 3 times (a colour image: its first 3 channels)",
        "y = strength * |background - rgb| + (1 - strength) * rgb: 3 channels out",
        "no clamp: every term is a convex combination of values in [0, 1]",
    ),
)
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


@register_shift(
    "occlusion",
    param="fraction of each image covered by a black rectangle",
    low=0,
    high=0.9,
    draws=True,
    steps=(
        f"u1, u2, u3 {_PER_IMAGE}: in a batch of up to 4096 images every image's u1, then every "
        "image's u2, then every image's u3",
        "aspect = exp((u1 - 0.5) * ln 4) (height / width, in [1/2, 2]); area = fraction * H * W",
        "h = round(sqrt(area * aspect)) clamped to [max(1, ceil(area / W)), H]; "
        "w = round(area / h) clamped to [1, W] (round: half to even)",
        "top = floor(u2 * (H - h + 1)), left = floor(u3 * (W - w + 1))",
        "rows top..top + h - 1 and columns left..left + w - 1 set to 0 in every channel; the rest unchanged",
        "no clamp: values stay as they were or become 0",
    ),
)
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


STANDARD_MEAN, STANDARD_STD = 0.5, 0.2  # what `standardise` sets each channel of each image to


@register_shift(
    "standardise",
    param="blend strength of each image's per-channel standardisation (undoes a colour cast and a "
    "brightness or contrast change of the whole image)",
    low=0,
    high=1,
    steps=(
        "for each channel c of the image: m_c = the mean of its pixels, s_c = their standard deviation "
        "(population, divisor H * W), at least 0.001",
        f"z = {STANDARD_MEAN} + {STANDARD_STD} * (x - m_c) / s_c for every value of channel c",
        "y = strength * z + (1 - strength) * x",
        _CLAMP,
    ),
)
def standardise(X: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """Each channel of each image to mean 0.5 and standard deviation 0.2, blended by ``strength``:
    any per-channel gain and offset of a whole image (a colour cast, a darker exposure) cancels, as in
    per-channel instance normalisation (Ulyanov et al. 2016)."""
    mean = X.mean(dim=(2, 3), keepdim=True)
    std = X.std(dim=(2, 3), keepdim=True, correction=0).clamp_min(1e-3)
    z = (X - mean) / std * STANDARD_STD + STANDARD_MEAN
    return (strength * z + (1.0 - strength) * X).clamp_(0.0, 1.0)
