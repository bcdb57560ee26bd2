"""The method registry: one :class:`MethodSpec` per adaptation method, registered by name: the
method's facts, declared in :mod:`tlcore.method_table` (no torch: ``python -m tlcore methods`` reads
them there), with the builder its module registers against that name (:func:`builds`).

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
:func:`check_combination` refuses anything else with a :class:`TLError`. A builder is typed by its
kind's protocol (:class:`TermBuild`, :class:`WeightsBuild`, :class:`StageBuild`,
:class:`TransformBuild`) and registered under the declared kind's builder, so a method built as
another kind than the table's fails at import. A new method registers its facts and builder at once
through its kind's decorator (:func:`register_term`, :func:`register_weights`, :func:`register_stage`,
:func:`register_transform`). A term that reads more than the step's outputs declares it in the table
(``needs=frozenset({"strong_target_view"})``); the loop then provides it for the whole run
(:data:`tlcore.training.Need`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import torch

from tlcore.errors import TLError
from tlcore.method_table import FAMILY_ORDER, Family, Kind, Method, Need, declare_method, declared_method
from tlcore.methods.context import (
    StageContext,
    StageOutcome,
    TermContext,
    TransformContext,
    TransformOutcome,
    WeightsContext,
)
from tlcore.training import Objective

P = TypeVar("P")
P_contra = TypeVar("P_contra", contravariant=True)


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
Build = TermBuild[Any] | WeightsBuild[Any] | StageBuild[Any] | TransformBuild[Any]
B = TypeVar("B", bound=Build)
KINDS: dict[type[Builder], Kind] = {
    TermBuilder: "term",
    WeightsBuilder: "weights",
    StageBuilder: "stage",
    TransformBuilder: "transform",
}
_BUILDERS: dict[Kind, type[Builder]] = {kind: builder for builder, kind in KINDS.items()}


@dataclass(frozen=True)
class MethodSpec(Method):
    """One registered method: its facts (:class:`tlcore.method_table.Method`) and its builder, None
    for a baseline."""

    builder: Builder | None = None


_REGISTRY: dict[str, MethodSpec] = {}


def add_method(name: str, builder: Builder | None = None) -> None:
    """Register the method ``name`` declared in :mod:`tlcore.method_table` with its builder (None for a
    baseline); a builder of another kind than the declared one, or a second registration, fails."""
    facts = declared_method(name)
    kind = "baseline" if builder is None else KINDS[type(builder)]
    if kind != facts.kind:
        raise TypeError(f"{name}: declared a {facts.kind} method, built as a {kind}")
    if name in _REGISTRY:
        raise ValueError(f"method {name!r} is already registered")
    fields = {field.name: getattr(facts, field.name) for field in dataclasses.fields(facts)}
    _REGISTRY[name] = MethodSpec(**fields, builder=builder)


def builds(name: str) -> Callable[[B], B]:
    """Decorator registering the builder of the method ``name`` declared in :mod:`tlcore.method_table`,
    as its declared kind's builder (:data:`KINDS`)."""

    def decorate(build: B) -> B:
        kind = declared_method(name).kind
        if kind == "baseline":
            raise TypeError(f"{name}: a baseline has no builder")
        add_method(name, _BUILDERS[kind](build))  # type: ignore[arg-type]
        return build

    return decorate


def register_term(
    name: str,
    *,
    family: Family,
    description: str,
    params: type[P],
    weight: float,
    needs: Sequence[Need] = (),
) -> Callable[[TermBuild[P]], TermBuild[P]]:
    """Decorator registering a new loss term, facts and builder, with its default loss ``weight`` and
    the extra step inputs it ``needs`` (:data:`tlcore.training.Need`: e.g. ``"strong_target_view"``)."""

    def decorate(build: TermBuild[P]) -> TermBuild[P]:
        declare_method(Method(name, family, "term", description, params, weight, frozenset(needs)))
        add_method(name, TermBuilder(build))
        return build

    return decorate


def register_weights(
    name: str, *, family: Family, description: str, params: type[P]
) -> Callable[[WeightsBuild[P]], WeightsBuild[P]]:
    """Decorator registering a new source-weighting method, facts and builder."""

    def decorate(build: WeightsBuild[P]) -> WeightsBuild[P]:
        declare_method(Method(name, family, "weights", description, params))
        add_method(name, WeightsBuilder(build))
        return build

    return decorate


def register_stage(
    name: str, *, family: Family, description: str, params: type[P], needs_target_labels: bool = False
) -> Callable[[StageBuild[P]], StageBuild[P]]:
    """Decorator registering a new stage method (it builds the adapted model itself), facts and builder."""

    def decorate(build: StageBuild[P]) -> StageBuild[P]:
        declare_method(
            Method(name, family, "stage", description, params, None, frozenset(), needs_target_labels)
        )
        add_method(name, StageBuilder(build))
        return build

    return decorate


def register_transform(
    name: str, *, family: Family, description: str, params: type[P]
) -> Callable[[TransformBuild[P]], TransformBuild[P]]:
    """Decorator registering a new post-training transform of the trained model, facts and builder."""

    def decorate(build: TransformBuild[P]) -> TransformBuild[P]:
        declare_method(Method(name, family, "transform", description, params))
        add_method(name, TransformBuilder(build))
        return build

    return decorate


def get_method(name: str) -> MethodSpec:
    """The registered method ``name`` (its facts: :func:`tlcore.method_table.declared_method`)."""
    declared_method(name)  # a declared name, or the TLError that lists them
    return _REGISTRY[name]


def list_methods() -> list[MethodSpec]:
    """Every registered method, grouped by family (in :data:`FAMILY_ORDER`), then by registration."""
    return sorted(_REGISTRY.values(), key=lambda spec: FAMILY_ORDER.index(spec.family))


def parse_methods(text: str) -> tuple[str, ...]:
    """``"deep_coral+im"`` -> ``("deep_coral", "im")`` (names checked, combination too)."""
    names = tuple(part.strip() for part in text.split("+") if part.strip())
    check_combination(names)
    return names


def run_order(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` in the order a composition runs them: the trained methods as given, then the transforms
    as given (``adabn+finetune`` -> ``finetune+adabn``); the names are checked, the combination is not."""
    kinds = {name: get_method(name).kind for name in names}
    return tuple(n for n in names if kinds[n] != "transform") + tuple(
        n for n in names if kinds[n] == "transform"
    )


def check_combination(names: Sequence[str]) -> list[MethodSpec]:
    """The specs of ``names`` if they compose (see the module docstring), else a one-line :class:`TLError`.
    The rules are checked in the order that fixes a composition in one step: a baseline or stage alone,
    then one weighting method, then transforms last; each refusal suggests a composition that passes."""
    if not names:
        raise TLError("choose at least one method")
    specs = [get_method(n) for n in names]
    if len(set(names)) != len(names):
        raise TLError(f"a method appears twice in {'+'.join(names)}")
    trained = [s.name for s in specs if s.kind != "transform"]
    after = "".join(f"+{s.name}" for s in specs if s.kind == "transform")
    alone = [s for s in specs if s.kind in ("baseline", "stage")]
    if len(trained) > 1 and alone:
        others = "+".join(name for name in trained if name != alone[0].name)
        raise TLError(
            f"{alone[0].name} ({alone[0].kind}) must run alone, only transforms after it; it cannot be "
            f"combined with {others} (e.g. {alone[0].name}{after})"
        )
    weights = [s.name for s in specs if s.kind == "weights"]
    if len(weights) > 1:
        kept = "+".join(name for name in trained if name not in weights[1:])
        raise TLError(f"choose one source-weighting method, not {' and '.join(weights)} (e.g. {kept}{after})")
    if tuple(names) != run_order(names):
        first = next(s.name for s in specs if s.kind == "transform")
        raise TLError(
            f"{first} transforms the trained model: transforms come last (write {'+'.join(run_order(names))})"
        )
    return specs
