"""The one check every two-sample metric makes of its inputs before computing anything."""

from __future__ import annotations

import numpy as np
import torch

from tlcore.errors import TLError

Matrix = torch.Tensor | np.ndarray


def check_pair(X: Matrix, Y: Matrix, what: str, minimum: tuple[int, int] = (2, 2)) -> None:
    """A one-line :class:`TLError` unless ``X`` and ``Y`` are ``N x D`` matrices of one width with at
    least ``minimum`` rows each (source, target) and finite values; ``what`` names the metric."""
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise TLError(
            f"{what} needs two N x D matrices of one width, got {tuple(X.shape)} and {tuple(Y.shape)}"
        )
    if len(X) < minimum[0] or len(Y) < minimum[1]:
        source, target = minimum
        need = (
            f"at least {source} samples per domain"
            if source == target
            else f"at least {source} source and {target} target samples"
        )
        raise TLError(f"{what} needs {need}, got {len(X)} and {len(Y)}")
    for name, values in (("source", X), ("target", Y)):
        finite = torch.isfinite(values) if isinstance(values, torch.Tensor) else np.isfinite(values)
        if not bool(finite.all()):
            raise TLError(f"{what}: the {name} features hold NaN or infinite values")
