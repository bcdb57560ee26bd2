"""Each method's maths against an independent reference: the formula its docstring states."""

import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from tlcore.methods import cdan as cdan_module
from tlcore.methods import dan as dan_module
from tlcore.methods.blocks import entropy_weights, gradient_reversal, grl_lambda
from tlcore.methods.bnm import BNMLoss, bnm_loss
from tlcore.methods.cdan import CDANParams, multilinear_map
from tlcore.methods.coral import coral_transform
from tlcore.methods.dan import mk_mmd2
from tlcore.methods.dann import DANNLoss
from tlcore.methods.deep_coral import DeepCoralLoss
from tlcore.methods.fixmatch import FixMatchLoss, align_distribution, fixmatch_loss
from tlcore.methods.im import IMLoss, information_maximisation
from tlcore.methods.kmm import kmm_solve, project_box_slab
from tlcore.methods.labelled_target import LabelledTargetLoss
from tlcore.methods.mcc import MCCLoss, class_confusion, mcc_loss
from tlcore.methods.pseudo_label import pseudo_label_loss
from tlcore.metrics import gaussian_kernel
from tlcore.training import StepInputs


def _step(feats_s, feats_t, logits_s=None, logits_t=None, progress=0.5):
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


def test_deep_coral_loss_is_the_np_cov_frobenius_formula():
    rng = np.random.default_rng(0)
    Fs, Ft = rng.normal(size=(32, 5)), rng.normal(size=(24, 5)) * 1.5 + 0.3
    diff = np.cov(Fs, rowvar=False) - np.cov(Ft, rowvar=False)
    expected = (diff**2).sum() / (4 * 5**2)
    feats_s = torch.tensor(Fs, requires_grad=True)
    loss, _ = DeepCoralLoss()(_step(feats_s, torch.tensor(Ft)))
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    loss.backward()
    assert feats_s.grad is not None and feats_s.grad.abs().sum() > 0


def test_deep_coral_on_the_logits_aligns_their_covariances_not_the_features():
    rng = np.random.default_rng(3)
    Zs, Zt = rng.normal(size=(32, 3)), rng.normal(size=(24, 3)) * 2.0 - 1.0
    diff = np.cov(Zs, rowvar=False) - np.cov(Zt, rowvar=False)
    expected = (diff**2).sum() / (4 * 3**2)
    feats = torch.tensor(rng.normal(size=(32, 5)), requires_grad=True)
    logits_s = torch.tensor(Zs, requires_grad=True)
    step = _step(feats, torch.tensor(rng.normal(size=(24, 5)) * 3), logits_s, torch.tensor(Zt))
    loss, _ = DeepCoralLoss("logits")(step)
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    loss.backward()
    assert logits_s.grad is not None and logits_s.grad.abs().sum() > 0
    assert feats.grad is None  # the features' covariances play no part
    assert DeepCoralLoss()(step)[0].item() != pytest.approx(expected, rel=1e-3)


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
        _step(torch.zeros(2, 2), torch.zeros(16, 2), logits_t=torch.tensor(logits))
    )
    assert step_loss.item() == pytest.approx(expected, rel=1e-10)
    assert set(logs) == {"entropy", "diversity", "scale"}
    ramped, _ = IMLoss(diversity=1.0, ramp=True)(
        _step(torch.zeros(2, 2), torch.zeros(16, 2), logits_t=torch.tensor(logits), progress=0.1)
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


def test_gradient_reversal_flips_and_scales_the_gradient():
    x = torch.randn(6, 3, requires_grad=True)
    y = gradient_reversal(x, 0.7)
    assert torch.equal(y, x)
    weights = torch.randn(6, 3)
    (y * weights).sum().backward()
    assert torch.allclose(x.grad, -0.7 * weights)


def test_dann_lambda_schedule():
    assert grl_lambda(0.0) == 0.0
    assert grl_lambda(0.5) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert grl_lambda(1.0) == pytest.approx(0.9999092, abs=1e-7)
    values = [grl_lambda(p / 10) for p in range(11)]
    assert values == sorted(values)


def test_dann_loss_trains_the_discriminator_and_reverses_for_the_features():
    torch.manual_seed(0)
    dann = DANNLoss(feature_dim=4, hidden=8, gamma=10.0)
    feats_s = torch.randn(10, 4, requires_grad=True)
    loss, logs = dann(_step(feats_s, torch.randn(10, 4) + 2, progress=1.0))
    assert loss.item() == pytest.approx(math.log(2), abs=0.3)  # an untrained discriminator is near chance
    assert logs["lambda"] == pytest.approx(grl_lambda(1.0))
    loss.backward()
    # the features' gradient is the discriminator loss gradient times -lambda
    grad_reversed = feats_s.grad.clone()
    feats_plain = feats_s.detach().clone().requires_grad_(True)
    is_target = torch.cat([torch.zeros(10), torch.ones(10)])
    scores = dann.discriminator(torch.cat([feats_plain, torch.randn(0, 4)])).squeeze(1)
    plain = 0.5 * torch.nn.functional.binary_cross_entropy_with_logits(scores, is_target[:10])
    plain.backward()
    assert torch.allclose(grad_reversed, -grl_lambda(1.0) * feats_plain.grad, atol=1e-6)


def _laplacian_family_mmd2(Xs: np.ndarray, Xt: np.ndarray, sigma: float) -> float:
    """The docstring's biased MMD² by explicit loops over pairs and the 33 bandwidths."""
    sigmas = [sigma * 2.0 ** (-8 + u / 2) for u in range(33)]

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return sum(math.exp(-np.linalg.norm(a - b) / s) for s in sigmas)

    def mean_k(A: np.ndarray, B: np.ndarray) -> float:
        return sum(k(a, b) for a in A for b in B) / (len(A) * len(B))

    return mean_k(Xs, Xs) + mean_k(Xt, Xt) - 2 * mean_k(Xs, Xt)


def test_dan_mk_mmd_is_the_biased_estimate_under_33_laplacian_kernels():
    g = torch.Generator().manual_seed(2)
    Xs = torch.randn(7, 3, generator=g, dtype=torch.float64)
    Xt = torch.randn(5, 3, generator=g, dtype=torch.float64) + 0.5
    value, sigma = mk_mmd2(Xs.requires_grad_(True), Xt)
    distances = [np.linalg.norm(a - b) for a in Xs.detach().numpy() for b in Xs.detach().numpy()]
    median = sorted(distances)[(len(distances) - 1) // 2]  # torch's lower median, zeros included
    assert sigma == pytest.approx(median + 1e-7, rel=1e-12)
    reference = _laplacian_family_mmd2(Xs.detach().numpy(), Xt.numpy(), median + 1e-7)
    assert value.item() == pytest.approx(reference, rel=1e-9)
    value.backward()
    assert torch.isfinite(Xs.grad).all()
    # sigma follows the features: with it detached the gradient differs
    held = Xs.detach().clone().requires_grad_(True)
    d = torch.cdist(held, held)
    sigmas = (torch.median(d).detach() + 1e-7) * torch.tensor(
        [2.0 ** (-8 + u / 2) for u in range(33)], dtype=d.dtype
    )
    frozen = (
        dan_module.laplacian_sum(d, sigmas).mean()
        + dan_module.laplacian_sum(torch.cdist(Xt, Xt), sigmas).mean()
    )
    frozen = frozen - 2 * dan_module.laplacian_sum(torch.cdist(held, Xt), sigmas).mean()
    assert frozen.item() == pytest.approx(value.item(), rel=1e-12)
    frozen.backward()
    assert not torch.allclose(held.grad, Xs.grad)


def test_dan_adds_the_logits_mmd_with_their_own_bandwidths():
    g = torch.Generator().manual_seed(4)
    Fs = torch.randn(8, 5, generator=g, dtype=torch.float64)
    Ft = torch.randn(6, 5, generator=g, dtype=torch.float64) + 0.4
    Zs = 10 * torch.randn(8, 3, generator=g, dtype=torch.float64)  # a scale of their own
    Zt = 10 * torch.randn(6, 3, generator=g, dtype=torch.float64) - 3
    step = _step(Fs, Ft, logits_s=Zs.clone().requires_grad_(True), logits_t=Zt)
    loss, logs = dan_module.DANLoss(logits=True)(step)
    on_features = _laplacian_family_mmd2(Fs.numpy(), Ft.numpy(), logs["sigma"])
    on_logits = _laplacian_family_mmd2(Zs.numpy(), Zt.numpy(), logs["sigma_logits"])
    assert loss.item() == pytest.approx(on_features + on_logits, rel=1e-9)
    assert logs["mmd2_logits"] == pytest.approx(on_logits, rel=1e-9) and on_logits > 0.01
    assert logs["sigma_logits"] > 5 * logs["sigma"]  # each layer's median distance, not one for both
    loss.backward()
    assert step.logits_s.grad is not None and step.logits_s.grad.abs().sum() > 0
    alone, _ = dan_module.DANLoss(logits=False)(_step(Fs, Ft, logits_s=Zs, logits_t=Zt))
    assert alone.item() == pytest.approx(on_features, rel=1e-9)


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
    loss, logs = MCCLoss(temperature=2.5)(_step(torch.zeros(2, 2), torch.zeros(2, 2), logits_t=logits))
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
    loss, _ = BNMLoss()(_step(torch.zeros(2, 2), torch.zeros(16, 2), logits_t=tensor))
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


def test_cdan_multilinear_map_is_the_flattened_outer_product():
    f, g = torch.randn(5, 7), torch.randn(5, 3).softmax(1)
    mapped = multilinear_map(f, g)
    assert mapped.shape == (5, 21)
    assert torch.allclose(mapped[2].view(3, 7), torch.outer(g[2], f[2]))
    assert mapped[4, 1 * 7 + 6].item() == pytest.approx((g[4, 1] * f[4, 6]).item())


def test_cdan_randomizes_the_map_above_4096_dimensions():
    small = cdan_module.CDANLoss(CDANParams(), feature_dim=100, n_classes=10)
    large = cdan_module.CDANLoss(CDANParams(), feature_dim=500, n_classes=10)
    forced = cdan_module.CDANLoss(CDANParams(multilinear="randomized", random_dim=64), 100, 10)
    assert small.map is None and small.discriminator[0].in_features == 1000
    assert large.map is not None and large.discriminator[0].in_features == 1024
    assert forced.discriminator[0].in_features == 64
    # the randomized map keeps inner products on average: <T(a), T(b)> ~ <f_a, f_b> <g_a, g_b>
    torch.manual_seed(0)
    wide = cdan_module.RandomizedMultilinearMap(6, 3, 200_000)
    f, g = torch.randn(2, 6), torch.randn(2, 3).softmax(1)
    out = wide(f, g)
    exact = multilinear_map(f, g)
    assert out.shape == (2, 200_000)
    assert (out[0] @ out[1]).item() == pytest.approx((exact[0] @ exact[1]).item(), abs=0.05)


def test_cdan_reverses_the_gradient_to_the_features_and_weights_by_entropy():
    torch.manual_seed(0)
    cdan = cdan_module.CDANLoss(CDANParams(entropy=True), feature_dim=4, n_classes=3)
    feats_s = torch.randn(6, 4, requires_grad=True)
    logits_s, logits_t, feats_t = torch.randn(6, 3) * 2, torch.randn(8, 3) * 2, torch.randn(8, 4) + 1
    loss, logs = cdan(_step(feats_s, feats_t, logits_s=logits_s, logits_t=logits_t, progress=1.0))
    assert logs["lambda"] == pytest.approx(grl_lambda(1.0))
    # the stated formula, without reversal, on the same discriminator
    plain_feats = feats_s.detach().clone().requires_grad_(True)
    g = torch.cat([logits_s, logits_t]).softmax(1)
    scores = cdan.discriminator(multilinear_map(torch.cat([plain_feats, feats_t]), g)).squeeze(1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        scores, torch.cat([torch.zeros(6), torch.ones(8)]), reduction="none"
    )
    h = -(g * g.log()).sum(1)
    w_s, w_t = 1 + torch.exp(-h[:6]), 1 + torch.exp(-h[6:])
    expected = 0.5 * ((w_s * bce[:6]).sum() / w_s.sum() + (w_t * bce[6:]).sum() / w_t.sum())
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    loss.backward()
    expected.backward()
    assert torch.allclose(feats_s.grad, -grl_lambda(1.0) * plain_feats.grad, atol=1e-6)
    # the discriminator itself descends its loss: its gradient is not reversed
    assert cdan.discriminator[0].weight.grad is not None
    unweighted = cdan_module.CDANLoss(CDANParams(entropy=False), feature_dim=4, n_classes=3)
    unweighted.load_state_dict(cdan.state_dict())
    plain, _ = unweighted(_step(feats_s, feats_t, logits_s=logits_s, logits_t=logits_t, progress=1.0))
    assert plain.item() == pytest.approx(0.5 * (bce[:6].mean() + bce[6:].mean()).item(), rel=1e-5)


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
    step = _step(torch.zeros(2, 2), torch.zeros(3, 2), logits_s=source, logits_t=weak)
    with pytest.raises(ValueError, match="strong view of the target batch"):
        FixMatchLoss(0.5, align=True)(step)
    step.logits_t_strong, step.feats_t_strong = strong, torch.zeros(3, 2)
    assert FixMatchLoss(0.5, align=True)(step)[0].item() == pytest.approx(loss.item())


def test_labelled_target_is_the_cross_entropy_of_the_labelled_target_batch():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0], [0.0, 1.0, 0.0], [1.0, 2.0, 0.0]])
    y = torch.tensor([0, 2, 0, 1])
    log_p = logits - logits.exp().sum(1, keepdim=True).log()  # log softmax by hand
    expected = -log_p[torch.arange(4), y].mean()
    step = _step(torch.zeros(2, 2), torch.zeros(3, 2))
    step.logits_tl, step.y_tl = logits, y
    loss, logs = LabelledTargetLoss()(step)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert logs["accuracy"] == pytest.approx(3 / 4)  # argmax 0, 2, 1, 1 against 0, 2, 0, 1
    step.logits_tl = step.y_tl = None
    with pytest.raises(ValueError, match="labelled target samples"):
        LabelledTargetLoss()(step)
