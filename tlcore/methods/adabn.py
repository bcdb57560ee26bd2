"""AdaBN: target batch-normalisation statistics (Li, Wang, Shi, Liu & Hou 2016, "Revisiting Batch
Normalization For Practical Domain Adaptation", arXiv:1603.04779).

A batch-normalisation layer computes ``y = gamma (x - mu) / sqrt(sigma^2 + eps) + beta``; at test
time ``mu``, ``sigma^2`` are running statistics gathered on the training (source) batches. AdaBN
keeps every weight and replaces, layer by layer, those statistics with the target's:

    mu_j <- E_{x ~ target}[x_j],   sigma_j^2 <- Var_{x ~ target}[x_j]

(``j`` a channel; over batch and positions for convolutional maps), so each layer sees target
inputs standardised as it saw standardised source inputs during training.

Estimated after training on the unlabelled target train split: forward passes without gradients
with the BatchNorm layers in training mode and ``momentum=None`` (PyTorch's cumulative average,
each batch counting once) after resetting their statistics, every other module in eval mode
(dropout off: the statistics are those of the test-time network). The split is cut into
batches of equal size up to one sample (at least ``batch_size`` each), so the running mean is the
mean of the batch means (the split's mean when the sizes are equal) and the running variance the
mean of the batches' unbiased variances. Deeper layers are normalised with the
current batch's statistics during the pass, as in training. A transform: it runs after the
trained methods (``source_only+adabn``, ``deep_coral+im+adabn``).

Each domain is normalised by its own statistics (the paper's evaluation): the run's source splits
are scored with the model as it was before the transform, its source statistics
(``TransformOutcome.source_model``); the target predictions, the stored and exported model and
``predict`` use the target statistics.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.method_params import AdaBNParams
from tlcore.methods.context import TransformContext, TransformOutcome
from tlcore.methods.registry import builds


def batch_norm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm layer of ``model`` (1d, 2d, 3d), in module order."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def adapt_batch_norm(
    model: nn.Module, X: torch.Tensor, batch_size: int = 256, device: str | None = None
) -> int:
    """Replace the running statistics of every BatchNorm layer of ``model`` by those of ``X`` (in
    place; see the module docstring); the number of batches used. ``model`` ends in eval mode."""
    layers = batch_norm_layers(model)
    if not layers:
        raise TLError("adabn: the model has no batch-normalisation layer (give it a bottleneck)")
    if len(X) < 2:
        raise TLError("adabn: needs at least two target samples")
    target = pick_device(device)
    model.to(target).eval()
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average over the passes
        layer.train()
    batches = torch.tensor_split(X, max(1, len(X) // batch_size))  # >= batch_size each, equal up to 1
    try:
        for batch in batches:
            model(batch.to(target))
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
        model.eval()
    return len(batches)


@builds("adabn")
def adabn(params: AdaBNParams, ctx: TransformContext) -> TransformOutcome:
    source_model = copy.deepcopy(ctx.model)  # the source statistics, for the source splits
    batches = adapt_batch_norm(ctx.model, ctx.target.X, params.batch_size, ctx.device)
    info = {
        "layers": len(batch_norm_layers(ctx.model)),
        "target_samples": ctx.target.n_samples,
        "batches": batches,
    }
    return TransformOutcome(ctx.model, info, source_model=source_model)
