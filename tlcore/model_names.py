"""The backbones' names and the ``auto`` rule, without torch: what ``adapt --help`` and ``sweep --help``
list before torch loads; :func:`tlcore.models.register_model` takes no other name."""

from __future__ import annotations

from tlcore.imagenet_inputs import IMAGENET_NAMES

LOCAL_NAMES = ("cnn", "lenet", "lenet_bn", "mlp")  # the small backbones trained from scratch
MODEL_NAMES = tuple(sorted((*LOCAL_NAMES, *IMAGENET_NAMES)))  # every registered backbone


def resolve_model_name(name: str, input_shape: tuple[int, ...]) -> str:
    """``auto`` -> ``mlp`` for ``(D,)`` vectors, ``lenet_bn`` for images; other names pass through."""
    if name != "auto":
        return name
    return "mlp" if len(input_shape) == 1 else "lenet_bn"
