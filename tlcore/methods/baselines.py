"""Baselines: ``source_only`` (no adaptation) and ``target_only`` (the oracle trained on target labels).

``source_only`` is the model every run trains first (the pipeline's "baseline" stage); choosing it
as the method reports that model. ``target_only`` trains a fresh model, same budget, on the
labelled target *train* split: an upper reference for what adaptation can reach, available only
when the target is labelled.
"""

from __future__ import annotations

from tlcore.errors import TLError
from tlcore.method_params import NoParams
from tlcore.methods.context import StageContext, StageOutcome
from tlcore.methods.registry import add_method, builds

add_method("source_only")  # a baseline: no builder (the pipeline's baseline stage is the answer)


@builds("target_only")
def target_only(params: NoParams, ctx: StageContext) -> StageOutcome:
    """A fresh model trained on all labelled target train samples, with the run's budget."""
    if ctx.target.y is None:
        raise TLError("target_only needs a labelled target domain")
    model = ctx.new_model()
    history = ctx.train(model, ctx.target)
    return StageOutcome(model, history, {"n_target_labels": ctx.target.n_samples})
