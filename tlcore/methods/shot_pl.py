"""Self-training: SHOT's clustering pseudo-labels (Liang, Hu & Feng 2020, ICML, arXiv:2002.08546, §3.3).

The classifier's soft predictions ``p_i`` place a centroid per class in feature space; each target
sample is then labelled by its nearest centroid (cosine similarity), twice:

    c_k^0 = sum_i p_ik f_i / sum_i p_ik                     y0_i = argmax_k cos(f_i, c_k^0)
    c_k   = sum_i 1[y0_i = k] f_i / sum_i 1[y0_i = k]       y_i  = argmax_k cos(f_i, c_k)
    L = ramp(progress) * (1/B) sum_i CE(logits_i, y_i)

with ``f_i`` the sample's features with a constant 1 appended, L2-normalised (as the authors'
code). A class's confused samples that still sit in its feature cluster get their own class back,
which a confidence threshold (``pseudo_label``, ``fixmatch``) cannot do. SHOT sums over the whole
target set once per epoch; here the sums are exponential moving sums over the target batches,
``S <- momentum * S + (batch sum)`` (both steps), so the centroids follow the features as they
train (about ``1 / (1 - momentum)`` batches) and the term needs nothing but the step's outputs.
Labels, centroids and sums carry no gradient. ``ramp`` scales the term by DANN's schedule, as IM.
Default weight 0.3: SHOT's ``beta`` on its object benchmarks (``cls_par`` in the authors' scripts).
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import ShotPLParams
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs, ramp_up


def cluster_features(feats: torch.Tensor) -> torch.Tensor:
    """``B x (d + 1)``: the features with a constant 1 appended, each row L2-normalised."""
    ones = torch.ones(len(feats), 1, dtype=feats.dtype, device=feats.device)
    return nn.functional.normalize(torch.cat([feats, ones], 1), dim=1)


def nearest_centroid(f: torch.Tensor, sums: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """``argmax_k cos(f_i, sums_k / counts_k)`` over the classes with a positive count."""
    centroids = nn.functional.normalize(sums / counts.clamp_min(1e-12)[:, None], dim=1)
    similarity = (f @ centroids.T).masked_fill(counts[None, :] <= 0, -torch.inf)
    return similarity.argmax(1)


class ShotPLLoss(nn.Module):
    """The moving sums live in buffers: soft (weighted by ``p``) and hard (by the first labels)."""

    def __init__(self, n_classes: int, feature_dim: int, momentum: float, ramp: bool) -> None:
        super().__init__()
        self.momentum, self.ramp = momentum, ramp
        self.soft_sums: torch.Tensor
        self.register_buffer("soft_sums", torch.zeros(n_classes, feature_dim + 1))
        self.soft_counts: torch.Tensor
        self.register_buffer("soft_counts", torch.zeros(n_classes))
        self.hard_sums: torch.Tensor
        self.register_buffer("hard_sums", torch.zeros(n_classes, feature_dim + 1))
        self.hard_counts: torch.Tensor
        self.register_buffer("hard_counts", torch.zeros(n_classes))

    @torch.no_grad()
    def labels(self, logits: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """Update the moving sums with one target batch; its cluster labels ``y``."""
        p, f, m = logits.softmax(1), cluster_features(feats), self.momentum
        self.soft_sums.mul_(m).add_(p.T @ f)
        self.soft_counts.mul_(m).add_(p.sum(0))
        first = nn.functional.one_hot(nearest_centroid(f, self.soft_sums, self.soft_counts), p.shape[1])
        self.hard_sums.mul_(m).add_(first.to(f.dtype).T @ f)
        self.hard_counts.mul_(m).add_(first.sum(0).to(f.dtype))
        return nearest_centroid(f, self.hard_sums, self.hard_counts)

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, feats_t = step.target()
        y = self.labels(logits_t, feats_t)
        scale = ramp_up(step.progress) if self.ramp else 1.0
        agree = (y == logits_t.argmax(1)).float().mean().item()
        return scale * nn.functional.cross_entropy(logits_t, y), {"agree": agree, "scale": scale}


@builds("shot_pl")
def shot_pl(params: ShotPLParams, ctx: TermContext) -> ShotPLLoss:
    return ShotPLLoss(ctx.n_classes, ctx.feature_dim, params.momentum, params.ramp)
