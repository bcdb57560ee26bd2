"""The synthetic shifts' facts, without torch: each shift's parameter, valid range, identity value and
its complete computation in ordered ``steps`` (what ``model.json`` tells someone who repeats it outside
tlstudio; ``tests/data/test_shift_steps.py`` holds them to the code). The functions that compute them
live in :mod:`tlcore.data.shifts`, registered against these names; ``data list`` reads only this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tlcore.errors import TLError

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

STANDARD_MEAN, STANDARD_STD = 0.5, 0.2  # what `standardise` sets each channel of each image to


@dataclass(frozen=True)
class Shift:
    """A registered shift's documented facts (its function: :func:`tlcore.data.shifts.shift_function`)."""

    name: str
    param: str  # what the value means
    low: float
    high: float
    steps: tuple[str, ...]  # the whole computation on one image x (C x H x W in [0, 1]), in order
    identity: float = 0.0  # the value that leaves the data unchanged
    images_only: bool = True
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


BUILT_IN: tuple[Shift, ...] = (
    Shift(
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
    ),
    Shift(
        "scale",
        param="zoom factor (<1 shrinks)",
        low=0.25,
        high=4,
        identity=1.0,
        steps=(_GRID, "the point read is u' = u / factor, v' = v / factor", _SAMPLE, _CLAMP),
    ),
    Shift(
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
    ),
    Shift(
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
    ),
    Shift(
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
    ),
    Shift(
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
    ),
    Shift(
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
    ),
    Shift(
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
            "rows top..top + h - 1 and columns left..left + w - 1 set to 0 in every channel; "
            "the rest unchanged",
            "no clamp: values stay as they were or become 0",
        ),
    ),
    Shift(
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
    ),
)
_SHIFTS: dict[str, Shift] = {shift.name: shift for shift in BUILT_IN}


def declare_shift(shift: Shift) -> None:
    """Add a shift's facts (:func:`tlcore.data.shifts.register_shift` adds its function too)."""
    if shift.name in _SHIFTS:
        raise ValueError(f"shift {shift.name!r} is already registered")
    _SHIFTS[shift.name] = shift


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
