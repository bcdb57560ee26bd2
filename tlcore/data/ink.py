"""Ink: which pixels of an image are ink, and which images have none (*blank*).

One definition for every part of tlcore that asks: the ``blank=drop`` option of a domain spec
(:mod:`tlcore.data.spec`) and the image statistics of a diagnosis (:mod:`tlcore.explain.image_stats`),
so that what one drops is what the other counts. Per image of ``N x C x H x W`` in ``[0, 1]``, ``g``
its grey image (the mean over channels):

* background ``b`` = median of ``g`` over the border ring (``r = max(1, min(H, W) // 14)`` pixels
  wide, 2 on a 28 x 28 image);
* polarity ``+1`` when the ink is lighter than the background, ``-1`` when darker:
  ``sign((q99(g) - b) - (b - q01(g)))`` (ties +1), ``q`` the image's percentiles;
* ink: ``d = polarity * (g - b)`` (ink positive in both polarities); a pixel is ink when
  ``d > max(0.5 q99(d), 0.02)``;
* colour ink (images of ``C > 1`` channels): with ``k_c = x_c - g`` a pixel's chroma and ``k0_c`` the
  median of ``k_c`` over the border ring, ``e = max_c |k_c - k0_c|``; a pixel is also ink when
  ``e > max(0.5 q99(e), 0.02)`` (its ``d`` is then ``e``). A blue shape on a red background of the same
  brightness has ink. A grey image (one channel, or equal channels) has ``k = 0``, no colour ink, and
  exactly the ink of its grey image.

A *blank* image has no ink pixel: a constant image, or one whose every pixel lies within the ink
threshold of its background (an empty scan). From :data:`BLANK_MIN` of a side's images blank, a
diagnosis leaves them out of every statistic and names them as a cause, and a model's readings of the
data get :func:`blank_warning`'s sentence (``predict``, ``runs rank``, ``runs show``, the Predict and
Compare pages): a model puts every image in some class, a blank one too, and the label-free scores
that rank runs (EnsV: agreement with the ensemble of the pair's runs) read a blank target as
certainty.

On colour photos (a mean colour spread, :func:`colour_spread`, of at least :data:`INK_COLOUR`) the
ink is the foreground: the pixels unlike the border in brightness or colour, and a blank photo has
no foreground (:func:`blank_words`); grey or near-grey images keep the words of ink on paper.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from tlcore.data.domain import Domain
from tlcore.errors import TLError

MIN_SIDE = 4  # smaller images have no border ring and interior to speak of
BLANK_MIN = 0.05  # share of a side's images blank from which they count (module docstring)
CHUNK = 4096  # images per batch: bounds the temporaries on 70k-image domains
INK_FRACTION, INK_FLOOR = 0.5, 0.02
# mean colour spread below which images are ink-like (module docstring): MNIST 0, its colour=0.2 0.056,
# colour=0.5 0.14, colour photos of shapes 0.25
INK_COLOUR = 0.1


@dataclass(frozen=True)
class Ink:
    """The ink of ``N`` images (module docstring): per image its ``background``, percentiles
    ``low`` (q01) and ``high`` (q99) and ``polarity`` (``N`` each), and per pixel ``d`` (``N x H x W``,
    ink positive) and ``mask`` (``N x H x W`` bool: the ink pixels)."""

    background: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor
    polarity: torch.Tensor
    d: torch.Tensor
    mask: torch.Tensor

    @property
    def has_ink(self) -> torch.Tensor:
        """``N`` bool: the image has an ink pixel (it is not blank)."""
        return self.mask.flatten(1).any(1)


def check_images(X: torch.Tensor, what: str) -> None:
    """A one-line :class:`TLError` unless ``X`` is ``N x C x H x W`` with sides of at least
    :data:`MIN_SIDE` (``what`` needs them)."""
    if X.ndim != 4 or min(X.shape[-2:]) < MIN_SIDE:
        raise TLError(f"{what}: N x C x H x W images of side >= {MIN_SIDE} needed, got {tuple(X.shape)}")


def _border_ring(h: int, w: int) -> torch.Tensor:
    """``H x W`` bool: the border ring, ``max(1, min(H, W) // 14)`` pixels wide."""
    r = max(1, min(h, w) // 14)
    ring = torch.ones(h, w, dtype=torch.bool)
    ring[r : h - r, r : w - r] = False
    return ring


def _colour_ink(X: torch.Tensor, g: torch.Tensor, ring: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per pixel the chroma distance ``e`` from the background's chroma and the colour-ink mask
    ``e > max(0.5 q99(e), 0.02)`` (module docstring), ``N x H x W`` each."""
    chroma = X - g.unsqueeze(1)  # N x C x H x W; 0 on grey images
    reference = chroma[:, :, ring].median(2).values  # N x C
    e = (chroma - reference[:, :, None, None]).abs().amax(1)
    reach = torch.quantile(e.flatten(1), 0.99, dim=1)
    threshold = (INK_FRACTION * reach).clamp_min(INK_FLOOR)
    return e, e > threshold.view(-1, 1, 1)


def find_ink(X: torch.Tensor) -> Ink:
    """The ink of images ``X`` (``N x C x H x W`` float in [0, 1]), as the module docstring defines it:
    grey ink on ``g``, the mean over channels, and colour ink where ``C > 1``."""
    g = X.mean(1)
    h, w = g.shape[-2:]
    ring = _border_ring(h, w)
    background = g[:, ring].median(1).values
    low, high = torch.quantile(g.flatten(1), torch.tensor([0.01, 0.99]), dim=1)
    polarity = torch.where(high - background >= background - low, 1.0, -1.0)
    d = polarity.view(-1, 1, 1) * (g - background.view(-1, 1, 1))
    reach = torch.where(polarity > 0, high - background, background - low)  # q99(d)
    threshold = (INK_FRACTION * reach).clamp_min(INK_FLOOR)
    mask = d > threshold.view(-1, 1, 1)
    if X.shape[1] > 1:
        e, colour_mask = _colour_ink(X, g, ring)
        d = torch.where(colour_mask & ~mask, e, d)
        mask = mask | colour_mask
    return Ink(background, low, high, polarity, d, mask)


def colour_spread(X: torch.Tensor) -> torch.Tensor:
    """``N``: each image's mean over pixels of ``max_c x - min_c x`` (0 for grey images)."""
    return (X.amax(1) - X.amin(1)).flatten(1).mean(1) if X.shape[1] > 1 else torch.zeros(len(X))


def photo_like(X: torch.Tensor) -> bool:
    """Colour photos: a mean :func:`colour_spread` of at least :data:`INK_COLOUR` (module docstring)."""
    return bool(X.ndim == 4 and len(X) and colour_spread(X.float()).mean() >= INK_COLOUR)


def blank_words(photos: bool = False, why: bool = False) -> str:
    """What a blank image lacks: ``no ink`` on ink-like images, ``no foreground`` on colour
    ``photos`` (module docstring); ``why`` adds what such images are."""
    if photos:
        return "no foreground: constant images" if why else "no foreground"
    return "no ink: empty scans or constant images" if why else "no ink"


def with_ink(photos: bool = False) -> str:
    """The images that are not blank: ``images with ink`` (``images with a foreground`` on ``photos``)."""
    return "images with a foreground" if photos else "images with ink"


def blank_mask(X: torch.Tensor) -> torch.Tensor:
    """``N`` bool: which images of ``X`` (``N x C x H x W`` in [0, 1]) are blank (no ink pixel)."""
    check_images(X, "blank=drop")
    return torch.cat([~find_ink(chunk.float()).has_ink for chunk in X.split(CHUNK)])


def describe_blank(n_blank: int, n_total: int, what: str, fate: str, photos: bool = False) -> str:
    """``150 of 600 target images are blank (no ink) and {fate}`` ('' when none is; ``no foreground``
    on colour ``photos``): how each part that leaves blank images out, or counts them, says so
    (``what``: ``target``, ``source validation``)."""
    if not n_blank:
        return ""
    verb = "is" if n_blank == 1 else "are"
    return f"{n_blank} of {n_total} {what} images {verb} blank ({blank_words(photos)}) and {fate}"


def split_blank(domain: Domain) -> tuple[Domain, int]:
    """``domain``'s images with ink (their labels and sample ids with them, in order) and how many
    blank ones it had; a one-line :class:`TLError` unless it holds images (:func:`check_images`)."""
    blank = blank_mask(domain.X)
    return domain.subset(torch.nonzero(~blank).flatten()), int(blank.sum())


def without_blank(domain: Domain) -> tuple[Domain, int]:
    """``domain`` without its blank images (:func:`split_blank`, labels with them) and
    how many it had: a model's outputs on an image without ink say nothing of its class. Unchanged,
    with 0, for feature vectors, images too small to tell, and when every image is blank (nothing
    would be left to read; a diagnosis then voids the estimate:
    :attr:`tlcore.explain.result.Explanation.not_measured`)."""
    if not domain.is_image or min(domain.shape[-2:]) < MIN_SIDE:
        return domain, 0
    kept, n_blank = split_blank(domain)
    return (kept, n_blank) if kept.n_samples else (domain, 0)


def drop_blank(domain: Domain) -> Domain:
    """``domain`` without its blank images (their labels and sample ids with them, the others in
    order), the provenance saying how many were dropped; a one-line :class:`TLError` for feature
    vectors and when every image is blank (the spec option ``blank=drop``)."""
    if not domain.is_image:
        raise TLError(f"blank=drop applies to images only; {domain.name} holds feature vectors")
    kept, n_blank = split_blank(domain)
    words = blank_words(photo_like(domain.X))
    if not kept.n_samples:
        raise TLError(f"every image of {domain.name} is blank ({words}): blank=drop would leave none")
    dropped = f"{n_blank} blank image{'s' * (n_blank != 1)} dropped ({words})"
    return replace(kept, provenance=f"{domain.provenance}; {dropped}".lstrip("; "))


def count_blank(domain: Domain) -> int:
    """How many of ``domain``'s images are blank (0 for feature vectors and images too small to tell)."""
    if not domain.is_image or domain.X.ndim != 4 or min(domain.X.shape[-2:]) < MIN_SIDE:
        return 0
    return int(blank_mask(domain.X).sum())


def blank_warning(domain: Domain, what: str = "") -> str | None:
    """``120 of 120 upload:blank.npz images are blank (no ink) and ...`` when at least
    :data:`BLANK_MIN` of ``domain``'s images are blank, else None (``what``: which data, default the
    domain's name)."""
    n_blank, n_total = count_blank(domain), domain.n_samples
    if not n_blank or n_blank < BLANK_MIN * n_total:
        return None
    fate = (
        "still each get a class from a model: its predictions, confidences and label-free scores "
        "(EnsV among them) on them mean nothing"
    )
    return describe_blank(n_blank, n_total, what or domain.name, fate, photo_like(domain.X)) + "."
