"""Adaptation methods: one module per method, registered by name (see :mod:`.registry`) against its
facts in :mod:`tlcore.method_table`.

Importing this package registers every method; :func:`list_methods` lists them by family: baselines,
model-based, instance-based, feature-based, self-training. Kinds (how the pipeline uses a method):
baseline, stage, weights, term and transform (after training, e.g. ``prior_correction``).
"""

from tlcore.method_table import Configured
from tlcore.methods import (  # noqa: F401 - imported to register the methods
    adabn,
    baselines,
    bnm,
    cdan,
    coral,
    dan,
    dann,
    deep_coral,
    domain_weights,
    finetune,
    fixmatch,
    im,
    kmm,
    labelled_target,
    mcc,
    prior_correction,
    pseudo_label,
    shot_pl,
)
from tlcore.methods.context import (
    StageContext,
    StageOutcome,
    TermContext,
    TransformContext,
    TransformOutcome,
    WeightsContext,
)
from tlcore.methods.registry import (
    MethodSpec,
    check_combination,
    get_method,
    list_methods,
    parse_methods,
    run_order,
)

__all__ = [
    "Configured",
    "MethodSpec",
    "StageContext",
    "StageOutcome",
    "TermContext",
    "TransformContext",
    "TransformOutcome",
    "WeightsContext",
    "check_combination",
    "get_method",
    "list_methods",
    "parse_methods",
    "run_order",
]
