"""torchvision's ImageNet backbones: built offline, weights from torchvision's cache, one offline line."""

from urllib.error import URLError

import pytest
import torch
import torchvision

from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.errors import TLError
from tlcore.models import build_model, list_models
from tlcore.pretrained import IMAGENET_MEAN, IMAGENET_STD, ImageNetFeatures, weights_file

WIDTHS = {"resnet18": 512, "resnet50": 2048, "mobilenet_v3_large": 1280, "convnext_tiny": 768}


def offline(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[str]:
    """An empty torch cache under ``tmp_path`` and a download that fails like a machine without network;
    returns the URLs it was asked for."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    asked: list[str] = []

    def no_network(url: str, *args: object, **kwargs: object) -> None:
        asked.append(url)
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return asked


@pytest.mark.parametrize(("name", "width"), WIDTHS.items())
def test_each_torchvision_backbone_builds_offline_and_returns_its_pooled_features(
    name, width, monkeypatch, tmp_path
):
    asked = offline(monkeypatch, tmp_path)
    assert name in list_models()
    torch.manual_seed(0)
    model = build_model(name, (1, 40, 40), 6, pretrained=False, image_size=32)
    assert isinstance(model.backbone, ImageNetFeatures) and model.backbone.size == 32
    assert model.feature_dim == width
    linear = [m for m in model.backbone.net.modules() if isinstance(m, torch.nn.Linear)]
    assert all(m.out_features != 1000 for m in linear)  # no ImageNet head left
    for mode in (True, False):
        model.train(mode)
        logits, features = model(torch.rand(2, 1, 40, 40))  # grey, 40 px: repeated to RGB, resized to 32
        assert logits.shape == (2, 6)
        assert features.shape == (2, width)
        assert torch.isfinite(features).all()
    assert asked == []  # pretrained=False never downloads


def test_pretrained_weights_come_from_torchvisions_cache(monkeypatch, tmp_path):
    asked = offline(monkeypatch, tmp_path)
    weights = torchvision.models.MobileNet_V3_Large_Weights.DEFAULT
    torch.manual_seed(5)
    state = torchvision.models.mobilenet_v3_large().state_dict()
    cached = tmp_path / "torch" / "hub" / "checkpoints" / "mobilenet_v3_large-5c1a4163.pth"
    assert weights_file(weights.url) == cached
    cached.parent.mkdir(parents=True)
    torch.save(state, cached)
    torch.manual_seed(0)
    model = build_model("mobilenet_v3_large", (3, 32, 32), 4, image_size=32)
    loaded = model.backbone.net.state_dict()
    assert set(state) - set(loaded) == {"classifier.3.weight", "classifier.3.bias"}  # the ImageNet head
    assert all(torch.equal(loaded[key], state[key]) for key in loaded)
    assert asked == []  # read from the cache, no download
    # a checkpoint of it rebuilds without the weights file
    save_checkpoint(tmp_path / "model.pt", model, {})
    cached.unlink()
    reloaded, _ = load_checkpoint(tmp_path / "model.pt")
    assert torch.equal(reloaded.backbone.net.features[0][0].weight, state["features.0.0.weight"])


def test_a_missing_download_offline_is_one_line_naming_the_file_url_and_place(monkeypatch, tmp_path):
    asked = offline(monkeypatch, tmp_path)
    url = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    with pytest.raises(TLError) as caught:
        build_model("resnet18", (3, 32, 32), 4, image_size=32)
    message = str(caught.value)
    assert asked == [url]
    assert "\n" not in message
    assert message == (
        f"cannot download the ImageNet weights resnet18-f37072fd.pth from {url} ([Errno -3] Temporary "
        f"failure in name resolution); on a machine without internet, copy that file to "
        f"{tmp_path / 'torch' / 'hub' / 'checkpoints' / 'resnet18-f37072fd.pth'}"
    )


def test_a_corrupt_cached_file_says_to_delete_it(monkeypatch, tmp_path):
    offline(monkeypatch, tmp_path)
    cached = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    with pytest.raises(TLError, match=r"cannot read the ImageNet weights .*resnet18-f37072fd\.pth: delete"):
        build_model("resnet18", (3, 32, 32), 4, image_size=32)


@pytest.mark.parametrize("size", [16, 0, 64.5, True, 513])
def test_an_image_size_out_of_range_or_not_whole_is_refused(size):
    with pytest.raises(TLError, match=r"resnet18's image_size must be a whole number from 32 to 512 px \("):
        build_model("resnet18", (3, 32, 32), 4, pretrained=False, image_size=size)


def test_a_torchvision_backbone_refuses_other_channel_counts():
    with pytest.raises(TLError, match="convnext_tiny needs 1 or 3 channels, got 4"):
        build_model("convnext_tiny", (4, 32, 32), 4, pretrained=False, image_size=32)


def test_the_wrapper_normalises_with_the_imagenet_statistics():
    torch.manual_seed(0)
    model = build_model("resnet18", (3, 32, 32), 4, pretrained=False, image_size=32).eval()
    x = torch.rand(2, 3, 32, 32)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        assert torch.equal(model(x)[1], model.backbone.net((x - mean) / std))
