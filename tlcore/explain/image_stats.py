"""Image statistics: what an image domain looks like, each a number per domain with its definition.

Every statistic is computed per image on ``N x C x H x W`` tensors in ``[0, 1]`` (batched, in chunks)
and summarised over the images by its mean and standard deviation. ``g`` is the grey image (the mean
over channels). Definitions, per image:

* ``background``: ``b``, the median of ``g`` over the border ring, and ``polarity``, ``+1`` when
  the ink is lighter than the background, ``-1`` when darker, as :mod:`tlcore.data.ink` defines them
  with the ink itself (``d``, positive in both polarities, and the ink pixels). The domain's mean
  polarity is the share of light-on-dark images minus the share of dark-on-light ones.
* ``brightness``: mean of ``g``; ``contrast``: standard deviation of ``g`` (over its pixels);
  ``range``: ``q99(g) - q01(g)``.
* ``ink_fill``: the share of ink pixels; ``ink_size``: the geometric
  mean of the ink bounding box's height and width, as fractions of the image's; ``centre_x``,
  ``centre_y``: the centre of mass of ``d`` over the ink, as fractions of the width / height (0.5 is
  the middle, y down).
* ``slant``: the angle in degrees of the ink's principal axis (second central moments of ``d`` over
  the ink, y up) from the vertical, counter-clockwise in ``(-90, 90]``. An axis has no direction, so
  the domain mean is the axial mean: ``0.5 atan2(sum e sin 2a, sum e cos 2a)`` with ``e`` each
  image's eccentricity ``(l1 - l2) / (l1 + l2)`` of its moment matrix, and the spread is the
  e-weighted root mean square of ``a`` minus that mean, wrapped to ``(-90, 90]``.
* ``sharpness``: normalised variance of the Laplacian, ``Var(lap g) / Var(g)`` with the 4-neighbour
  kernel on the interior (Pech-Pacheco et al. 2000), divided by the image's variance so that contrast
  does not count.
* ``noise``: Donoho & Johnstone's (1994) robust noise estimate ``median(|HH|) / 0.6745`` of the
  finest diagonal Haar coefficients ``HH = (a - b - c + d) / 2`` over non-overlapping 2 x 2 blocks.
* ``colour``: mean over pixels of ``max_c x - min_c x`` (0 for grey images).
* ``cast``: the colour cast, mean of the blue channel minus mean of the red one (positive: bluer);
  NaN on a grey image (fewer than 3 channels, or all equal), so that a grey side is not compared.

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
from tlcore.data.ink import (
    BLANK_MIN,
    CHUNK,
    INK_COLOUR,
    blank_mask,
    check_images,
    colour_spread,
    describe_blank,
    find_ink,
)
from tlcore.data.rng import generator
from tlcore.errors import TLError

MAX_IMAGES = 2000  # images summarised per domain (a seeded subsample beyond)
FOREGROUND = "share of foreground pixels (unlike the border)"  # the ink's share, on colour photos
HAAR_MAD = 0.6745  # median |N(0, 1)|
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


def per_image_statistics(X: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every statistic of :data:`STATISTICS` for each image of ``X`` (``N x C x H x W`` in [0, 1]):
    ``{name: N float32}``, plus ``eccentricity`` (the weight of ``slant``) and ``ink`` (N bool: the
    image has ink, not blank); see the module docstring."""
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
    angle = _wrap_axial(torch.rad2deg(from_x) - 90.0)
    spread = torch.sqrt((mxx - myy) ** 2 + 4 * mxy**2)
    eccentricity = torch.where(has_ink, spread / (mxx + myy).clamp_min(1e-8), 0.0)
    return torch.where(has_ink, angle, 0.0), eccentricity


def _wrap_axial(degrees: torch.Tensor) -> torch.Tensor:
    """Angles of axes wrapped to ``(-90, 90]``."""
    return 90.0 - torch.remainder(90.0 - degrees, 180.0)


def axial_mean(angles: torch.Tensor, weights: torch.Tensor) -> float:
    """Weighted mean of axis angles in degrees: ``0.5 atan2(sum w sin 2a, sum w cos 2a)``."""
    doubled = torch.deg2rad(2 * angles.double())
    w = weights.double()
    if float(w.sum()) <= 0:
        return 0.0
    return math.degrees(0.5 * math.atan2(float((w * doubled.sin()).sum()), float((w * doubled.cos()).sum())))


def axial_difference(a: float, b: float) -> float:
    """``a - b`` for axis angles in degrees, wrapped to ``(-90, 90]``."""
    return float(_wrap_axial(torch.tensor(a - b, dtype=torch.float64)))


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
            deviation = _wrap_axial(v - mean)
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
