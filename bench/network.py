"""The network a tlcore run trains, built from its config: what skada and the micro-benchmark train too.

One function, so every comparison follows the pipeline's choice of network (backbone, bottleneck,
options) through the run's :class:`~tlcore.adapt.config.AdaptConfig`. It makes the call
:class:`tlcore.adapt.pipeline` makes for a run (``_Run.new_model``) without its seeding: callers
seed torch's global generator first. ``tests/bench/test_network.py`` checks that the two build the
same network.
"""

from __future__ import annotations

from tlcore.adapt.config import AdaptConfig
from tlcore.models import Classifier, build_model


def network(cfg: AdaptConfig, input_shape: tuple[int, ...], n_classes: int) -> Classifier:
    """A fresh, unseeded copy of the network ``run_adaptation(cfg)`` trains on samples of ``input_shape``."""
    return build_model(cfg.model, tuple(input_shape), n_classes, bottleneck_dim=cfg.bottleneck)
