"""Near copies: target images that are source images re-encoded (JPEG at another quality), resized or
shifted by a pixel, which the exact content keys (:func:`tlcore.adapt.pair.content_keys`) miss.

Each image becomes a grey thumbnail (channels averaged, area-resized to at most :data:`GRID` x
:data:`GRID`). Candidates: each target image's :data:`CANDIDATES` nearest source images by the
cosine of their signatures (the magnitudes of the thumbnail's lowest spatial frequencies, which a
shift leaves alone; a matrix product, a block of target images at a time). Verification
(:func:`shifted_difference`): at the best of the 9 shifts of up to one pixel, every pixel of the
overlap within :data:`MAX_DIFFERENCE` of the source image's range (its brightest less its darkest
pixel). Correlation is no test: distinct handwritten 1s, or two trousers of one catalogue template,
correlate as closely as a JPEG copy does; their pixels differ by far more. A constant source image
(no range) is no one's near copy. Feature vectors (tables) have no such rule: they are left to the
exact check.
"""

from __future__ import annotations

import torch
from torch.nn import functional

GRID = 32  # side of the verification thumbnail (smaller images keep their size)
SIGNATURE = 6  # lowest frequencies each way in the candidate signature
CANDIDATES = 4  # source candidates verified per target image
MAX_DIFFERENCE = 0.25  # a near copy's largest pixel difference, over the source image's range
_BLOCK = 1 << 22  # cosines and candidate pixels held at once (target images in a block)


def near_copies(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """For each image of ``target`` (N x C x H x W, the shape of ``source``'s), the index of the source
    image it is a near copy of (its :func:`best_match`, verified), or -1."""
    found, difference = best_match(source, target)
    return torch.where(difference <= MAX_DIFFERENCE, found, torch.full_like(found, -1))


def best_match(source: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image of ``target``, the index of the candidate among ``source``'s images closest to
    it by :func:`shifted_difference`, and that difference (-1 and infinity with no source image)."""
    if not len(source) or not len(target):
        return torch.full((len(target),), -1, dtype=torch.long), torch.full((len(target),), torch.inf)
    grids = _thumbnail(source, GRID), _thumbnail(target, GRID)
    signatures = [_signature(grid) for grid in grids]
    k = min(CANDIDATES, len(source))
    found: list[torch.Tensor] = []
    differences: list[torch.Tensor] = []
    per_block = max(1, _BLOCK // (len(source) + k * grids[0][0].numel()))
    for rows in torch.arange(len(target)).split(per_block):
        candidates = (signatures[1][rows] @ signatures[0].T).topk(k, dim=1).indices
        difference, pick = shifted_difference(grids[0][candidates], grids[1][rows, None]).min(1)
        found.append(candidates.gather(1, pick[:, None])[:, 0])
        differences.append(difference)
    return torch.cat(found), torch.cat(differences)


def shifted_difference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The largest pixel difference of grey images ``a`` and ``b`` (... x H x W, broadcast against each
    other) over ``a``'s range, ``b`` moved by up to one pixel each way: the least of the 9 shifts, each
    on the two images' overlap (infinity where ``a`` is constant)."""
    h, w = a.shape[-2:]
    moves = (-1, 0, 1) if min(h, w) > 2 else (0,)  # an image of 2 px or fewer is not shifted
    scale = a.amax((-2, -1)) - a.amin((-2, -1))
    best = torch.full(torch.broadcast_shapes(a.shape, b.shape)[:-2], torch.inf)
    for dy in moves:
        for dx in moves:
            one = a[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)]
            two = b[..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)]
            best = torch.minimum(best, (one - two).abs().amax((-2, -1)))
    return torch.where(scale > 0, best / scale.clamp_min(1e-12), torch.inf)


def _thumbnail(images: torch.Tensor, side: int) -> torch.Tensor:
    """Grey (channels averaged) float images area-resized to at most ``side`` x ``side`` (N x h x w)."""
    grey = images.float().reshape(len(images), -1, *images.shape[-2:]).mean(1, keepdim=True)
    h, w = grey.shape[-2:]
    if h > side or w > side:
        grey = functional.adaptive_avg_pool2d(grey, (min(h, side), min(w, side)))
    return grey[:, 0]


def _signature(grid: torch.Tensor) -> torch.Tensor:
    """The candidate signature of grey thumbnails (N x h x w), the same for an image moved a pixel:
    the square roots of the magnitudes of their 2-D Fourier transforms (mean removed) at the
    :data:`SIGNATURE` lowest frequencies each way, each signature less its mean over its norm."""
    k = SIGNATURE
    spectrum = torch.fft.rfft2(grid - grid.mean((1, 2), keepdim=True)).abs().sqrt()
    low = torch.cat([spectrum[:, :k, :k].flatten(1), spectrum[:, 1 - k :, 1:k].flatten(1)], 1)
    centred = low - low.mean(1, keepdim=True)
    return centred / centred.norm(dim=1, keepdim=True).clamp_min(1e-12)
