"""AdaBN: the statistics it writes are the target's, everything else is untouched; it composes as a
transform and beats source-only on the toy nuisance shift."""

import copy

import pytest
import torch
from torch import nn

from tlcore.errors import TLError
from tlcore.methods import check_combination, get_method, parse_methods
from tlcore.methods.adabn import adapt_batch_norm, batch_norm_layers
from tlcore.models import Backbone, Classifier, build_model


def _bottleneck_input(model, X: torch.Tensor) -> torch.Tensor:
    """The input of the bottleneck BatchNorm for ``X`` in eval mode: ``Linear(backbone(X))``."""
    model.eval()
    with torch.no_grad():
        return model.bottleneck[0](model.backbone(X))


def test_one_batch_gives_the_target_statistics_and_nothing_else_changes():
    torch.manual_seed(0)
    model = build_model("mlp", (6,), 3, bottleneck_dim=8)  # one BatchNorm1d, dropout in the backbone
    X = 3.0 * torch.randn(40, 6) + 1.0
    before = copy.deepcopy(model.state_dict())
    adapt_batch_norm(model, X, batch_size=64)
    (bn,) = batch_norm_layers(model)
    inputs = _bottleneck_input(model, X)
    assert torch.allclose(bn.running_mean, inputs.mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, inputs.var(0, correction=1), atol=1e-4)
    assert bn.momentum == 0.1 and not model.training
    for name, value in model.state_dict().items():
        if "running" not in name and "num_batches" not in name:
            assert torch.equal(value, before[name]), name  # weights untouched


def test_several_batches_average_the_batch_statistics():
    torch.manual_seed(1)
    model = build_model("mlp", (6,), 3, bottleneck_dim=8)
    X = torch.randn(30, 6)
    adapt_batch_norm(model, X, batch_size=10)  # three batches of 10
    (bn,) = batch_norm_layers(model)
    parts = [_bottleneck_input(model, part) for part in X.split(10)]
    assert torch.allclose(bn.running_mean, torch.stack([p.mean(0) for p in parts]).mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, torch.stack([p.var(0) for p in parts]).mean(0), atol=1e-4)


def test_convolutional_layers_get_per_channel_target_statistics():
    torch.manual_seed(2)
    layers = (nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    conv = nn.Sequential(*layers)
    model = Classifier(Backbone(conv, 4), n_classes=3)
    X = torch.rand(12, 1, 10, 10)
    adapt_batch_norm(model, X, batch_size=64)
    (first,) = batch_norm_layers(model)
    with torch.no_grad():
        maps = conv[0](X)  # the convolution feeds the BatchNorm2d
    assert torch.allclose(first.running_mean, maps.mean((0, 2, 3)), atol=1e-5)
    assert torch.allclose(first.running_var, maps.transpose(0, 1).flatten(1).var(1), atol=1e-4)


def test_a_model_without_batch_norm_is_refused():
    model = build_model("mlp", (6,), 3, bottleneck_dim=0)
    with pytest.raises(TLError, match="no batch-normalisation layer"):
        adapt_batch_norm(model, torch.randn(10, 6))


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("source_only+adabn", ["baseline", "transform"]),
        ("deep_coral+im+adabn", ["term", "term", "transform"]),
        ("mcc+adabn+prior_correction", ["term", "transform", "transform"]),
    ],
)
def test_adabn_composes_as_a_transform(text, kinds):
    assert [spec.kind for spec in check_combination(parse_methods(text))] == kinds
    assert get_method("adabn").defaults() == {"batch_size": 256}
    with pytest.raises(TLError, match="batch_size must be >= 2"):
        get_method("adabn").parse_params({"batch_size": 1})
