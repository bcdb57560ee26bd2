"""The one place that chooses where tensors and models live."""

from __future__ import annotations

from collections.abc import Callable

import torch

from tlcore.errors import TLError

# device types a run may ask for, and whether this machine has one
AVAILABLE: dict[str, Callable[[], bool]] = {
    "cpu": lambda: True,
    "cuda": torch.cuda.is_available,
    "mps": torch.backends.mps.is_available,
}


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` when given (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``), else CUDA if
    available, else CPU; a one-line :class:`TLError` for another kind or one this machine lacks."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except RuntimeError:
        chosen = None
    if chosen is None or chosen.type not in AVAILABLE:
        raise TLError(f"unknown device {str(device)!r}: use cpu, cuda or mps")
    if not AVAILABLE[chosen.type]():
        raise TLError(f"device {str(device)!r} requested but {chosen.type.upper()} is not available here")
    return chosen
