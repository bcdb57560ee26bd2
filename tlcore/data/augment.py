"""Training-time augmentation of batches: the source's random affine view and the strong view of
consistency terms (FixMatch). Seeded by the caller's ``torch.Generator``; drawn on the CPU so the
result does not depend on the device."""

from __future__ import annotations

import math

import torch
from torch import nn

from tlcore.data.shifts import noise, occlusion


def random_affine(
    x: torch.Tensor,
    gen: torch.Generator,
    degrees: float = 15.0,
    scale: tuple[float, float] = (0.9, 1.1),
    shift_px: float = 2.0,
) -> torch.Tensor:
    """Per-sample random rotation (±``degrees``), scale and shift (±``shift_px``) of ``N x C x H x W``.

    One batched ``affine_grid`` + ``grid_sample`` (bilinear, zero padding); parameters drawn from
    ``gen`` on the CPU so the result does not depend on the device.
    """
    n, _, h, w = x.shape
    u = torch.rand(n, 4, generator=gen)
    angle = (2 * u[:, 0] - 1) * math.radians(degrees)
    s = scale[0] + (scale[1] - scale[0]) * u[:, 1]
    tx = (2 * u[:, 2] - 1) * shift_px * 2 / w  # affine_grid works in [-1, 1] coordinates
    ty = (2 * u[:, 3] - 1) * shift_px * 2 / h
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)  # N x 2 x 3
    grid = nn.functional.affine_grid(theta.to(x), list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def strong_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A strong random view of each sample that keeps its class (FixMatch's "strong" view).

    Images (``N x C x H x W`` in [0, 1]), per sample: :func:`random_affine` with twice its default
    range (±30°, scale 0.8-1.2, ±4 px); contrast ``c ~ U[0.5, 1.5]`` about the image's mean and
    brightness ``b ~ U[-0.2, 0.2]``, clipped to [0, 1]; Gaussian noise (std 0.05); a cutout, one
    zeroed rectangle of ``H W / 16`` pixels (:func:`~tlcore.data.shifts.occlusion`). Feature
    vectors (``N x D``): Gaussian noise of 0.1 times each feature's batch std, then each entry
    replaced by its feature's batch mean with probability 0.1 (feature dropout that keeps the
    feature's scale). Everything drawn from ``gen`` on the CPU.
    """
    if x.ndim != 4:
        mean, std = x.mean(0), x.std(0, correction=0)
        noisy = x + 0.1 * std * torch.randn(x.shape, generator=gen)
        return torch.where(torch.rand(x.shape, generator=gen) < 0.1, mean, noisy)
    n = len(x)
    x = random_affine(x, gen, degrees=30.0, scale=(0.8, 1.2), shift_px=4.0)
    u = torch.rand(n, 2, 1, 1, 1, generator=gen)
    contrast, brightness = 0.5 + u[:, 0], 0.4 * u[:, 1] - 0.2
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (mean + contrast * (x - mean) + brightness).clamp(0.0, 1.0)
    return occlusion(noise(x, 0.05, gen), 1 / 16, gen)
