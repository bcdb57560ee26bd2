"""The method registry: one :class:`MethodSpec` per adaptation method, registered by name.

Every method is one of five kinds, which decides how the pipeline uses it:

=========  ====================================================================================
kind       what the method contributes to the "adapt" stage
=========  ====================================================================================
baseline   nothing: the source-only baseline is the answer (``source_only``)
stage      the whole stage: it builds the adapted model itself, using the training loop or a
           closed form (``target_only``, ``finetune``, ``coral``); stands alone
weights    per-sample source weights for the weighted source loss (``domain_weights``, ``kmm``);
           at most one per run
term       a loss term ``weight * objective(StepInputs)`` added to the source loss
           (``deep_coral``, ``dan``, ``dann``, ``cdan``, ``im``, ``mcc``, ``bnm``, ``fixmatch``,
           ``shot_pl``, ...); any number, each once
transform  a post-training change of the trained model, applied after the adapt stage and before
           the evaluation, in the order written (``prior_correction``); any number, each once
=========  ====================================================================================

A run's methods compose as ``[weights] + term + term ...`` (CLI ``deep_coral+im``), or are a single
baseline or stage, followed by any transforms (``source_only+prior_correction``,
``deep_coral+im+prior_correction``; transforms alone transform the source-only baseline);
:func:`check_combination` refuses anything else with a :class:`TLError`. Each kind registers
through its own decorator (:func:`register_term`, :func:`register_weights`, :func:`register_stage`,
:func:`register_transform`), typed by its builder protocol, so a builder of the wrong shape is a
type error. Hyper-parameters live in one dataclass per method; a term's loss weight is the registry's,
not the dataclass's (registered default, overridable as ``params[name]["weight"]``). A term that
reads more than the step's outputs declares it (``register_term(..., needs=("strong_target_view",))``);
the loop then provides it for the whole run (:data:`tlcore.training.Need`).
:meth:`MethodSpec.parse_params` turns ``AdaptConfig.params[name]`` into a :class:`Configured`
(strings from the CLI are converted to the field's type; ``Literal`` fields are choices).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, get_args, get_origin, get_type_hints

import torch

from tlcore.errors import TLError
from tlcore.methods.context import (
    StageContext,
    StageOutcome,
    TermContext,
    TransformContext,
    TransformOutcome,
    WeightsContext,
)
from tlcore.training import Need, Objective

Family = Literal["baseline", "model-based", "instance-based", "feature-based", "self-training"]
Kind = Literal["baseline", "stage", "weights", "term", "transform"]
Param = float | int | str | bool
WEIGHT = "weight"  # the registry-level parameter of every term

P = TypeVar("P")
P_contra = TypeVar("P_contra", contravariant=True)


@dataclass(frozen=True)
class NoParams:
    """A method without hyper-parameters."""


class TermBuild(Protocol[P_contra]):
    """Builds a term's objective (an ``nn.Module`` when it has trainable parts, e.g. a discriminator)."""

    def __call__(self, params: P_contra, ctx: TermContext, /) -> Objective: ...


class WeightsBuild(Protocol[P_contra]):
    """Computes the source sample weights (length ``n_s``, mean 1)."""

    def __call__(self, params: P_contra, ctx: WeightsContext, /) -> torch.Tensor: ...


class StageBuild(Protocol[P_contra]):
    """Builds the adapted model itself."""

    def __call__(self, params: P_contra, ctx: StageContext, /) -> StageOutcome: ...


class TransformBuild(Protocol[P_contra]):
    """Transforms the trained model after training (the model in ``ctx`` is a copy)."""

    def __call__(self, params: P_contra, ctx: TransformContext, /) -> TransformOutcome: ...


@dataclass(frozen=True)
class TermBuilder:
    build: TermBuild[Any]
    weight: float  # default loss weight
    needs: frozenset[Need] = frozenset()  # extra step inputs the loop must provide (Term.needs)


@dataclass(frozen=True)
class WeightsBuilder:
    build: WeightsBuild[Any]


@dataclass(frozen=True)
class StageBuilder:
    build: StageBuild[Any]


@dataclass(frozen=True)
class TransformBuilder:
    build: TransformBuild[Any]


Builder = TermBuilder | WeightsBuilder | StageBuilder | TransformBuilder
KINDS: dict[type[Builder], Kind] = {
    TermBuilder: "term",
    WeightsBuilder: "weights",
    StageBuilder: "stage",
    TransformBuilder: "transform",
}


@dataclass(frozen=True)
class Configured:
    """A method's hyper-parameters parsed from ``AdaptConfig.params[name]``: its params dataclass and,
    for a term, its loss weight (None for the other kinds)."""

    params: Any
    weight: float | None = None


@dataclass(frozen=True)
class MethodSpec:
    """One registered method; ``builder`` is None for a baseline (the kind follows from it)."""

    name: str
    family: Family
    description: str
    params: type
    builder: Builder | None
    needs_target_labels: bool = False

    @property
    def kind(self) -> Kind:
        return "baseline" if self.builder is None else KINDS[type(self.builder)]

    def defaults(self) -> dict[str, Param]:
        """Default hyper-parameters, a term's ``weight`` first."""
        weight = {WEIGHT: self.builder.weight} if isinstance(self.builder, TermBuilder) else {}
        return weight | dataclasses.asdict(self.params())

    def choices(self) -> dict[str, tuple[str, ...]]:
        """The allowed values of each ``Literal`` parameter."""
        hints = get_type_hints(self.params)
        return {key: get_args(hint) for key, hint in hints.items() if get_origin(hint) is Literal}

    def parse_params(self, raw: Mapping[str, Any] | None) -> Configured:
        """The params dataclass (defaults for missing keys) and a term's weight; unknown keys are refused."""
        raw = dict(raw or {})
        weight = None
        if isinstance(self.builder, TermBuilder):
            weight = _convert(self.name, WEIGHT, raw.pop(WEIGHT, self.builder.weight), float)
            if not weight >= 0:  # NaN too; +inf is kept (it trips the loop's non-finite-loss guard)
                raise TLError(f"{self.name}: weight must be >= 0, got {weight}")
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
        return kind(value)
    except (TypeError, ValueError):
        raise TLError(f"{method}: parameter {key} must be {kind.__name__}, got {value!r}") from None


_REGISTRY: dict[str, MethodSpec] = {}


def add_method(spec: MethodSpec) -> None:
    """Register a ready :class:`MethodSpec`; a second registration of a name fails."""
    if spec.name in _REGISTRY:
        raise ValueError(f"method {spec.name!r} is already registered")
    if not dataclasses.is_dataclass(spec.params):
        raise TypeError(f"{spec.name}: params must be a dataclass")
    if WEIGHT in {f.name for f in dataclasses.fields(spec.params)}:
        raise TypeError(f"{spec.name}: 'weight' is the registry's (register_term(weight=...))")
    _REGISTRY[spec.name] = spec


def register_term(
    name: str,
    *,
    family: Family,
    description: str,
    params: type[P],
    weight: float,
    needs: Sequence[Need] = (),
) -> Callable[[TermBuild[P]], TermBuild[P]]:
    """Decorator registering a loss term with its default loss ``weight`` and the extra step inputs
    it ``needs`` (:data:`tlcore.training.Need`: e.g. ``"strong_target_view"``); a term that needs
    ``"labelled_target"`` is trained on target labels (``needs_target_labels``)."""

    def decorate(build: TermBuild[P]) -> TermBuild[P]:
        builder = TermBuilder(build, weight, frozenset(needs))
        labelled = "labelled_target" in builder.needs
        add_method(MethodSpec(name, family, description, params, builder, labelled))
        return build

    return decorate


def register_weights(
    name: str, *, family: Family, description: str, params: type[P]
) -> Callable[[WeightsBuild[P]], WeightsBuild[P]]:
    """Decorator registering a source-weighting method."""

    def decorate(build: WeightsBuild[P]) -> WeightsBuild[P]:
        add_method(MethodSpec(name, family, description, params, WeightsBuilder(build)))
        return build

    return decorate


def register_stage(
    name: str, *, family: Family, description: str, params: type[P], needs_target_labels: bool = False
) -> Callable[[StageBuild[P]], StageBuild[P]]:
    """Decorator registering a stage method (it builds the adapted model itself)."""

    def decorate(build: StageBuild[P]) -> StageBuild[P]:
        add_method(MethodSpec(name, family, description, params, StageBuilder(build), needs_target_labels))
        return build

    return decorate


def register_transform(
    name: str, *, family: Family, description: str, params: type[P]
) -> Callable[[TransformBuild[P]], TransformBuild[P]]:
    """Decorator registering a post-training transform of the trained model."""

    def decorate(build: TransformBuild[P]) -> TransformBuild[P]:
        add_method(MethodSpec(name, family, description, params, TransformBuilder(build)))
        return build

    return decorate


def get_method(name: str) -> MethodSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise TLError(f"unknown method {name!r}; choose from: {', '.join(_REGISTRY)}") from None


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


def list_methods() -> list[MethodSpec]:
    """Every registered method, grouped by family (in :data:`FAMILY_ORDER`), then by registration."""
    return sorted(_REGISTRY.values(), key=lambda spec: FAMILY_ORDER.index(spec.family))


def parse_methods(text: str) -> tuple[str, ...]:
    """``"deep_coral+im"`` -> ``("deep_coral", "im")`` (names checked, combination too)."""
    names = tuple(part.strip() for part in text.split("+") if part.strip())
    check_combination(names)
    return names


def check_combination(names: Sequence[str]) -> list[MethodSpec]:
    """The specs of ``names`` if they compose (see the module docstring), else a :class:`TLError`."""
    if not names:
        raise TLError("choose at least one method")
    specs = [get_method(n) for n in names]
    if len(set(names)) != len(names):
        raise TLError(f"a method appears twice in {'+'.join(names)}")
    transforms = [i for i, s in enumerate(specs) if s.kind == "transform"]
    if transforms and transforms[0] < len(specs) - len(transforms):
        later = next(s.name for s in specs[transforms[0] :] if s.kind != "transform")
        raise TLError(
            f"{specs[transforms[0]].name} transforms the trained model: write it after {later} "
            "(transforms come last)"
        )
    trained = [s for s in specs if s.kind != "transform"]
    if len(trained) > 1:
        alone = [s.name for s in trained if s.kind in ("baseline", "stage")]
        if alone:
            raise TLError(
                f"{alone[0]} ({get_method(alone[0]).kind}) must run alone; it cannot be combined with "
                f"{'+'.join(s.name for s in trained if s.name != alone[0])}"
            )
        weights = [s.name for s in specs if s.kind == "weights"]
        if len(weights) > 1:
            raise TLError(f"choose one source-weighting method, not {' and '.join(weights)}")
    return specs
