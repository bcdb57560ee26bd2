"""The estimate's probe measured once per test session: :func:`tlcore.runs.probe.measure` of the same
network, batch size, augmentation, seed, loss terms and weight average, input shape, class count,
device and torch thread count (what it reads; not the pair's names nor the run's length) trains the
same real network the same way, so a later ask in the session gets the seconds the first one
measured, as a workspace whose cache held them would (:func:`tlcore.runs.probe.probe_rates` still
writes and reads each test's own workspace cache, and says so). A test that stands in its own
``measure``, or records the probe's network or loop (patching ``probe.network`` or ``probe.train``),
gets its own call: the memo only holds the real one's."""

from __future__ import annotations

import copy
import json
from typing import Any

import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.runs import probe

REAL = (probe.measure, probe.network, probe.train)
_MEASURED: dict[str, dict[str, Any]] = {}


def measured_once(
    cfg: AdaptConfig, shape: tuple[int, ...], n_classes: int, device: torch.device
) -> dict[str, Any]:
    """:func:`tlcore.runs.probe.measure`, measured the first time the session asks for its arguments."""
    measure, network, train = REAL
    if (probe.network, probe.train) != (network, train):  # a test records the probe: a call of its own
        return measure(cfg, shape, n_classes, device)
    values = [cfg.model, cfg.model_options, cfg.batch_size, cfg.augment, cfg.seed, cfg.methods, cfg.params]
    values += [cfg.ema_decay, list(shape), n_classes, str(device), torch.get_num_threads()]  # what it reads
    key = json.dumps(values, sort_keys=True, default=str)
    if key not in _MEASURED:
        _MEASURED[key] = measure(cfg, shape, n_classes, device)
    return copy.deepcopy(_MEASURED[key])
