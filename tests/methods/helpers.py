"""Builders shared by the method tests."""

import torch

from tlcore.training import StepInputs


def step_inputs(feats_s, feats_t, logits_s=None, logits_t=None, progress=0.5):
    """A training step's inputs around the given batches (zeros for what a test does not set)."""
    n = len(feats_s)
    return StepInputs(
        epoch=1,
        step=0,
        progress=progress,
        x_s=torch.zeros(n, 1),
        y_s=torch.zeros(n, dtype=torch.long),
        w_s=torch.ones(n),
        logits_s=torch.zeros(n, 3) if logits_s is None else logits_s,
        feats_s=feats_s,
        x_t=torch.zeros(len(feats_t), 1),
        logits_t=torch.zeros(len(feats_t), 3) if logits_t is None else logits_t,
        feats_t=feats_t,
    )
