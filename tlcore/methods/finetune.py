"""Model-based transfer: pretrain on the source, then fine-tune on ``k`` labelled target samples per class.

Two modes (Yosinski et al. 2014, "How transferable are features in deep neural networks?"):

* ``head``: freeze the source backbone (weights and BatchNorm statistics), put a fresh linear head
  on top and train it with cross-entropy on its *raw logits* (``CrossEntropyLoss`` applies
  ``log_softmax`` itself; feeding it ``log_softmax`` outputs, as the seed app did, is wrong);
* ``all``: train every layer from the source weights, the backbone at ``lr * backbone_lr_mult``.

``k`` is ``AdaptConfig.target_labels`` when set (> 0), else ``shots``; the samples are a seeded
draw from the target *train* split. The stage runs as many optimisation steps as the source
baseline (one source epoch's worth of steps per epoch), so both see the same budget.
"""

from __future__ import annotations

from tlcore.data.rng import generator
from tlcore.data.splits import few_shot
from tlcore.method_params import FinetuneParams
from tlcore.methods.context import StageContext, StageOutcome
from tlcore.methods.registry import builds


@builds("finetune")
def finetune(params: FinetuneParams, ctx: StageContext) -> StageOutcome:
    k = ctx.target_labels or params.shots
    labelled = few_shot(ctx.target, k, ctx.seed)
    model = ctx.baseline
    steps = max(1, ctx.source.n_samples // ctx.batch_size)
    if params.mode == "head":
        model.reset_head(generator(ctx.seed, "finetune_head"))
        history = ctx.train(model, labelled, backbone_lr_mult=0.0, steps_per_epoch=steps)
    else:
        history = ctx.train(model, labelled, backbone_lr_mult=params.backbone_lr_mult, steps_per_epoch=steps)
    return StageOutcome(model, history, {"n_target_labels": labelled.n_samples, "shots": k})
