"""The loop's optimizer: Adam's update rule, in torch's fused kernel where the device has one."""

import pytest
import torch
from torch import nn

from tlcore.training import adam, adam_is_fused

LR, BETAS, EPS = 0.01, (0.9, 0.999), 1e-8


def textbook_adam(p: torch.Tensor, grads: list[torch.Tensor], weight_decay: float) -> torch.Tensor:
    """Kingma & Ba, Algorithm 1 (L2 weight decay added to the gradient, as torch.optim.Adam)."""
    p, m, v = p.clone(), torch.zeros_like(p), torch.zeros_like(p)
    for t, grad in enumerate(grads, start=1):
        g = grad + weight_decay * p
        m = BETAS[0] * m + (1 - BETAS[0]) * g
        v = BETAS[1] * v + (1 - BETAS[1]) * g * g
        m_hat, v_hat = m / (1 - BETAS[0] ** t), v / (1 - BETAS[1] ** t)
        p = p - LR * m_hat / (v_hat.sqrt() + EPS)
    return p


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_three_steps_follow_the_textbook_update(weight_decay: float) -> None:
    start = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    grads = [
        torch.tensor(g, dtype=torch.float64)
        for g in ([0.3, -1.0, 2.0, 0.0], [0.1, 0.4, -3.0, 1e-3], [-0.2, 0.2, 0.5, 5.0])
    ]
    param = nn.Parameter(start.clone())
    optimizer = adam([param], LR, torch.device("cpu"), weight_decay)
    for g in grads:
        param.grad = g.clone()
        optimizer.step()
    expected = textbook_adam(start, grads, weight_decay)
    torch.testing.assert_close(param.detach(), expected, rtol=1e-12, atol=1e-12)
    assert not torch.equal(param.detach(), start)


def test_fused_on_cpu_and_cuda_only() -> None:
    assert adam_is_fused(torch.device("cpu")) and adam_is_fused(torch.device("cuda"))
    assert not adam_is_fused(torch.device("meta"))
    optimizer = adam([nn.Parameter(torch.zeros(3))], LR, torch.device("cpu"))
    assert optimizer.defaults["fused"] is True
    groups = [
        {"params": [nn.Parameter(torch.zeros(2))], "lr": 0.1},
        {"params": [nn.Parameter(torch.ones(2))]},
    ]
    assert [g["lr"] for g in adam(groups, LR, torch.device("cpu")).param_groups] == [0.1, LR]
