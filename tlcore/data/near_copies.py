"""Near copies: target images that are source images re-encoded (JPEG at another quality), resized or
shifted by a pixel, which the exact content keys (:func:`tlcore.adapt.pair.content_keys`) miss.

Each image becomes a grey thumbnail (channels averaged, area-resized to at most :data:`GRID` x
:data:`GRID`). Candidates: each target image's :data:`CANDIDATES` nearest source images by the
cosine of their signatures (the magnitudes of the thumbnail's lowest spatial frequencies, which a
shift leaves alone; a matrix product, a block of target images at a time). Verification
(:func:`resampled_difference`): at the best of the 9 shifts of up to one pixel, every pixel of the
overlap within :data:`MAX_DIFFERENCE` of the source image's range (its brightest less its darkest
pixel), or within :data:`MAX_BLURRED_DIFFERENCE` of it once the source image is blurred by one of
the Gaussians of :data:`BLURS` or exported with a box filter at one of :data:`EXPORT_SIDES` and
decoded back. Correlation is no test: distinct handwritten 1s, or two trousers of
one catalogue template, correlate as closely as a JPEG copy does; their pixels differ by far more. A
constant source image (no range) is no one's near copy. Feature vectors (tables) have no such rule:
they are left to the exact check.

Why blur the source alone: a target image exported at another size is resampled twice (to that size,
then decoded back to the source's), and each resampling is a low-pass filter (bilinear, bicubic or
antialiased: a kernel of about a pixel), so the copy is its original blurred, its edges off by far
more than the JPEG tolerance allows. Blurred by the Gaussian of the closest width (half a pixel, for
a round trip through a larger size, to a pixel, through little more than half the size), the
original meets the copy again, up to rounding. Blurring both images instead would bring distinct
look-alikes together as well (it flattens the strokes by which two 1s differ); blurring one leaves
the other's edges sharp, and the tighter tolerance keeps apart two items of one template, which a
blur brings closer.

A box filter to a smaller size is no blur: PIL's ``BOX`` averages the pixels whose centres each new
pixel covers (1 or 2 a side, at 0.5 to 0.86 of the size), so the copy aliases, each export size in its
own pattern. The source image is put through that export at each of :data:`EXPORT_SIDES` (every side
of 14 to 24 px of a 28-px image) and decoded back (bilinear), which meets the copy again, up to
rounding; a neighbouring size does not (its pattern differs), so each size is a version of its own.
An exact-area filter (OpenCV's ``INTER_AREA``) blurs, and the Gaussians find it. Box upscaling back
(blocks) is not found.
"""

from __future__ import annotations

import torch
from torch.nn import functional

from tlcore.data.shifts import gaussian_blur

GRID = 32  # side of the verification thumbnail (smaller images keep their size)
SIGNATURE = 6  # lowest frequencies each way in the candidate signature
CANDIDATES = 4  # source candidates verified per target image
MAX_DIFFERENCE = 0.25  # a near copy's largest pixel difference, over the source image's range
BLURS = (0.5, 0.6, 0.7, 0.85, 1.0)  # Gaussian widths (thumbnail pixels) that stand for resampling
MAX_BLURRED_DIFFERENCE = 0.2  # the same, the source image blurred (BLURS) or exported (EXPORT_SIDES)
# sizes of box exports, fractions of the side: every side of 14 to 24 px of a 28-px image
EXPORT_SIDES = tuple(side / 28 for side in range(14, 25))
_BLOCK = 1 << 22  # cosines and candidate pixels held at once (target images in a block)


def near_copies(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """For each image of ``target`` (N x C x H x W, the shape of ``source``'s), the index of the source
    image it is a near copy of (its :func:`best_match`, verified), or -1."""
    found, difference = best_match(source, target)
    return torch.where(difference <= MAX_DIFFERENCE, found, torch.full_like(found, -1))


def best_match(source: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image of ``target``, the index of the candidate among ``source``'s images closest to
    it by :func:`resampled_difference`, and that difference (-1 and infinity with no source image)."""
    if not len(source) or not len(target):
        return torch.full((len(target),), -1, dtype=torch.long), torch.full((len(target),), torch.inf)
    grids = _thumbnail(source, GRID), _thumbnail(target, GRID)
    signatures = [_signature(grid) for grid in grids]
    k = min(CANDIDATES, len(source))
    found: list[torch.Tensor] = []
    differences: list[torch.Tensor] = []
    versions = 1 + len(BLURS) + len(EXPORT_SIDES)  # of each candidate (:func:`_with_blurs`)
    per_block = max(1, _BLOCK // (len(source) + k * versions * grids[0][0].numel()))
    for rows in torch.arange(len(target)).split(per_block):
        candidates = (signatures[1][rows] @ signatures[0].T).topk(k, dim=1).indices
        blurs = _with_blurs(grids[0][candidates.flatten()]).unflatten(0, candidates.shape)  # candidates only
        difference, pick = resampled_difference(blurs, grids[1][rows, None, None]).min(1)
        found.append(candidates.gather(1, pick[:, None])[:, 0])
        differences.append(difference)
    return torch.cat(found), torch.cat(differences)


def resampled_difference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The difference of a source image ``a`` and a target image ``b``, grey (``a``: ... x V x H x W,
    the image then its :data:`BLURS` and exports, :func:`_with_blurs`; ``b``: ... x 1 x H x W; broadcast
    against each other): the least of their :func:`shifted_difference` and of each other version of
    ``a``'s against ``b``, over ``a``'s range, scaled by :data:`MAX_DIFFERENCE` /
    :data:`MAX_BLURRED_DIFFERENCE` (so both pass at :data:`MAX_DIFFERENCE`)."""
    sharp = a[..., :1, :, :]
    scale = sharp.amax((-2, -1)) - sharp.amin((-2, -1))
    weights = torch.tensor([1.0] + [MAX_DIFFERENCE / MAX_BLURRED_DIFFERENCE] * (a.shape[-3] - 1))
    return (shifted_difference(a, b, scale) * weights).amin(-1)


def shifted_difference(a: torch.Tensor, b: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """The largest pixel difference of grey images ``a`` and ``b`` (... x H x W, broadcast against each
    other) over ``scale`` (the source image's range), ``b`` moved by up to one pixel each way: the least
    of the 9 shifts, each on the two images' overlap (infinity where the scale is 0)."""
    h, w = a.shape[-2:]
    moves = (-1, 0, 1) if min(h, w) > 2 else (0,)  # an image of 2 px or fewer is not shifted
    best = torch.full(torch.broadcast_shapes(a.shape, b.shape)[:-2], torch.inf)
    for dy in moves:
        for dx in moves:
            one = a[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)]
            two = b[..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)]
            best = torch.minimum(best, (one - two).abs_().amax((-2, -1)))
    return torch.where(scale > 0, best / scale.clamp_min(1e-12), torch.inf)


def _thumbnail(images: torch.Tensor, side: int) -> torch.Tensor:
    """Grey (channels averaged) float images area-resized to at most ``side`` x ``side`` (N x h x w)."""
    grey = images.float().reshape(len(images), -1, *images.shape[-2:]).mean(1, keepdim=True)
    h, w = grey.shape[-2:]
    if h > side or w > side:
        grey = functional.adaptive_avg_pool2d(grey, (min(h, side), min(w, side)))
    return grey[:, 0]


def _with_blurs(grid: torch.Tensor) -> torch.Tensor:
    """Grey thumbnails (N x h x w), each followed by its :data:`BLURS` and its area exports at
    :data:`EXPORT_SIDES` decoded back (N x (1 + len(BLURS) + len(EXPORT_SIDES)) x h x w)."""
    h, w = grid.shape[-2:]
    exports = [_export_matrix(h, side) @ grid @ _export_matrix(w, side).T for side in EXPORT_SIDES]
    return torch.stack([grid, *(gaussian_blur(grid, sigma) for sigma in BLURS), *exports], 1)


def _export_matrix(size: int, fraction: float) -> torch.Tensor:
    """``size x size``: a side exported at ``fraction`` of its pixels with a box filter (PIL's ``BOX``:
    each new pixel the mean of the old pixels whose centres it covers, an old centre on the edge of two
    going where PIL's double arithmetic puts it, as its ``precompute_coeffs`` computes it), then decoded
    back by bilinear interpolation (half-pixel centres, as an upload is decoded)."""
    small = max(1, round(size * fraction))
    scale = size / small  # old pixels a new one spans
    centres = ((torch.arange(small, dtype=torch.float64) + 0.5) * scale)[:, None]  # new pixels' centres
    old = torch.arange(size, dtype=torch.float64)
    window = (old >= (centres - scale / 2 + 0.5).floor()) & (old < (centres + scale / 2 + 0.5).floor())
    distance = (old - centres + 0.5) * (1.0 / scale)  # old centre to new centre, in new pixels
    covered = (window & (distance > -0.5) & (distance <= 0.5)).float()
    up = functional.interpolate(torch.eye(small)[:, None], size=size, mode="linear", align_corners=False)
    return up[:, 0].T @ (covered / covered.sum(1, keepdim=True))


def _signature(grid: torch.Tensor) -> torch.Tensor:
    """The candidate signature of grey thumbnails (N x h x w), the same for an image moved a pixel:
    the square roots of the magnitudes of their 2-D Fourier transforms (mean removed) at the
    :data:`SIGNATURE` lowest frequencies each way, each signature less its mean over its norm."""
    k = SIGNATURE
    spectrum = torch.fft.rfft2(grid - grid.mean((1, 2), keepdim=True)).abs().sqrt()
    low = torch.cat([spectrum[:, :k, :k].flatten(1), spectrum[:, 1 - k :, 1:k].flatten(1)], 1)
    centred = low - low.mean(1, keepdim=True)
    return centred / centred.norm(dim=1, keepdim=True).clamp_min(1e-12)
