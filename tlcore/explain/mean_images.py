"""Mean images of both domains and their per-pixel difference: where, on average, the pictures differ."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tlcore.data.domain import Domain
from tlcore.data.ink import blank_mask
from tlcore.explain.image_stats import sample_index


@dataclass(frozen=True)
class MeanImages:
    """``source`` and ``target``: the mean image of each domain, ``H x W x C`` float32 in [0, 1]
    (``C`` 1 or 3); ``difference``: grey target mean minus grey source mean, ``H x W`` in [-1, 1]
    (positive: the target is lighter there). Means over ``n_source`` / ``n_target`` images."""

    source: np.ndarray
    target: np.ndarray
    difference: np.ndarray
    n_source: int
    n_target: int

    def to_dict(self, decimals: int = 4) -> dict[str, Any]:
        return {
            "source": np.round(self.source, decimals).tolist(),
            "target": np.round(self.target, decimals).tolist(),
            "difference": np.round(self.difference, decimals).tolist(),
            "n_source": self.n_source,
            "n_target": self.n_target,
        }


def mean_images(Xs: torch.Tensor, Xt: torch.Tensor) -> MeanImages:
    """The mean images of two image batches of one size (``N x C x H x W``, the same ``C``)."""
    source = Xs.double().mean(0)  # C x H x W
    target = Xt.double().mean(0)
    difference = target.mean(0) - source.mean(0)
    return MeanImages(
        source=source.permute(1, 2, 0).float().numpy(),
        target=target.permute(1, 2, 0).float().numpy(),
        difference=difference.float().numpy(),
        n_source=len(Xs),
        n_target=len(Xt),
    )


def pictured(domain: Domain, drop_blank: bool, max_images: int, seed: int) -> torch.Tensor:
    """The images a side's mean image averages: the image statistics' seeded subsample
    (:func:`~tlcore.explain.image_stats.sample_index`), less its blank images when ``drop_blank``
    (every statistic leaves them out: :attr:`~tlcore.explain.image_stats.ImageStats.drops_blank`)."""
    X = domain.X[sample_index(domain.n_samples, max_images, seed)]
    return X[~blank_mask(X)] if drop_blank else X
