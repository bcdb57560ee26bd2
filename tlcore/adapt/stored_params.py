"""A stored run's method parameters against today's, and the words every reader of an older run uses.

A run's config keeps the method parameters as the user gave them (``{}`` for a bare ``deep_coral``);
its index row also keeps every method's parameters as the run was built from them
(``resolved_params``, :func:`~tlcore.method_table.resolve_params`). When a method's default changes,
the same stored config builds another method today: :func:`drifts` names each such parameter with both
values, and :func:`older_version` names what a run stored by an older tlstudio lacks (config fields,
or the resolved parameters themselves where its methods have any). Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tlcore.adapt.config import AdaptConfig, format_value
from tlcore.errors import TLError
from tlcore.method_table import resolve_params

RESOLVED = "resolved_params"  # how a run stored before they were kept names them missing
_ABSENT = "unset"  # a parameter one side has not got (added or removed since)


@dataclass(frozen=True)
class Drift:
    """One method parameter a run was built with (``then``) that today's launch of its config builds
    otherwise (``now``), e.g. ``Drift("deep_coral.layer", "features", "logits")``."""

    setting: str
    then: Any
    now: Any


def today(config: Mapping[str, Any]) -> dict[str, dict[str, Any]] | None:
    """What today's defaults resolve a stored config's methods and parameters to; None where today's
    tlstudio cannot (a method or parameter it no longer knows)."""
    try:
        return resolve_params(tuple(config.get("methods") or ()), config.get("params") or {})
    except (TLError, TypeError, AttributeError):
        return None


def drifts(config: Mapping[str, Any], resolved: Mapping[str, Mapping[str, Any]] | None) -> list[Drift]:
    """The parameters the run of ``config`` was built with (``resolved``) that today's launch of it
    builds otherwise, in the run's order; [] when they agree, or either side is unknown."""
    now = today(config)
    if resolved is None or now is None:
        return []
    out = []
    for method in dict.fromkeys([*resolved, *now]):
        then_values, now_values = resolved.get(method) or {}, now.get(method) or {}
        for key in dict.fromkeys([*then_values, *now_values]):
            then, current = then_values.get(key, _ABSENT), now_values.get(key, _ABSENT)
            if then != current:
                out.append(Drift(f"{method}.{key}", then, current))
    return out


def resolved_text(resolved: Mapping[str, Mapping[str, Any]] | None) -> str | None:
    """The parameters a run was built with, as the CLI takes them: ``deep_coral.weight=1,
    deep_coral.layer=logits``; None when unknown or its methods have none."""
    said = [f"{m}.{k}={format_value(v)}" for m, values in (resolved or {}).items() for k, v in values.items()]
    return ", ".join(said) or None


def drift_key(found: list[Drift]) -> str:
    """The parameters as the run had them, ``deep_coral.layer=features|deep_coral.weight=1``; "" when none."""
    return "|".join(f"{d.setting}={format_value(d.then)}" for d in found)


def drift_text(found: list[Drift]) -> str | None:
    """``trained with deep_coral.layer=features, deep_coral.weight=1 (today's defaults: logits, 3)``;
    None when nothing drifted."""
    if not found:
        return None
    then = ", ".join(f"{d.setting}={format_value(d.then)}" for d in found)
    return f"trained with {then} (today's defaults: {', '.join(format_value(d.now) for d in found)})"


def unknown(config: Mapping[str, Any], resolved: Mapping[str, Any] | None) -> bool:
    """Whether the run's method parameters are unknown: stored before runs kept them, and its methods
    have some (a ``source_only`` run has none to know)."""
    now = today(config)
    return resolved is None and (now is None or any(now.values()))


def older_version(config: Mapping[str, Any], resolved: Mapping[str, Any] | None) -> str | None:
    """``stored by an older tlstudio (before image_size, resolved_params)`` for a run whose stored config
    lacks fields of today's (:meth:`~tlcore.adapt.config.AdaptConfig.missing_from`) or whose method
    parameters are :func:`unknown`, the words every reader of such a run starts from; None otherwise."""
    missing = AdaptConfig.missing_from(dict(config)) + ([RESOLVED] if unknown(config, resolved) else [])
    return f"stored by an older tlstudio (before {', '.join(missing)})" if missing else None


def params_note(config: Mapping[str, Any], resolved: Mapping[str, Any] | None) -> str | None:
    """What sets a run's method parameters apart from today's launch of its config, for a list of runs
    (``runs rank``): :func:`drift_text`, or for :func:`unknown` ones ``stored by an older tlstudio
    (before resolved_params): its method parameters are unknown``; None for today's."""
    if text := drift_text(drifts(config, resolved)):
        return text
    return (
        f"{older_version(config, resolved)}: its method parameters are unknown"
        if unknown(config, resolved)
        else None
    )
