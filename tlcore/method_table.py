"""The adaptation methods' facts, without torch: each method's name, family, kind, description,
hyper-parameters (its dataclass in :mod:`tlcore.method_params`), a term's default loss weight and the
extra step inputs it needs, and whether it trains on target labels. The code that builds each method
lives in its module of :mod:`tlcore.methods`, registered against these names
(:func:`tlcore.methods.registry.builds`, which checks the builder's kind against the declared one);
``python -m tlcore methods`` reads only this.

A term's loss weight is the table's, not its dataclass's (overridable as ``params[name]["weight"]``);
:meth:`Method.parse_params` turns ``AdaptConfig.params[name]`` into a :class:`Configured` (strings
from the CLI are converted to the field's type; ``Literal`` fields are choices).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin, get_type_hints

from tlcore.errors import TLError
from tlcore.method_params import (
    AdaBNParams,
    CDANParams,
    CoralParams,
    DANNParams,
    DANParams,
    DeepCoralParams,
    DomainWeightsParams,
    FinetuneParams,
    FixMatchParams,
    IMParams,
    KMMParams,
    LabelledTargetParams,
    MCCParams,
    NoParams,
    PriorCorrectionParams,
    PseudoLabelParams,
    ShotPLParams,
    require,
)

Family = Literal["baseline", "model-based", "instance-based", "feature-based", "self-training"]
Kind = Literal["baseline", "stage", "weights", "term", "transform"]
# extra inputs a term may ask the loop for (tlcore.training.step's module doc says what each gives)
Need = Literal["strong_target_view", "labelled_target", "target_teacher"]
Param = float | int | str | bool
WEIGHT = "weight"  # the table-level parameter of every term

FAMILIES: dict[Family, str] = {
    "baseline": "References: the source-only model every run is compared with, and the oracle trained "
    "on target labels.",
    "model-based": "Reuse a trained model's parameters: fine-tune them on a few labelled target samples.",
    "instance-based": "Re-weight the source samples so that the ones resembling the target count more.",
    "feature-based": "Learn a representation in which source and target look alike (CORAL, MMD, "
    "adversarial).",
    "self-training": "Let the model teach itself on the unlabelled target: confident, diverse predictions "
    "or its own pseudo-labels.",
}
"""Every family in display order, with one sentence on what its methods do."""
FAMILY_ORDER: tuple[Family, ...] = tuple(FAMILIES)


@dataclass(frozen=True)
class Configured:
    """A method's hyper-parameters parsed from ``AdaptConfig.params[name]``: its params dataclass and,
    for a term, its loss weight (None for the other kinds)."""

    params: Any
    weight: float | None = None


@dataclass(frozen=True)
class Method:
    """One method's facts. ``weight`` (the default loss weight) and ``needs`` (extra step inputs the
    loop must provide, :class:`tlcore.training.Term`) belong to a term; a term that needs
    ``"labelled_target"`` is trained on target labels (``needs_target_labels``)."""

    name: str
    family: Family
    kind: Kind
    description: str
    params: type = NoParams
    weight: float | None = None
    needs: frozenset[Need] = frozenset()
    needs_target_labels: bool = False

    def __post_init__(self) -> None:
        if not dataclasses.is_dataclass(self.params):
            raise TypeError(f"{self.name}: params must be a dataclass")
        if WEIGHT in {f.name for f in dataclasses.fields(self.params)}:
            raise TypeError(f"{self.name}: 'weight' is the table's (Method.weight), not a params field")
        if (self.weight is not None) != (self.kind == "term") or (self.needs and self.kind != "term"):
            raise TypeError(f"{self.name}: a weight and needs belong to a term, and every term has a weight")
        if "labelled_target" in self.needs:
            object.__setattr__(self, "needs_target_labels", True)

    def needs_of(self, params: Any) -> frozenset[Need]:
        """The needs of this term built from ``params`` (its parsed params dataclass): :attr:`needs`
        less those its parameters switch off (the dataclass's ``unneeded()``, if it has one)."""
        unneeded = getattr(params, "unneeded", None)
        return self.needs - (frozenset() if unneeded is None else unneeded())

    def defaults(self) -> dict[str, Param]:
        """Default hyper-parameters, a term's ``weight`` first."""
        weight = {} if self.weight is None else {WEIGHT: self.weight}
        return weight | dataclasses.asdict(self.params())

    def choices(self) -> dict[str, tuple[str, ...]]:
        """The allowed values of each ``Literal`` parameter."""
        hints = get_type_hints(self.params)
        return {key: get_args(hint) for key, hint in hints.items() if get_origin(hint) is Literal}

    def parse_params(self, raw: Mapping[str, Any] | None) -> Configured:
        """The params dataclass (defaults for missing keys) and a term's weight; unknown keys, values
        of the wrong type, a float that is not finite (inf or nan) and values outside the dataclass's
        ``check`` are refused in one line naming the method, the parameter and the value."""
        raw = dict(raw or {})
        weight = None
        if self.weight is not None:
            weight = _convert(self.name, WEIGHT, raw.pop(WEIGHT, self.weight), float)
            require(self.name, WEIGHT, weight, weight >= 0, "be >= 0")
        elif WEIGHT in raw:
            raise TLError(f"{self.name}: weight applies to loss terms only, not to a {self.kind} method")
        types = get_type_hints(self.params)
        unknown = sorted(set(raw) - set(types))
        if unknown:
            known = ", ".join(self.defaults()) or "none"
            raise TLError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}; known: {known}")
        values = {key: _convert(self.name, key, value, types[key]) for key, value in raw.items()}
        params = self.params(**values)
        check = getattr(params, "check", None)
        if check is not None:
            check()
        return Configured(params, weight)

    def resolve(self, raw: Mapping[str, Any] | None) -> dict[str, Param]:
        """Every hyper-parameter as the method is built from ``raw`` (:meth:`parse_params`: the
        defaults merged with the given values, typed), a term's ``weight`` first."""
        configured = self.parse_params(raw)
        weight = {} if configured.weight is None else {WEIGHT: configured.weight}
        return weight | dataclasses.asdict(configured.params)

    def describe(self) -> dict[str, Any]:
        """What ``python -m tlcore methods --json`` prints for this method."""
        return {
            "name": self.name,
            "family": self.family,
            "kind": self.kind,
            "description": self.description,
            "needs_target_labels": self.needs_target_labels,
            "params": self.defaults(),
            "choices": {key: list(values) for key, values in self.choices().items()},
        }


def _convert(method: str, key: str, value: Any, kind: Any) -> Any:
    if get_origin(kind) is Literal:
        choices = get_args(kind)
        if value not in choices:
            allowed = ", ".join(map(repr, choices))
            raise TLError(f"{method}: parameter {key} must be one of {allowed}, got {value!r}")
        return value
    try:
        if kind is bool and isinstance(value, str):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        converted = kind(value)
    except (TypeError, ValueError):
        raise TLError(f"{method}: parameter {key} must be {kind.__name__}, got {value!r}") from None
    require(method, key, converted, kind is not float or math.isfinite(converted), "be a finite number")
    return converted


BUILT_IN: tuple[Method, ...] = (
    Method(
        "source_only",
        "baseline",
        "baseline",
        "Train on the labelled source only; the 'before' every method is compared with.",
    ),
    Method(
        "target_only",
        "baseline",
        "stage",
        "Oracle: train on the labelled target train split (needs target labels).",
        needs_target_labels=True,
    ),
    Method(
        "finetune",
        "model-based",
        "stage",
        "Pretrain on source, fine-tune on k labelled target samples per class (head or all layers).",
        params=FinetuneParams,
        needs_target_labels=True,
    ),
    Method(
        "labelled_target",
        "model-based",
        "term",
        "Train on k labelled target samples per class beside the other terms (semi-supervised).",
        params=LabelledTargetParams,
        weight=1.0,
        needs=frozenset({"labelled_target"}),
    ),
    Method(
        "domain_weights",
        "instance-based",
        "weights",
        "Weight source samples by p(target|x)/p(source|x) from a domain classifier.",
        params=DomainWeightsParams,
    ),
    Method(
        "kmm",
        "instance-based",
        "weights",
        "Kernel mean matching: source weights that match the target's kernel mean (a QP).",
        params=KMMParams,
    ),
    Method(
        "prior_correction",
        "instance-based",
        "transform",
        "Label shift: re-weight the trained model's outputs by the target's class priors (estimated "
        "by EM or BBSE on the unlabelled target).",
        params=PriorCorrectionParams,
    ),
    Method(
        "adabn",
        "feature-based",
        "transform",
        "AdaBN: re-estimate every batch-normalisation layer's statistics on the unlabelled target "
        "(no training).",
        params=AdaBNParams,
    ),
    Method(
        "cdan",
        "feature-based",
        "term",
        "CDAN(+E): adversarial alignment of features conditioned on the predictions "
        "(entropy-weighted by default).",
        params=CDANParams,
        weight=1.0,
    ),
    Method(
        "coral",
        "feature-based",
        "stage",
        "Closed-form CORAL: re-colour source features with the target covariance, refit the head.",
        params=CoralParams,
    ),
    Method(
        "dan",
        "feature-based",
        "term",
        "DAN: multi-kernel MMD between source and target features and logits (33 Laplacian kernels).",
        params=DANParams,
        weight=1.0,
    ),
    Method(
        "dann",
        "feature-based",
        "term",
        "DANN: adversarial domain discriminator through a gradient reversal layer.",
        params=DANNParams,
        weight=1.0,
    ),
    Method(
        "deep_coral",
        "feature-based",
        "term",
        "Deep CORAL: penalise the distance between the source and target covariances of a layer.",
        params=DeepCoralParams,
        weight=1.0,
    ),
    Method(
        "bnm",
        "self-training",
        "term",
        "BNM: maximise the nuclear norm of the target batch predictions (confident and diverse).",
        weight=1.0,
    ),
    Method(
        "fixmatch",
        "self-training",
        "term",
        "FixMatch: confident predictions on the target train a strongly augmented view of it.",
        params=FixMatchParams,
        weight=1.0,
        needs=frozenset({"strong_target_view", "target_teacher"}),
    ),
    Method(
        "im",
        "self-training",
        "term",
        "Information maximisation (SHOT-IM): confident yet diverse target predictions.",
        params=IMParams,
        weight=1.0,
    ),
    Method(
        "mcc",
        "self-training",
        "term",
        "MCC: minimum class confusion between the target predictions (entropy-weighted).",
        params=MCCParams,
        weight=1.0,
    ),
    Method(
        "pseudo_label",
        "self-training",
        "term",
        "Train on the model's own confident target predictions (threshold on probability).",
        params=PseudoLabelParams,
        weight=1.0,
    ),
    Method(
        "shot_pl",
        "self-training",
        "term",
        "SHOT's clustering pseudo-labels: each target sample trained towards its nearest class "
        "centroid in feature space.",
        params=ShotPLParams,
        weight=0.3,
    ),
)
_METHODS: dict[str, Method] = {method.name: method for method in BUILT_IN}


def declare_method(method: Method) -> None:
    """Add a method's facts (the ``register_*`` decorators of :mod:`tlcore.methods.registry` add its
    builder too)."""
    if method.name in _METHODS:
        raise ValueError(f"method {method.name!r} is already registered")
    _METHODS[method.name] = method


def declared_method(name: str) -> Method:
    try:
        return _METHODS[name]
    except KeyError:
        raise TLError(f"unknown method {name!r}; choose from: {', '.join(_METHODS)}") from None


def declared_methods() -> list[Method]:
    """Every declared method, grouped by family (in :data:`FAMILY_ORDER`), then in declaration order."""
    return sorted(_METHODS.values(), key=lambda method: FAMILY_ORDER.index(method.family))


def resolve_params(
    methods: tuple[str, ...], params: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Param]]:
    """Each of ``methods``' hyper-parameters as a run of ``params`` builds it (:meth:`Method.resolve`),
    e.g. ``{"deep_coral": {"weight": 1.0, "layer": "logits"}}``; a method without any maps to ``{}``."""
    return {name: declared_method(name).resolve(params.get(name)) for name in methods}
