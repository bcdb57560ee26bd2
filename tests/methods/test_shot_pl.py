"""SHOT's clustering pseudo-labels against the formulas of :mod:`tlcore.methods.shot_pl`."""

import numpy as np
import pytest
import torch

from tlcore.errors import TLError
from tlcore.methods.registry import get_method
from tlcore.methods.shot_pl import ShotPLLoss, ShotPLParams, nearest_centroid
from tlcore.training import StepInputs, ramp_up


def _step(logits_t: torch.Tensor, feats_t: torch.Tensor, progress: float = 0.5) -> StepInputs:
    n, k = logits_t.shape
    return StepInputs(
        epoch=1,
        step=0,
        progress=progress,
        x_s=torch.zeros(2, 1),
        y_s=torch.zeros(2, dtype=torch.long),
        w_s=torch.ones(2),
        logits_s=torch.zeros(2, k),
        feats_s=torch.zeros(2, feats_t.shape[1]),
        x_t=torch.zeros(n, 1),
        logits_t=logits_t,
        feats_t=feats_t,
    )


def _reference_labels(batches: list[tuple[np.ndarray, np.ndarray]], momentum: float) -> np.ndarray:
    """The module docstring's recursion in numpy: the last batch's labels."""

    def nearest(f, sums, counts):
        c = sums / counts[:, None]
        c /= np.linalg.norm(c, axis=1, keepdims=True)
        return np.where(counts[None, :] > 0, f @ c.T, -np.inf).argmax(1)

    k, d = batches[0][0].shape[1], batches[0][1].shape[1] + 1
    soft_s, soft_n, hard_s, hard_n = np.zeros((k, d)), np.zeros(k), np.zeros((k, d)), np.zeros(k)
    for logits, feats in batches:
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        f = np.hstack([feats, np.ones((len(feats), 1))])
        f /= np.linalg.norm(f, axis=1, keepdims=True)
        soft_s, soft_n = momentum * soft_s + p.T @ f, momentum * soft_n + p.sum(0)
        first = np.eye(k)[nearest(f, soft_s, soft_n)]
        hard_s, hard_n = momentum * hard_s + first.T @ f, momentum * hard_n + first.sum(0)
        labels = nearest(f, hard_s, hard_n)
    return labels


def test_a_confused_sample_gets_the_class_of_its_feature_cluster():
    # two tight clusters; the third sample of cluster 0 is predicted as class 1
    feats = torch.tensor([[2.0, 0.0], [2.0, 0.2], [1.8, 0.1], [0.0, 2.0], [0.2, 2.0]], dtype=torch.float64)
    logits = torch.tensor([[3.0, 0.0], [3.0, 0.0], [0.0, 0.4], [0.0, 3.0], [0.0, 3.0]], dtype=torch.float64)
    loss_module = ShotPLLoss(n_classes=2, feature_dim=2, momentum=0.0, ramp=True).double()
    logits = logits.requires_grad_(True)
    loss, logs = loss_module(_step(logits, feats, progress=0.25))
    labels = torch.tensor([0, 0, 0, 1, 1])
    assert logits.argmax(1).tolist() == [0, 0, 1, 1, 1]
    expected = ramp_up(0.25) * torch.nn.functional.cross_entropy(logits, labels)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    assert logs["agree"] == pytest.approx(4 / 5) and logs["scale"] == pytest.approx(ramp_up(0.25))
    loss.backward()
    assert logits.grad is not None and logits.grad[2, 0] < 0  # pushed towards its cluster's class


def test_labels_follow_the_moving_sums_over_batches():
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(16, 4)) * 2, rng.normal(size=(16, 6))) for _ in range(3)]
    for momentum in (0.0, 0.5, 0.9):
        module = ShotPLLoss(n_classes=4, feature_dim=6, momentum=momentum, ramp=False).double()
        for logits, feats in batches:
            labels = module.labels(torch.tensor(logits), torch.tensor(feats))
        assert labels.tolist() == _reference_labels(batches, momentum).tolist()
    # the sums carry over: the same last batch after other batches gets other labels than alone
    fresh = ShotPLLoss(n_classes=4, feature_dim=6, momentum=0.9, ramp=False).double()
    alone = fresh.labels(*(torch.tensor(a) for a in batches[-1]))
    assert alone.tolist() == _reference_labels(batches[-1:], 0.9).tolist()
    assert alone.tolist() != labels.tolist()


def test_a_class_without_members_is_never_the_nearest_centroid():
    # the sample points away from class 0's centroid (cosine -1); class 1 has no members (zero sums,
    # cosine 0 if it were a centroid) and must not win
    sums, counts = torch.tensor([[1.0, 0.0], [0.0, 0.0]]), torch.tensor([2.0, 0.0])
    assert nearest_centroid(torch.tensor([[-1.0, 0.0]]), sums, counts).tolist() == [0]
    counts[1] = 1.0
    assert nearest_centroid(torch.tensor([[-1.0, 0.0]]), sums, counts).tolist() == [1]


def test_the_term_is_registered_with_shots_weight_and_checks_its_momentum():
    spec = get_method("shot_pl")
    assert spec.family == "self-training" and spec.kind == "term"
    assert spec.parse_params({}).weight == pytest.approx(0.3)
    with pytest.raises(TLError, match="momentum"):
        ShotPLParams(momentum=1.0).check()
