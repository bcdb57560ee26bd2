"""What the ImageNet backbones (:mod:`tlcore.pretrained`) take, without torch: their names, the input
side they resize images to and its limits, so a config (:class:`~tlcore.adapt.config.AdaptConfig`) is
checked where torch is not loaded (``runs list``)."""

from __future__ import annotations

from tlcore.errors import TLError

IMAGE_SIZE = 224  # the resolution the ImageNet weights were trained at
MIN_IMAGE_SIZE = 32  # five stride-2 stages: 32 px leaves a 1 x 1 map to pool
# A training step keeps every activation for backward, (size / 224)^2 times what it keeps at 224 px:
# measured (autograd's saved tensors, float32) 21 MiB an image for resnet18 to 104 for convnext_tiny
# at 224, 110 to 544 MiB at 512, so one batch of 32 source + 32 target images holds 7 to 34 GiB at 512
# (4000 px: 319 times 224's, up to 2 TiB). 512 is also past the sides these backbones' papers train and
# fine-tune at (224; ConvNeXt 384).
MAX_IMAGE_SIZE = 512
# ``auto`` (:func:`tlcore.model_names.resolve_model_name`): images whose shorter side is at least
# PHOTO_SIDE px are photos, for the pretrained efficientnet_lite0 (offline weights); smaller ones are
# digit-like (the benchmark's tasks: 28 px; USPS 16, SVHN 32), for lenet_bn trained from scratch.
# 64 is twice the largest digit-like set's side (SVHN, 32 px; LeNet was sized for 28 px). On the photos
# measured below, the recommended recipe reached 48.0% on lenet_bn and 98.7% on efficientnet_lite0 at
# 64 px.
PHOTO_SIDE = 64
# The side ``auto`` resizes photos to. Measured on 4 classes of colour-shape photos (80-200 px, read at
# 109 px; 193 source images, 150 darker, bluish, blurred targets), source-only, 1 epoch, seed 0, one
# thread of a busy 2-core CPU: 64 px 60 s and 91.3% on the target, 96 px 105 s and 100.0%, 109 px
# (their own side) 197 s and 98.0%, 224 px 319 s and 100.0%: 96 px matched 224's accuracy in a third
# of its time ((96 / 224)^2 = 18% of its compute a step).
AUTO_IMAGE_SIZE = 96
SIZE_RANGE = (  # the error's and the Adapt page's words
    f"from {MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE} px (at {MAX_IMAGE_SIZE} px one batch of 64 images already "
    "holds 7 to 34 GiB to train)"
)
# where each torchvision model keeps its ImageNet head (replaced by Identity; its input width is the
# feature width): ResNets a ``fc`` layer, MobileNetV3 and ConvNeXt the last layer of ``classifier``
TORCHVISION_HEADS = {
    "resnet18": "fc",
    "resnet50": "fc",
    "mobilenet_v3_large": "classifier.3",
    "convnext_tiny": "classifier.2",
}
IMAGENET_NAMES = ("efficientnet_lite0", *TORCHVISION_HEADS)  # the registry's ImageNet backbones


def input_side(name: str, image_size: int | None) -> int | None:
    """The side an ImageNet backbone ``name`` resizes its inputs to (``image_size``, else its default);
    None for the other networks."""
    return (image_size or IMAGE_SIZE) if name in IMAGENET_NAMES else None


def check_image_size(name: str, size: object) -> int:
    """``size`` when it is a whole number from :data:`MIN_IMAGE_SIZE` to :data:`MAX_IMAGE_SIZE`; a
    one-line :class:`TLError` naming model ``name`` otherwise (the one check of an ImageNet backbone's
    input size)."""
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_IMAGE_SIZE <= size <= MAX_IMAGE_SIZE:
        raise TLError(f"{name}'s image_size must be a whole number {SIZE_RANGE}, got {size!r}")
    return size
