"""The other methods' maths (self-training, KMM, CORAL) against an independent reference: the
formula each docstring states (the alignment terms: test_alignment_formulas.py)."""

import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from tests.methods.helpers import step_inputs
from tlcore.methods.blocks import entropy_weights, grl_lambda
from tlcore.methods.bnm import BNMLoss, bnm_loss
from tlcore.methods.coral import coral_transform
from tlcore.methods.fixmatch import FixMatchLoss, align_distribution, fixmatch_loss
from tlcore.methods.im import IMLoss, information_maximisation
from tlcore.methods.kmm import kmm_solve, project_box_slab
from tlcore.methods.labelled_target import LabelledTargetLoss
from tlcore.methods.mcc import MCCLoss, class_confusion, mcc_loss
from tlcore.methods.pseudo_label import pseudo_label_loss
from tlcore.metrics.kernels import gaussian_kernel


def test_information_maximisation_is_mean_entropy_minus_entropy_of_mean():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(16, 4)) * 2
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    mean_entropy = -(p * np.log(p)).sum(1).mean()
    pbar = p.mean(0)
    expected = mean_entropy - (-(pbar * np.log(pbar)).sum())
    loss, conditional, _ = information_maximisation(torch.tensor(logits))
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert conditional.item() == pytest.approx(mean_entropy, rel=1e-10)
    step_loss, logs = IMLoss(diversity=1.0, ramp=False)(
        step_inputs(torch.zeros(2, 2), torch.zeros(16, 2), logits_t=torch.tensor(logits))
    )
    assert step_loss.item() == pytest.approx(expected, rel=1e-10)
    assert set(logs) == {"entropy", "diversity", "scale"}
    ramped, _ = IMLoss(diversity=1.0, ramp=True)(
        step_inputs(torch.zeros(2, 2), torch.zeros(16, 2), logits_t=torch.tensor(logits), progress=0.1)
    )
    assert ramped.item() == pytest.approx(expected * grl_lambda(0.1), rel=1e-10)


def test_im_is_lowest_for_confident_and_balanced_predictions():
    confident_balanced = torch.eye(4).repeat(2, 1) * 20
    collapsed = torch.zeros(8, 4)
    collapsed[:, 0] = 20
    uncertain = torch.zeros(8, 4)
    values = [information_maximisation(x)[0].item() for x in (confident_balanced, collapsed, uncertain)]
    assert values[0] == pytest.approx(-math.log(4), abs=1e-6)
    assert values[0] < values[1] and values[0] < values[2]


def test_pseudo_labels_use_confident_predictions_only():
    logits = torch.tensor([[5.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 6.0], [0.0, 0.2, 0.1]])
    loss, mask = pseudo_label_loss(logits, threshold=0.9)
    assert mask.tolist() == [1.0, 0.0, 1.0, 0.0]
    ce = torch.nn.functional.cross_entropy(logits[[0, 2]], torch.tensor([0, 2]), reduction="sum")
    assert loss.item() == pytest.approx(ce.item() / 4)


def test_coral_transform_recolours_source_to_the_target_covariance():
    g = torch.Generator().manual_seed(3)
    Fs = torch.randn(4000, 3, generator=g, dtype=torch.float64) @ torch.tensor(
        [[2.0, 0, 0], [0.5, 1, 0], [0, 0, 0.3]], dtype=torch.float64
    )
    Ft = torch.randn(3000, 3, generator=g, dtype=torch.float64) @ torch.tensor(
        [[0.5, 0.2, 0], [0, 3, 0], [0, 1, 1]], dtype=torch.float64
    )
    out = coral_transform(Fs, Ft, eps=1e-9, align_means=True)
    assert torch.allclose(torch.cov(out.T), torch.cov(Ft.T), atol=1e-6)
    assert torch.allclose(out.mean(0), Ft.mean(0), atol=1e-9)


def test_box_slab_projection_is_feasible_and_nearest():
    v = torch.tensor([3.0, -1.0, 0.5, 2.5, 0.1], dtype=torch.float64)
    b = project_box_slab(v, upper=2.0, lo=1.0, hi=2.0)
    assert b.min() >= 0 and b.max() <= 2.0 and 1.0 - 1e-9 <= b.sum() <= 2.0 + 1e-9
    constraints = [
        {"type": "ineq", "fun": lambda z: z.sum() - 1.0},
        {"type": "ineq", "fun": lambda z: 2.0 - z.sum()},
    ]
    ref = minimize(
        lambda z: ((z - v.numpy()) ** 2).sum(),
        np.full(5, 0.3),
        bounds=[(0, 2)] * 5,
        constraints=constraints,
        method="SLSQP",
    )
    assert np.allclose(b.numpy(), ref.x, atol=1e-5)


def test_kmm_solver_matches_scipy_slsqp_on_a_small_qp():
    g = torch.Generator().manual_seed(4)
    Xs = torch.cat([torch.randn(15, 2, generator=g), torch.randn(15, 2, generator=g) + 3]).double()
    Xt = (torch.randn(25, 2, generator=g) + 3).double()
    n, B = len(Xs), 5.0
    eps = (math.sqrt(n) - 1) / math.sqrt(n)
    K = gaussian_kernel(Xs, None, 1.0)
    kappa = gaussian_kernel(Xs, Xt, 1.0).sum(1) * (n / len(Xt))
    beta = kmm_solve(K, kappa, B, eps, iterations=2000)
    Kn, kn = K.numpy(), kappa.numpy()
    constraints = [
        {"type": "ineq", "fun": lambda b: n * (1 + eps) - b.sum()},
        {"type": "ineq", "fun": lambda b: b.sum() - n * (1 - eps)},
    ]
    ref = minimize(
        lambda b: 0.5 * b @ Kn @ b - kn @ b,
        np.ones(n),
        jac=lambda b: Kn @ b - kn,
        bounds=[(0, B)] * n,
        constraints=constraints,
        method="SLSQP",
        options={"maxiter": 500, "ftol": 1e-12},
    )
    objective = 0.5 * beta @ K @ beta - kappa @ beta
    assert objective.item() == pytest.approx(ref.fun, rel=1e-4, abs=1e-4)
    assert beta.min() >= 0 and beta.max() <= B + 1e-9
    assert n * (1 - eps) - 1e-6 <= beta.sum() <= n * (1 + eps) + 1e-6
    assert beta[15:].mean() > 3 * beta[:15].mean()  # the target-like half gets the weight


def _probability_logits(p, temperature=1.0):
    """Logits whose ``softmax(logits / temperature)`` is exactly ``p``."""
    return temperature * torch.log(torch.tensor(p, dtype=torch.float64))


def test_mcc_class_confusion_on_a_hand_computed_case():
    # two rows of equal entropy, so the certainty weights are both 1:
    # C = p1 p1' + p2 p2' = [[5, 4, 3], [4, 5, 3], [3, 3, 2]] / 16; rows sum to 3/4, 3/4, 1/2
    logits = _probability_logits([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]], temperature=2.5)
    normalised = class_confusion(logits, temperature=2.5)
    expected = torch.tensor([[5 / 12, 4 / 12, 3 / 12], [4 / 12, 5 / 12, 3 / 12], [3 / 8, 3 / 8, 2 / 8]])
    assert torch.allclose(normalised, expected.double(), atol=1e-12)
    # off-diagonal mass over K: (3 - (5/12 + 5/12 + 1/4)) / 3 = 23/36
    assert mcc_loss(logits, temperature=2.5).item() == pytest.approx(23 / 36, rel=1e-12)
    loss, logs = MCCLoss(temperature=2.5)(step_inputs(torch.zeros(2, 2), torch.zeros(2, 2), logits_t=logits))
    assert loss.item() == pytest.approx(23 / 36, rel=1e-12) and logs == {}


def test_mcc_matches_the_papers_formulas_with_certainty_weights():
    rng = np.random.default_rng(5)
    logits, T = rng.normal(size=(12, 4)) * 3, 2.5
    y = np.exp(logits / T) / np.exp(logits / T).sum(1, keepdims=True)
    h = -(y * np.log(y)).sum(1)
    w = 12 * (1 + np.exp(-h)) / (1 + np.exp(-h)).sum()
    c = y.T @ np.diag(w) @ y
    rows = c / c.sum(1, keepdims=True)
    expected = (rows.sum() - np.trace(rows)) / 4
    columns = c / c.sum(1)  # tllib's broadcast divides column j by row sum j: same loss (C symmetric)
    assert (columns.sum() - np.trace(columns)) / 4 == pytest.approx(expected, rel=1e-12)
    tensor = torch.tensor(logits, requires_grad=True)
    loss = mcc_loss(tensor, T)
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    loss.backward()
    assert torch.isfinite(tensor.grad).all() and tensor.grad.abs().sum() > 0
    # confident, distinct predictions have no class confusion
    assert mcc_loss(torch.eye(4, dtype=torch.float64) * 60, T).item() == pytest.approx(0.0, abs=1e-9)


def test_entropy_weights_are_one_plus_exp_minus_entropy_with_mean_one():
    p = torch.tensor([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.25, 0.25], [1.0, 0.0, 0.0]], dtype=torch.float64)
    raw = torch.tensor([1 + 1 / 3, 1 + 2**-1.5, 2.0], dtype=torch.float64)  # exp(-H): 1/3, 2^-1.5, 1
    weights = entropy_weights(p.requires_grad_(True))
    assert torch.allclose(weights, 3 * raw / raw.sum(), atol=1e-12)
    assert not weights.requires_grad


def test_bnm_is_minus_the_nuclear_norm_over_the_batch():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(16, 5)) * 2
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    expected = -np.linalg.svd(p, compute_uv=False).sum() / 16
    tensor = torch.tensor(logits, requires_grad=True)
    loss, _ = BNMLoss()(step_inputs(torch.zeros(2, 2), torch.zeros(16, 2), logits_t=tensor))
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    loss.backward()
    assert torch.isfinite(tensor.grad).all()
    # confident and spread over the classes beats collapsed, which beats uncertain
    balanced, collapsed, uniform = torch.eye(4).repeat(8, 1) * 30, torch.zeros(32, 4), torch.zeros(32, 4)
    collapsed[:, 0] = 30
    values = [bnm_loss(x).item() for x in (balanced, collapsed, uniform)]
    assert values[0] == pytest.approx(-math.sqrt(4 / 32), rel=1e-5)  # -sqrt(K / B)
    assert values[1] == pytest.approx(-1 / math.sqrt(32), rel=1e-5)  # rank one
    assert values[2] == pytest.approx(-1 / math.sqrt(32 * 4), rel=1e-5)
    assert values[0] < values[1] < values[2]


def test_fixmatch_trains_the_strong_view_on_confident_weak_labels():
    weak = torch.tensor([[5.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 6.0], [0.0, 0.2, 0.1]])
    strong = torch.tensor([[1.0, 0.5, 0.0], [0.0, 2.0, 0.0], [0.3, 0.0, 0.2], [0.0, 0.0, 0.0]])
    loss, mask = fixmatch_loss(weak, strong, threshold=0.9)
    assert mask.tolist() == [1.0, 0.0, 1.0, 0.0]
    ce = torch.nn.functional.cross_entropy(strong[[0, 2]], torch.tensor([0, 2]), reduction="sum")
    assert loss.item() == pytest.approx(ce.item() / 4)
    # pseudo_label is the same loss with the weak view in place of the strong one
    assert pseudo_label_loss(weak, 0.9)[0].item() == pytest.approx(fixmatch_loss(weak, weak, 0.9)[0].item())


def test_fixmatch_aligns_the_weak_predictions_to_the_source_class_balance():
    p_t = torch.tensor([[0.9, 0.05, 0.05], [0.8, 0.15, 0.05], [0.6, 0.1, 0.3]], dtype=torch.float64)
    p_s = torch.tensor([[0.4, 0.3, 0.3], [0.2, 0.5, 0.3]], dtype=torch.float64)
    ratio = p_s.numpy().mean(0) / p_t.numpy().mean(0)
    expected = p_t.numpy() * ratio
    expected /= expected.sum(1, keepdims=True)
    aligned = align_distribution(p_t, p_s)
    assert np.allclose(aligned.numpy(), expected, rtol=1e-12)
    # a batch collapsed onto class 0 no longer yields class-0 pseudo-labels only
    assert p_t.argmax(1).tolist() == [0, 0, 0] and aligned.argmax(1).tolist() != [0, 0, 0]
    weak, strong, source = p_t.log(), torch.zeros(3, 3, dtype=torch.float64), p_s.log()
    loss, mask = fixmatch_loss(weak, strong, threshold=0.5, logits_source=source)
    confident = aligned.max(1).values >= 0.5
    assert mask.tolist() == confident.double().tolist()
    assert loss.item() == pytest.approx(math.log(3) * confident.sum().item() / 3)
    step = step_inputs(torch.zeros(2, 2), torch.zeros(3, 2), logits_s=source, logits_t=weak)
    with pytest.raises(ValueError, match="strong view of the target batch"):
        FixMatchLoss(0.5, align=True, teacher=False)(step)
    step.logits_t_strong, step.feats_t_strong = strong, torch.zeros(3, 2)
    assert FixMatchLoss(0.5, align=True, teacher=False)(step)[0].item() == pytest.approx(loss.item())


def test_fixmatch_takes_its_weak_labels_from_the_mean_teacher_when_there_is_one():
    live = torch.tensor([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.1]])
    teacher = torch.tensor([[0.0, 4.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]])
    strong = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], requires_grad=True)
    step = step_inputs(torch.zeros(2, 2), torch.zeros(3, 2), logits_t=live)
    step.logits_t_strong, step.feats_t_strong = strong, torch.zeros(3, 2)
    untaught = FixMatchLoss(0.9, align=False, teacher=True)(step)  # no average yet: the live labels
    assert untaught[0].item() == pytest.approx(fixmatch_loss(live, strong, 0.9)[0].item())
    assert untaught[1]["confident"] == pytest.approx(2 / 3)  # rows 0 and 1 (labels 0, 1)
    step.logits_t_teacher = teacher
    loss, logs = FixMatchLoss(0.9, align=False, teacher=True)(step)
    ce = torch.nn.functional.cross_entropy(strong, torch.tensor([1, 1, 2]), reduction="sum")
    assert loss.item() == pytest.approx(ce.item() / 3) and logs["confident"] == 1.0  # the teacher's 1, 1, 2
    loss.backward()
    assert strong.grad is not None  # the strong view trains; the teacher's logits carry no gradient
    live_only = FixMatchLoss(0.9, align=False, teacher=False)(step)[0]  # teacher off: the live labels
    assert live_only.item() == pytest.approx(untaught[0].item())


def test_labelled_target_is_the_cross_entropy_of_the_labelled_target_batch():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0], [0.0, 1.0, 0.0], [1.0, 2.0, 0.0]])
    y = torch.tensor([0, 2, 0, 1])
    log_p = logits - logits.exp().sum(1, keepdim=True).log()  # log softmax by hand
    expected = -log_p[torch.arange(4), y].mean()
    step = step_inputs(torch.zeros(2, 2), torch.zeros(3, 2))
    step.logits_tl, step.y_tl = logits, y
    loss, logs = LabelledTargetLoss()(step)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert logs["accuracy"] == pytest.approx(3 / 4)  # argmax 0, 2, 1, 1 against 0, 2, 0, 1
    step.logits_tl = step.y_tl = None
    with pytest.raises(ValueError, match="labelled target samples"):
        LabelledTargetLoss()(step)
