"""The alignment terms' maths (Deep CORAL, DANN, DAN, CDAN) against an independent reference: the
formula each docstring states."""

import math

import numpy as np
import pytest
import torch

from tests.methods.helpers import step_inputs
from tlcore.methods import cdan as cdan_module
from tlcore.methods import dan as dan_module
from tlcore.methods.blocks import gradient_reversal, grl_lambda
from tlcore.methods.cdan import CDANParams, multilinear_map
from tlcore.methods.dan import mk_mmd2
from tlcore.methods.dann import DANNLoss
from tlcore.methods.deep_coral import DeepCoralLoss, DeepCoralParams


def test_deep_coral_on_the_features_is_the_np_cov_frobenius_formula():
    rng = np.random.default_rng(0)
    Fs, Ft = rng.normal(size=(32, 5)), rng.normal(size=(24, 5)) * 1.5 + 0.3
    diff = np.cov(Fs, rowvar=False) - np.cov(Ft, rowvar=False)
    expected = (diff**2).sum() / (4 * 5**2)
    feats_s = torch.tensor(Fs, requires_grad=True)
    loss, _ = DeepCoralLoss("features")(step_inputs(feats_s, torch.tensor(Ft)))
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    loss.backward()
    assert feats_s.grad is not None and feats_s.grad.abs().sum() > 0


def test_deep_coral_by_default_aligns_the_logits_covariances_not_the_features():
    rng = np.random.default_rng(3)
    Zs, Zt = rng.normal(size=(32, 3)), rng.normal(size=(24, 3)) * 2.0 - 1.0
    diff = np.cov(Zs, rowvar=False) - np.cov(Zt, rowvar=False)
    expected = (diff**2).sum() / (4 * 3**2)
    feats = torch.tensor(rng.normal(size=(32, 5)), requires_grad=True)
    logits_s = torch.tensor(Zs, requires_grad=True)
    step = step_inputs(feats, torch.tensor(rng.normal(size=(24, 5)) * 3), logits_s, torch.tensor(Zt))
    loss, _ = DeepCoralLoss(DeepCoralParams().layer)(step)  # the registered default
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    loss.backward()
    assert logits_s.grad is not None and logits_s.grad.abs().sum() > 0
    assert feats.grad is None  # the features' covariances play no part
    assert DeepCoralLoss("features")(step)[0].item() != pytest.approx(expected, rel=1e-3)


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
    loss, logs = dann(step_inputs(feats_s, torch.randn(10, 4) + 2, progress=1.0))
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
    step = step_inputs(Fs, Ft, logits_s=Zs.clone().requires_grad_(True), logits_t=Zt)
    loss, logs = dan_module.DANLoss(logits=True, logits_weight=1.0)(step)
    on_features = _laplacian_family_mmd2(Fs.numpy(), Ft.numpy(), logs["sigma"])
    on_logits = _laplacian_family_mmd2(Zs.numpy(), Zt.numpy(), logs["sigma_logits"])
    assert loss.item() == pytest.approx(on_features + on_logits, rel=1e-9)
    assert logs["mmd2_logits"] == pytest.approx(on_logits, rel=1e-9) and on_logits > 0.01
    assert logs["sigma_logits"] > 5 * logs["sigma"]  # each layer's median distance, not one for both
    loss.backward()
    assert step.logits_s.grad is not None and step.logits_s.grad.abs().sum() > 0
    alone, _ = dan_module.DANLoss(False, 1.0)(step_inputs(Fs, Ft, logits_s=Zs, logits_t=Zt))
    assert alone.item() == pytest.approx(on_features, rel=1e-9)


def test_dan_weights_the_logits_term_by_logits_weight():
    g = torch.Generator().manual_seed(5)
    Fs = torch.randn(8, 4, generator=g, dtype=torch.float64)
    Ft = torch.randn(6, 4, generator=g, dtype=torch.float64) - 0.5
    Zs = 3 * torch.randn(8, 3, generator=g, dtype=torch.float64)
    Zt = 3 * torch.randn(6, 3, generator=g, dtype=torch.float64) + 2
    step = step_inputs(Fs, Ft, logits_s=Zs, logits_t=Zt)
    _, logs = dan_module.DANLoss(True, 1.0)(step)
    on_features = _laplacian_family_mmd2(Fs.numpy(), Ft.numpy(), logs["sigma"])
    on_logits = _laplacian_family_mmd2(Zs.numpy(), Zt.numpy(), logs["sigma_logits"])
    assert on_logits > 0.05 and on_features > 0.05
    for w in (0.3, 2.5):
        weighted, _ = dan_module.DANLoss(True, w)(step)
        assert weighted.item() == pytest.approx(on_features + w * on_logits, rel=1e-9)
    off, off_logs = dan_module.DANLoss(True, 0.0)(step)
    alone, _ = dan_module.DANLoss(False, 1.0)(step)
    assert off.item() == pytest.approx(alone.item(), rel=1e-12)
    assert "mmd2_logits" not in off_logs  # w = 0 computes no logits term, as logits=False
    assert alone.item() == pytest.approx(on_features, rel=1e-9)


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
    loss, logs = cdan(step_inputs(feats_s, feats_t, logits_s=logits_s, logits_t=logits_t, progress=1.0))
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
    plain, _ = unweighted(step_inputs(feats_s, feats_t, logits_s=logits_s, logits_t=logits_t, progress=1.0))
    assert plain.item() == pytest.approx(0.5 * (bce[:6].mean() + bce[6:].mean()).item(), rel=1e-5)
