"""Adaptation methods: one module per method, registered by name (see :mod:`.registry`).

Importing this package registers every method; :func:`list_methods` lists them by family: baselines,
model-based, instance-based, feature-based, self-training.
"""

from tlcore.methods import (  # noqa: F401 - imported to register the methods
    baselines,
    coral,
    dan,
    dann,
    deep_coral,
    domain_weights,
    finetune,
    im,
    kmm,
    pseudo_label,
)
from tlcore.methods.context import StageContext, StageOutcome, TermContext, WeightsContext
from tlcore.methods.registry import (
    MethodSpec,
    check_combination,
    get_method,
    list_methods,
    parse_methods,
    register_method,
)

RECOMMENDED_RECIPE = ("deep_coral", "im")
"""The strongest unsupervised composition measured on mnist5k -> digits with the default budget
(LeNet, augmentation, 10 epochs, batch 32, seed 0: 97.8% vs 78.8% source-only, oracle 96.9%):
Deep CORAL aligns the feature covariances, IM sharpens and balances the target predictions."""

__all__ = [
    "RECOMMENDED_RECIPE",
    "MethodSpec",
    "StageContext",
    "StageOutcome",
    "TermContext",
    "WeightsContext",
    "check_combination",
    "get_method",
    "list_methods",
    "parse_methods",
    "register_method",
]
