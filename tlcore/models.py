"""Models: one contract, ``Classifier`` = backbone -> (bottleneck) -> head, returning ``(logits, features)``.

Backbones come from an explicit registry (``register_model("lenet")``); :func:`build_model` wraps one
into a :class:`Classifier`. ``features`` is always the input of the head (the penultimate layer), the
space in which feature-based methods align domains and the diagnosis measures gaps. A model's file is
:mod:`tlcore.checkpoints`'.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from tlcore.errors import TLError
from tlcore.imagenet_inputs import IMAGE_SIZE, check_image_size
from tlcore.model_names import MIN_SIDES, MODEL_NAMES, PHOTO_MODEL, auto_options, resolve_model_name
from tlcore.pretrained import IMAGENET_BACKBONES, ImageNetFeatures

CONSTANT_STD = 1e-6  # a feature column whose standard deviation is below this is constant: scale 1


@dataclass(frozen=True)
class Backbone:
    """A feature extractor ``N x *input_shape -> N x dim`` and its output width."""

    net: nn.Module
    dim: int


BackboneFactory = Callable[..., Backbone]  # (input_shape, pretrained, **options) -> Backbone
InputKind = Literal["image", "vector"]
_REGISTRY: dict[str, tuple[BackboneFactory, InputKind]] = {}


def register_model(name: str, inputs: InputKind = "image") -> Callable[[BackboneFactory], BackboneFactory]:
    """Register a backbone factory ``(input_shape, pretrained, **options) -> Backbone`` as ``name``.

    ``inputs`` says which samples it takes: ``image`` (``C x H x W``) or ``vector`` (``D``).
    """

    def decorate(factory: BackboneFactory) -> BackboneFactory:
        if name in _REGISTRY or name == "auto":
            raise ValueError(f"model {name!r} is already registered")
        if name not in MODEL_NAMES:  # the names the CLI's help and the configs read without torch
            raise ValueError(f"model {name!r}: add it to tlcore.model_names.MODEL_NAMES")
        _REGISTRY[name] = (factory, inputs)
        return factory

    return decorate


def list_models() -> list[str]:
    """Registered model names (``auto`` is resolved by :func:`resolve_model_name`, not listed)."""
    return sorted(_REGISTRY)


class Standardize(nn.Module):
    """``(x - mean) / scale`` per feature column: a table's columns come in any units (a wine's proline
    near 1000 beside its hue near 1) and an MLP trains on z-scores. ``mean`` and ``scale`` (the
    population standard deviation; 1 for a constant column) are the source training split's, set by
    :meth:`fit` before training and saved with the weights; the identity until then."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def fit(self, X: torch.Tensor) -> None:
        std = X.double().std(dim=0, correction=0)
        self.mean.copy_(X.double().mean(dim=0))
        self.scale.copy_(torch.where(std > CONSTANT_STD, std, torch.ones_like(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


class Classifier(nn.Module):
    """``x -> [standardize] -> backbone -> bottleneck -> features -> head -> logits``; ``forward``
    returns both. Feature-vector models (``input_dim``) standardise their input (:class:`Standardize`).

    The return type never depends on train/eval mode (unlike tllib's ``ImageClassifier``).
    ``spec`` records how the model was built so a checkpoint can rebuild it; ``classes`` names the
    head's outputs when a checkpoint recorded them (empty otherwise), ``columns`` the input's feature
    columns when it was trained on a table with named columns (empty otherwise), ``categories`` the
    values of the table's text columns those encode 0/1 (``text=onehot``; empty otherwise), ``fill`` the
    values of missing feature cells, its training source's column medians (:mod:`tlcore.data.fill`;
    empty for images and models trained before they were stored), ``dropped`` the training file's
    feature columns it was trained without, empty in every row (a table without a header: their places,
    ``feature 1``; :mod:`tlcore.data.unread_columns`; None for a model trained before they were stored),
    ``file_columns`` where a training file without a header held each place, 0-based
    (:data:`~tlcore.data.domain.FILE_COLUMNS`: what its card names them by; empty for any other model,
    and for one trained before they were stored).
    """

    def __init__(
        self, backbone: Backbone, n_classes: int, bottleneck_dim: int = 0, input_dim: int = 0
    ) -> None:
        super().__init__()
        self.standardize: nn.Module = Standardize(input_dim) if input_dim else nn.Identity()
        self.backbone = backbone.net
        if bottleneck_dim:
            self.bottleneck: nn.Module = nn.Sequential(
                nn.Linear(backbone.dim, bottleneck_dim), nn.BatchNorm1d(bottleneck_dim), nn.ReLU()
            )
        else:
            self.bottleneck = nn.Identity()
        self.feature_dim = bottleneck_dim or backbone.dim
        self.n_classes = n_classes
        self.head = nn.Linear(self.feature_dim, n_classes)
        self.spec: dict[str, Any] = {}
        self.classes: tuple[str, ...] = ()
        self.columns: tuple[str, ...] = ()
        self.categories: dict[str, tuple[str, ...]] = {}
        self.fill: tuple[float, ...] = ()
        self.dropped: tuple[str, ...] | None = None
        self.file_columns: tuple[int, ...] = ()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.bottleneck(self.backbone(self.standardize(x)))  # N x feature_dim
        return self.head(features), features  # N x n_classes, N x feature_dim

    def fit_inputs(self, X: torch.Tensor) -> None:
        """Standardise inputs with the statistics of ``X`` (the source training split); images: no-op."""
        if isinstance(self.standardize, Standardize):
            self.standardize.fit(X)

    def reset_head(self, generator: torch.Generator | None = None) -> None:
        """A fresh head (PyTorch's default uniform init, drawn from ``generator`` when given)."""
        bound = 1.0 / self.feature_dim**0.5
        with torch.no_grad():
            self.head.weight.uniform_(-bound, bound, generator=generator)
            self.head.bias.uniform_(-bound, bound, generator=generator)

    def param_groups(self, lr: float, backbone_lr_mult: float = 1.0) -> list[dict[str, Any]]:
        """Optimizer groups: backbone at ``lr * backbone_lr_mult``, bottleneck and head at ``lr``.

        A multiplier of 0 leaves the backbone out (frozen), as in head-only fine-tuning.
        """
        rest = [*self.bottleneck.parameters(), *self.head.parameters()]
        groups: list[dict[str, Any]] = [{"params": rest, "lr": lr, "name": "head"}]
        if backbone_lr_mult > 0:
            backbone = list(self.backbone.parameters())
            groups.insert(0, {"params": backbone, "lr": lr * backbone_lr_mult, "name": "backbone"})
        return groups


def check_model_name(name: str) -> str:
    """``name`` when it is ``auto`` or a registered model; a one-line :class:`TLError` otherwise."""
    if name != "auto" and name not in _REGISTRY:
        raise TLError(f"unknown model {name!r}; choose one of: auto, {', '.join(list_models())}")
    return name


def check_input(name: str, input_shape: tuple[int, ...]) -> str:
    """The backbone ``name`` (or ``auto``) resolves to for samples of ``input_shape``; a one-line
    :class:`TLError` for an unknown name or a backbone that takes other samples (images or vectors),
    naming what the samples are and the network ``auto`` picks for them, or images smaller than it
    takes (:data:`~tlcore.model_names.MIN_SIDES`)."""
    resolved = resolve_model_name(check_model_name(name), tuple(input_shape))
    image = _REGISTRY[resolved][1] == "image"
    if len(input_shape) != (3 if image else 1):
        wanted = "images (C x H x W)" if image else "feature vectors (D,)"
        if len(input_shape) in (1, 3):
            got = (
                f"feature vectors of {input_shape[0]:,} values"
                if len(input_shape) == 1
                else f"images of {' x '.join(map(str, input_shape))}"
            )
            got += f" (auto picks {resolve_model_name('auto', tuple(input_shape))} for them)"
        else:
            got = f"samples of shape {tuple(input_shape)}"
        raise TLError(f"model {resolved!r} needs {wanted}, got {got}")
    side = MIN_SIDES.get(resolved, 0)
    if image and min(input_shape[1:]) < side:
        raise TLError(
            f"model {resolved!r} needs images of at least {side} x {side} px, got {input_shape[1]} x "
            f"{input_shape[2]} px; an ImageNet backbone such as {PHOTO_MODEL} resizes any image"
        )
    return resolved


def build_model(
    name: str,
    input_shape: tuple[int, ...],
    n_classes: int,
    pretrained: bool = True,
    bottleneck_dim: int = 0,
    **options: Any,
) -> Classifier:
    """A :class:`Classifier` with the registered backbone ``name`` (or ``auto``).

    ``input_shape`` is one sample's shape, ``(C, H, W)`` or ``(D,)``; ``pretrained`` only matters
    for the ImageNet backbones (:mod:`tlcore.pretrained`); ``options`` go to the backbone factory
    (``image_size`` for the ImageNet backbones). Initialisation draws from torch's
    global generator: seed it (``torch.manual_seed``) for a reproducible model.
    """
    shape = tuple(int(s) for s in input_shape)
    resolved = check_input(name, shape)
    factory, inputs = _REGISTRY[resolved]
    options = {**auto_options(name, shape), **options}  # auto's photo backbone: its image size
    accepted = set(inspect.signature(factory).parameters) - {"input_shape", "pretrained"}
    if set(options) - accepted:
        raise TLError(f"model {resolved!r} has no option(s) {sorted(set(options) - accepted)}")
    input_dim = shape[0] if inputs == "vector" else 0
    model = Classifier(factory(shape, pretrained, **options), n_classes, bottleneck_dim, input_dim)
    model.spec = {
        "name": resolved,
        "input_shape": list(shape),
        "n_classes": int(n_classes),
        "bottleneck_dim": int(bottleneck_dim),
        "options": dict(options),
    }
    return model


@register_model("cnn")
def _cnn(input_shape: tuple[int, ...], pretrained: bool) -> Backbone:
    """The default digit CNN: conv3x3(32) - conv3x3(64) - maxpool - fc(128); 28x28 -> 12x12x64 -> 128."""
    net = nn.Sequential(
        nn.Conv2d(input_shape[0], 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.AdaptiveMaxPool2d(12),  # == MaxPool2d(2) on 28x28 inputs, any size otherwise
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(64 * 12 * 12, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
    )
    return Backbone(net, 128)


def _lenet_stack(channels: int, batch_norm: bool) -> nn.Sequential:
    """conv5x5(20) - pool - conv5x5(50) - pool - fc(500), with BatchNorm2d after each conv when asked."""

    def norm(width: int) -> list[nn.Module]:
        return [nn.BatchNorm2d(width)] if batch_norm else []

    return nn.Sequential(
        nn.Conv2d(channels, 20, 5),
        *norm(20),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Conv2d(20, 50, 5),
        *norm(50),
        nn.Dropout2d(0.5),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(4),  # identity on 28x28 inputs (4x4 maps), fixes the size otherwise
        nn.Flatten(),
        nn.Linear(50 * 4 * 4, 500),
        nn.ReLU(),
        nn.Dropout(0.5),
    )


@register_model("lenet")
def _lenet(input_shape: tuple[int, ...], pretrained: bool) -> Backbone:
    """LeNet as used in digit adaptation (ADDA, tllib): conv5x5(20) - pool - conv5x5(50) - pool - fc(500).

    About 5x fewer multiply-adds than ``cnn`` on 28x28 (2.4 M vs 12 M per sample).
    """
    return Backbone(_lenet_stack(input_shape[0], batch_norm=False), 500)


@register_model("lenet_bn")
def _lenet_bn(input_shape: tuple[int, ...], pretrained: bool) -> Backbone:
    """``lenet`` with BatchNorm2d after each convolution (Ioffe & Szegedy 2015): the conv features no
    longer depend on the input's scale and offset, and AdaBN (Li et al. 2016) re-estimates these
    statistics on the target too, not only the bottleneck's."""
    return Backbone(_lenet_stack(input_shape[0], batch_norm=True), 500)


@register_model("mlp", inputs="vector")
def _mlp(input_shape: tuple[int, ...], pretrained: bool) -> Backbone:
    """Two hidden layers (256, 128) with ReLU for ``N x D`` feature-vector domains."""
    net = nn.Sequential(
        nn.Linear(input_shape[0], 256),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(256, 128),
        nn.ReLU(),
    )
    return Backbone(net, 128)


def _register_imagenet(name: str, build: Callable[[int, bool], ImageNetFeatures]) -> None:
    """Register ``build(image_size, pretrained)`` as ``name``: 1- or 3-channel images of any size."""

    def factory(input_shape: tuple[int, ...], pretrained: bool, image_size: int = IMAGE_SIZE) -> Backbone:
        """ImageNet-pretrained, inputs resized to ``image_size`` (224, the training resolution, by
        default; smaller sizes trade accuracy for speed on CPU)."""
        if input_shape[0] not in (1, 3):
            raise TLError(f"{name} needs 1 or 3 channels, got {input_shape[0]}")
        net = build(check_image_size(name, image_size), pretrained)
        return Backbone(net, net.dim)

    register_model(name)(factory)


for _name, _build in IMAGENET_BACKBONES.items():
    _register_imagenet(_name, _build)
