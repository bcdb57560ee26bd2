"""What the ImageNet backbones (:mod:`tlcore.pretrained`) take, without torch: their names, the input
side they resize images to and its limits, so a config (:class:`~tlcore.adapt.config.AdaptConfig`) is
checked where torch is not loaded (``runs list``)."""

from __future__ import annotations

from tlcore.errors import TLError

IMAGE_SIZE = 224  # the resolution the ImageNet weights were trained at
MIN_IMAGE_SIZE = 32  # five stride-2 stages: 32 px leaves a 1 x 1 map to pool
# where each torchvision model keeps its ImageNet head (replaced by Identity; its input width is the
# feature width): ResNets a ``fc`` layer, MobileNetV3 and ConvNeXt the last layer of ``classifier``
TORCHVISION_HEADS = {
    "resnet18": "fc",
    "resnet50": "fc",
    "mobilenet_v3_large": "classifier.3",
    "convnext_tiny": "classifier.2",
}
IMAGENET_NAMES = ("efficientnet_lite0", *TORCHVISION_HEADS)  # the registry's ImageNet backbones


def check_image_size(name: str, size: object) -> int:
    """``size`` when it is a whole number >= :data:`MIN_IMAGE_SIZE`; a one-line :class:`TLError` naming
    model ``name`` otherwise (the one check of an ImageNet backbone's input size)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < MIN_IMAGE_SIZE:
        raise TLError(f"{name}'s image_size must be a whole number >= {MIN_IMAGE_SIZE}, got {size!r}")
    return size
