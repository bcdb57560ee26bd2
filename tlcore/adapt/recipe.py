"""Recipes: a named, complete way to adapt — methods, their parameters and the training budget.

A recipe is what the app's one-click button and ``python -m tlcore adapt --recipe NAME`` run, so the
accuracy quoted for it (measured by ``bench/``, reported in docs/benchmarks.md) is the accuracy of
exactly the settings launched. ``budget`` holds only the :class:`~tlcore.adapt.config.AdaptConfig`
fields that differ from the config's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.method_table import declared_method
from tlcore.model_names import resolve_model_name

LABELLED_TERM = "labelled_target"  # the term a recipe adds when it is given target labels


@dataclass(frozen=True)
class Recipe:
    """Methods (a composition), their parameters and the budget of one way to adapt."""

    name: str
    methods: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    budget: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""  # may hold {strong_view} and {batch_norm}: :meth:`describe` words them

    @property
    def label(self) -> str:
        return "+".join(self.methods)

    def describe(self, images: bool = True) -> str:
        """The summary worded for a pair of images or of feature vectors (a table's rows)."""
        return self.summary.format(**(IMAGE_WORDS if images else VECTOR_WORDS))

    def config(self, source: str, target: str, **overrides: Any) -> AdaptConfig:
        """The run config of this recipe on a pair; ``overrides`` (e.g. ``seed``) win over the budget.
        With ``target_labels=K`` (> 0) the recipe also trains on K labelled target samples per class
        (the :mod:`~tlcore.methods.labelled_target` term, before the recipe's transforms)."""
        values = {**self.budget, **overrides}
        params = {name: dict(p) for name, p in self.params.items()}
        methods = with_labelled_target(self.methods) if values.get("target_labels") else self.methods
        return AdaptConfig(source=source, target=target, methods=methods, params=params, **values)


def with_labelled_target(methods: tuple[str, ...]) -> tuple[str, ...]:
    """``methods`` with the ``labelled_target`` term inserted before the transforms (they come last)."""
    if LABELLED_TERM in methods:
        return methods
    cut = len(methods) - sum(declared_method(name).kind == "transform" for name in methods)
    return (*methods[:cut], LABELLED_TERM, *methods[cut:])


IMAGE_WORDS = {
    "strong_view": "a strongly augmented view of each target batch (rotated, rescaled, its contrast "
    "and brightness changed, noisy, a patch cut out)",
    "batch_norm": "every BatchNorm layer (the image network's convolutions, the bottleneck)",
}
"""How a recipe's summary words, on images, FixMatch's strong view
(:func:`~tlcore.data.augment.strong_augment`) and the layers AdaBN changes."""
VECTOR_WORDS = {
    "strong_view": "a strongly augmented view of each target batch (on feature vectors: noise of 0.1 "
    "times each column's spread in the batch, and one value in ten set to its column's batch mean)",
    "batch_norm": "the bottleneck's BatchNorm layer (the feature-vector network, an MLP, has no other)",
}
"""The same on feature vectors (a table's rows, through the ``mlp`` and the bottleneck)."""


def evidence_intro(input_shape: tuple[int, ...] | None = None) -> str:
    """What precedes a recipe's benchmark quote (``97.0 ± 0.9% on mnist5k → digits``) for a pair whose
    samples have ``input_shape`` (None: unknown): the benchmark's pairs are 28 px digit and clothing
    images on lenet_bn, which a pair that ``auto`` builds another network for (a table's vectors,
    photos; :func:`~tlcore.model_names.resolve_model_name`) is told, with that network."""
    settings = "Measured with exactly these settings"
    picked = "lenet_bn" if input_shape is None else resolve_model_name("auto", input_shape)
    if picked == "lenet_bn":
        return settings
    unlike = "tables" if len(input_shape or ()) == 1 else "photos"
    return f"{settings} on 28 px digit and clothing benchmarks (none on {unlike}; this pair trains {picked})"


RECOMMENDED = Recipe(
    name="recommended",
    methods=("deep_coral", "im", "fixmatch", "shot_pl", "adabn"),
    params={
        "deep_coral": {"layer": "features", "weight": 100.0},
        "fixmatch": {"weight": 0.3, "align": False, "threshold": 0.9, "teacher": True},
    },
    budget={"warm_start": True, "epochs": 4, "adapt_epochs": 10, "ema_decay": 0.99},
    summary="A short source-only pre-training (4 epochs), then adapting that model (10 epochs): Deep "
    "CORAL aligns the covariances of the bottleneck features (at weight 100; its default, the logits, "
    "was not screened inside this recipe), information maximisation makes the target predictions "
    "confident yet diverse, FixMatch trains {strong_view} on the confident predictions of its plain "
    "view, SHOT's clustering pseudo-labels train each target sample towards its nearest class "
    "centroid in feature space. FixMatch runs at 0.3 times the source loss (its pseudo-labels are a "
    "shifted model's), confident from 0.9 rather than the paper's 0.95 (so that a hard shift's target "
    "gets labels too), without AdaMatch's alignment (it re-labels a batch's borderline samples by "
    "that batch's noisy class means; the diversity term already keeps the predictions from "
    "collapsing), and takes its labels from the moving average of the weights over the steps (EMA, "
    "decay 0.99; a mean teacher: its labels follow about the last hundred steps' weights, not "
    "the last step's). That average is also the adapted model kept: it settles epochs before the "
    "live weights do. AdaBN then gives {batch_norm} the target's statistics. Measured in "
    "docs/benchmarks.md.",
)
RECIPES: dict[str, Recipe] = {RECOMMENDED.name: RECOMMENDED}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; a one-line :class:`TLError` naming the known ones otherwise."""
    try:
        return RECIPES[name]
    except KeyError:
        raise TLError(f"unknown recipe {name!r}; choose from: {', '.join(RECIPES)}") from None
