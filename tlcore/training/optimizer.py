"""The loop's optimizer: Adam with torch's fused kernel where the device has one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

FUSED_ADAM_DEVICES = frozenset({"cpu", "cuda"})  # device types with torch's fused Adam kernel


def adam(
    params: Iterable[nn.Parameter] | Iterable[dict[str, Any]],
    lr: float,
    device: torch.device,
    weight_decay: float = 0.0,
) -> torch.optim.Adam:
    """The loop's optimizer: Adam (Kingma & Ba, ICLR 2015), with torch's fused kernel on the devices
    that have one (:data:`FUSED_ADAM_DEVICES`): the same update rule, one pass over each parameter per
    step instead of one per element-wise operation of the update. ``params`` must be on ``device``."""
    fused = True if adam_is_fused(device) else None
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=fused)


def adam_is_fused(device: torch.device) -> bool:
    """Whether :func:`adam` runs torch's fused kernel on ``device``."""
    return device.type in FUSED_ADAM_DEVICES
