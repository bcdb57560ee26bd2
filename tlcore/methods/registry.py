"""The method registry: one :class:`MethodSpec` per adaptation method, registered by name.

Every method is one of four kinds, which decides how the pipeline uses it:

=========  ====================================================================================
kind       what the method contributes to the "adapt" stage
=========  ====================================================================================
baseline   nothing: the source-only baseline is the answer (``source_only``)
stage      the whole stage: it builds the adapted model itself, using the training loop or a
           closed form (``target_only``, ``finetune``, ``coral``); stands alone
weights    per-sample source weights for the weighted source loss (``domain_weights``, ``kmm``);
           at most one per run
term       a loss term ``weight * objective(StepInputs)`` added to the source loss
           (``deep_coral``, ``dan``, ``dann``, ``im``, ``pseudo_label``); any number, each once
=========  ====================================================================================

A run's methods compose as ``[weights] + term + term ...`` (CLI ``deep_coral+im``), or are a single
baseline or stage; :func:`check_combination` refuses anything else with a :class:`TLError`.
Hyper-parameters live in one dataclass per method; :meth:`MethodSpec.parse_params` fills it from
``AdaptConfig.params[name]`` (strings from the CLI are converted to the field's type).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_type_hints

from tlcore.errors import TLError

Family = Literal["baseline", "model-based", "instance-based", "feature-based", "self-training"]
Kind = Literal["baseline", "stage", "weights", "term"]
Param = float | int | str | bool


@dataclass(frozen=True)
class NoParams:
    """A method without hyper-parameters."""


@dataclass(frozen=True)
class MethodSpec:
    """One registered method. ``build``'s signature depends on ``kind`` (see the module docstring):

    * ``term``: ``build(params, TermContext) -> Objective``
    * ``weights``: ``build(params, WeightsContext) -> Tensor`` (length ``n_s``, mean 1)
    * ``stage``: ``build(params, StageContext) -> StageOutcome``
    * ``baseline``: ``build`` is ``None``.
    """

    name: str
    family: Family
    kind: Kind
    description: str
    params: type
    build: Callable[..., Any] | None
    needs_target_labels: bool = False

    def defaults(self) -> dict[str, Param]:
        return dataclasses.asdict(self.params())

    def parse_params(self, raw: Mapping[str, Any] | None) -> Any:
        """The params dataclass from ``raw`` (defaults for missing keys); unknown keys are refused."""
        raw = dict(raw or {})
        types = get_type_hints(self.params)
        unknown = sorted(set(raw) - set(types))
        if unknown:
            known = ", ".join(types) or "none"
            raise TLError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}; known: {known}")
        values = {key: _convert(self.name, key, value, types[key]) for key, value in raw.items()}
        params = self.params(**values)
        check = getattr(params, "check", None)
        if check is not None:
            check()
        return params

    def describe(self) -> dict[str, Any]:
        """What ``python -m tlcore methods --json`` prints for this method."""
        return {
            "name": self.name,
            "family": self.family,
            "kind": self.kind,
            "description": self.description,
            "needs_target_labels": self.needs_target_labels,
            "params": self.defaults(),
        }


def _convert(method: str, key: str, value: Any, kind: type) -> Param:
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


def register_method(
    name: str,
    *,
    family: Family,
    kind: Kind,
    description: str,
    params: type = NoParams,
    needs_target_labels: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``build`` as method ``name``; a second registration of a name fails."""

    def decorate(build: Callable[..., Any]) -> Callable[..., Any]:
        add_method(MethodSpec(name, family, kind, description, params, build, needs_target_labels))
        return build

    return decorate


def add_method(spec: MethodSpec) -> None:
    """Register a ready :class:`MethodSpec` (used directly for ``baseline`` methods without a build)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"method {spec.name!r} is already registered")
    if not dataclasses.is_dataclass(spec.params):
        raise TypeError(f"{spec.name}: params must be a dataclass")
    _REGISTRY[spec.name] = spec


def get_method(name: str) -> MethodSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise TLError(f"unknown method {name!r}; choose from: {', '.join(_REGISTRY)}") from None


FAMILY_ORDER: tuple[Family, ...] = (
    "baseline",
    "model-based",
    "instance-based",
    "feature-based",
    "self-training",
)


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
    if len(specs) > 1:
        alone = [s.name for s in specs if s.kind in ("baseline", "stage")]
        if alone:
            raise TLError(
                f"{alone[0]} ({get_method(alone[0]).kind}) must run alone; it cannot be combined with "
                f"{'+'.join(n for n in names if n != alone[0])}"
            )
        weights = [s.name for s in specs if s.kind == "weights"]
        if len(weights) > 1:
            raise TLError(f"choose one source-weighting method, not {' and '.join(weights)}")
    return specs
