"""The one place that chooses where tensors and models live."""

from __future__ import annotations

import torch

from tlcore.errors import TLError


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` when given (``"cpu"``, ``"cuda"``, ``"cuda:1"``), else CUDA if available, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except RuntimeError as exc:
        raise TLError(f"unknown device {str(device)!r}: use cpu or cuda") from exc
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise TLError(f"device {str(device)!r} requested but CUDA is not available here")
    return chosen
