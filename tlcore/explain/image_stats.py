"""Image statistics: what an image domain looks like, each a number per domain with its definition.

Each statistic is measured per image (:mod:`tlcore.explain.per_image_stats`: every definition) and
summarised over the images by its mean and standard deviation. The domain's mean polarity is the
share of light-on-dark images minus the share of dark-on-light ones. ``slant`` is an axis, which has
no direction, so the domain mean is the axial mean: ``0.5 atan2(sum e sin 2a, sum e cos 2a)`` with
``e`` each image's eccentricity, and the spread is the e-weighted root mean square of ``a`` minus
that mean, wrapped to ``(-90, 90]``.

A side is *ink-like* (:attr:`ImageStats.ink_like`) when its mean ``colour`` is below
:data:`INK_COLOUR`: grey or near-grey, as ink on paper is. Polarity (light ink on dark or dark on
light) describes such images; on colour photos a "reversed polarity" is a darker scene, not inverted
ink, so :mod:`tlcore.explain.findings` compares it only when both sides are ink-like. On a photo the
"ink" is the foreground: the pixels unlike the border in brightness or colour; a pair that is not
ink-like on both sides names the ink's statistics so (:meth:`StatisticDef.label_on`: "share of
foreground pixels", "slant of the foreground's main axis").

A *blank* image has no ink pixel (:mod:`tlcore.data.ink`: the definition the spec option
``blank=drop`` drops by). The statistics of the ink (:attr:`StatisticDef.ink`: polarity, ink
fill, size, centre, slant, and sharpness, ``0 / 0`` on a constant image) do not exist on it: their
mean and spread are over the images with ink, and :attr:`ImageStats.n_blank` counts the others (no
image with ink: NaN, which :mod:`tlcore.explain.findings` does not compare). A few empty scans are
part of what a side looks like, so the whole-image statistics count them; from :data:`BLANK_MIN` of
the images on (the share from which the verdict names them as a cause of their own), every statistic
is over the images with ink, so that the blank ones do not pass for less contrast or a darker side.

Beyond :data:`MAX_IMAGES` images a domain is summarised on a seeded uniform subsample
(:attr:`ImageStats.n_images` says how many were used).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch

from tlcore.data.domain import Domain
from tlcore.data.ink import BLANK_MIN, INK_COLOUR, blank_mask, describe_blank
from tlcore.data.rng import generator
from tlcore.errors import TLError
from tlcore.explain.per_image_stats import per_image_statistics, wrap_axial

MAX_IMAGES = 2000  # images summarised per domain (a seeded subsample beyond)
FOREGROUND = "share of foreground pixels (unlike the border)"  # the ink's share, on colour photos
Kind = Literal["linear", "axial"]


@dataclass(frozen=True)
class StatisticDef:
    """One statistic: its key, plain-words label and unit, and ``floor``, the smallest spread that
    matters (the severity's denominator never goes below it, so two constant domains compare);
    ``ink``: a statistic of the ink, summarised over the images that have some; ``photo_label``: its
    label on colour photos, where the ink is the foreground (empty: ``label`` there too)."""

    name: str
    label: str
    unit: str
    floor: float
    kind: Kind = "linear"
    ink: bool = False
    photo_label: str = ""

    def label_on(self, photos: bool) -> str:
        """The label on a pair of colour photos (``photos``) or of ink-like images (module docstring)."""
        return self.photo_label if photos and self.photo_label else self.label


STATISTICS: tuple[StatisticDef, ...] = (
    StatisticDef("background", "background brightness", "0-1", 0.05),
    StatisticDef("polarity", "polarity (+1 light ink on dark, -1 dark on light)", "-1..1", 0.2, ink=True),
    StatisticDef("brightness", "mean brightness", "0-1", 0.05),
    StatisticDef("contrast", "contrast (std of the pixels)", "0-1", 0.02),
    StatisticDef("range", "intensity range (1st-99th percentile)", "0-1", 0.05),
    StatisticDef("ink_fill", "share of ink pixels", "0-1", 0.02, ink=True, photo_label=FOREGROUND),
    StatisticDef(
        "ink_size",
        "ink bounding box side",
        "share of the side",
        0.05,
        ink=True,
        photo_label="foreground bounding box side",
    ),
    StatisticDef(
        "centre_x",
        "ink centre, left to right",
        "share of the width",
        0.03,
        ink=True,
        photo_label="foreground centre, left to right",
    ),
    StatisticDef(
        "centre_y",
        "ink centre, top to bottom",
        "share of the height",
        0.03,
        ink=True,
        photo_label="foreground centre, top to bottom",
    ),
    StatisticDef(
        "slant",
        "slant of the ink's main axis",
        "degrees",
        5.0,
        "axial",
        ink=True,
        photo_label="slant of the foreground's main axis",
    ),
    StatisticDef("sharpness", "sharpness (variance of the Laplacian / variance)", "ratio", 0.05, ink=True),
    StatisticDef("noise", "noise level (robust, Haar wavelet)", "0-1", 0.01),
    StatisticDef("colour", "colour (spread between channels)", "0-1", 0.02),
    StatisticDef("cast", "colour cast (mean blue minus mean red)", "-1..1", 0.02),
)
BY_NAME = {s.name: s for s in STATISTICS}


@dataclass(frozen=True)
class DomainStatistic:
    """One statistic of one domain: mean and standard deviation over its ``n`` images (a statistic of
    the ink: over those with ink; NaN when none has; ``slant``'s weighted mean: Kish's effective
    number ``(sum w)² / sum w²``)."""

    name: str
    mean: float
    std: float
    n: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImageStats:
    """Every statistic of one image domain; ``native_size`` is its ``H x W`` before harmonisation,
    ``n_blank`` how many of the images summarised have no ink (left out of the ink's statistics)."""

    domain: str
    n_images: int  # images summarised
    n_total: int  # images in the domain
    native_size: tuple[int, int]
    statistics: tuple[DomainStatistic, ...]
    n_blank: int = 0

    @property
    def subsampled(self) -> bool:
        return self.n_images < self.n_total

    def get(self, name: str) -> DomainStatistic:
        for stat in self.statistics:
            if stat.name == name:
                return stat
        raise KeyError(name)

    @property
    def drops_blank(self) -> bool:
        """At least :data:`BLANK_MIN` of the images summarised are blank, not all: every statistic
        is over the others (module docstring)."""
        return BLANK_MIN * self.n_images <= self.n_blank < self.n_images

    @property
    def ink_like(self) -> bool:
        """Grey or near-grey images (mean colour spread below :data:`INK_COLOUR`), as ink on paper is:
        the side whose polarity means something (module docstring)."""
        return self.get("colour").mean < INK_COLOUR

    def describe_blank(self, side: str, ink: bool = True, photos: bool = False) -> str:
        """``150 of 600 target images are blank ...`` ('' when none is): left out of every statistic
        (:attr:`drops_blank`), of the ink's, or (``ink`` False) counted in a whole-image one (a few
        empty scans are part of what the side looks like: they lower contrast and range); in the words
        of a pair of colour ``photos`` (:func:`photo_pair`)."""
        fate = (
            "left out of every statistic"
            if self.drops_blank
            else f"left out of the {'foreground' if photos else 'ink'}'s statistics"
            if ink
            else "counted in it"
        )
        return describe_blank(self.n_blank, self.n_images, side, fate, photos)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: a statistic no image has (NaN) reads ``None``."""

        def number(value: float) -> float | None:
            return value if math.isfinite(value) else None

        return {
            "domain": self.domain,
            "n_images": self.n_images,
            "n_total": self.n_total,
            "n_blank": self.n_blank,
            "native_size": list(self.native_size),
            "statistics": {
                s.name: {"mean": number(s.mean), "std": number(s.std), "n": s.n} for s in self.statistics
            },
        }


def photo_pair(source: ImageStats, target: ImageStats) -> bool:
    """Colour photos: not ink-like on both sides; the ink is their foreground (module docstring)."""
    return not (source.ink_like and target.ink_like)


def axial_mean(angles: torch.Tensor, weights: torch.Tensor) -> float:
    """Weighted mean of axis angles in degrees: ``0.5 atan2(sum w sin 2a, sum w cos 2a)``."""
    doubled = torch.deg2rad(2 * angles.double())
    w = weights.double()
    if float(w.sum()) <= 0:
        return 0.0
    return math.degrees(0.5 * math.atan2(float((w * doubled.sin()).sum()), float((w * doubled.cos()).sum())))


def axial_difference(a: float, b: float) -> float:
    """``a - b`` for axis angles in degrees, wrapped to ``(-90, 90]``."""
    return float(wrap_axial(torch.tensor(a - b, dtype=torch.float64)))


def summarise(values: dict[str, torch.Tensor]) -> tuple[DomainStatistic, ...]:
    """Mean and standard deviation over the images of every statistic, the ink's over the images with
    ink (NaN when none has), every one of them from :data:`BLANK_MIN` blank images on (``slant``:
    axial, weighted by eccentricity; see the module docstring)."""
    out = []
    inked = values["ink"]
    drop = bool(inked.any()) and int((~inked).sum()) >= BLANK_MIN * len(inked)
    for stat in STATISTICS:
        v = values[stat.name].double()
        weights = values["eccentricity"].double()
        if (stat.ink or drop) and not inked.all():
            v, weights = v[inked], weights[inked]
        coloured = torch.isfinite(v)  # ``cast``: over the colour images
        if not coloured.all():
            v, weights = v[coloured], weights[coloured]
        n = float(len(v))
        if len(v) == 0:
            mean = std = math.nan
        elif stat.kind == "axial":
            mean = axial_mean(v, weights)
            deviation = wrap_axial(v - mean)
            total = float(weights.sum())
            std = math.sqrt(float((weights * deviation**2).sum()) / total) if total > 0 else 0.0
            n = total**2 / float((weights**2).sum()) if total > 0 else 0.0
        else:
            mean, std = float(v.mean()), float(v.std()) if len(v) > 1 else 0.0
        out.append(DomainStatistic(stat.name, mean, std, n))
    return tuple(out)


def native_size(domain: Domain) -> tuple[int, int]:
    """``H x W`` of ``domain``'s images before harmonisation: ``meta["native_size"]`` when its loader
    set one (images it resized itself), else the size before :func:`tlcore.data.harmonise` resized it
    (``meta["pair_report"].target_resized``), else its own size."""
    if "native_size" in domain.meta:
        h, w = domain.meta["native_size"]
        return int(h), int(w)
    report = domain.meta.get("pair_report")
    resized = getattr(report, "target_resized", None)
    if resized is not None:
        return tuple(resized[0])
    return int(domain.X.shape[-2]), int(domain.X.shape[-1])


def sample_index(n: int, cap: int, seed: int) -> torch.Tensor:
    """Sorted indices of a seeded uniform subsample of ``min(n, cap)`` out of ``n``."""
    if n <= cap:
        return torch.arange(n)
    return torch.randperm(n, generator=generator(seed, "explain", "sample"))[:cap].sort().values


def ink_index(domain: Domain) -> torch.Tensor:
    """Indices of every image of ``domain`` that has ink (not blank), in order."""
    return torch.nonzero(~blank_mask(domain.X)).flatten()


def image_stats(domain: Domain, *, max_images: int = MAX_IMAGES, seed: int = 0) -> ImageStats:
    """The statistics of an image domain, on a seeded subsample of at most ``max_images`` images."""
    if not domain.is_image:
        raise TLError(f"{domain.name} holds feature vectors; image statistics apply to images only")
    index = sample_index(domain.n_samples, max_images, seed)
    values = per_image_statistics(domain.X[index])
    n_blank = int((~values["ink"]).sum())
    return ImageStats(
        domain.name, len(index), domain.n_samples, native_size(domain), summarise(values), n_blank
    )
