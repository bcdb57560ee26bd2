"""A run config derived from a start config (a recipe's, or the defaults) and the settings changed on
it, and which settings differ from the start: the app's own-runs form started from the recommended
recipe launches what ``python -m tlcore adapt --recipe recommended --seed 1`` does.

Hyper-parameters are compared as they run: a method's value is the one its config gives, else the
method table's default, typed as the method parses it (:func:`~tlcore.method_table.resolve_params`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from tlcore.adapt.config import AdaptConfig, format_value
from tlcore.method_table import resolve_params

PAIR_FIELDS = ("source", "target")  # the pair: not a setting the form changes


@dataclass(frozen=True)
class Change:
    """One setting (a config field, or ``METHOD.KEY``) whose value differs from the start's."""

    setting: str
    value: Any
    start: Any

    @property
    def value_text(self) -> str:
        """``seed 1``; an unset value reads ``unset``."""
        return f"{self.setting} {_shown(self.value)}"

    def text(self, start_name: str) -> str:
        """``seed 1 (recipe: 0)``; an unset value reads ``unset``."""
        return f"{self.value_text} ({start_name}: {_shown(self.start)})"


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    return "+".join(value) if isinstance(value, tuple) else format_value(value)


def derive(
    start: AdaptConfig,
    methods: tuple[str, ...],
    params: Mapping[str, Mapping[str, Any]],
    **values: Any,
) -> AdaptConfig:
    """``start`` with ``methods``, the config fields in ``values`` and the hyper-parameters in
    ``params`` that differ from how ``start`` runs them: the start's own parameters stay given (those
    of its methods kept), one at its running value is not stored. So a form left as it started
    launches exactly ``start``. A value outside its parameter's range is refused here, in one line
    (:meth:`~tlcore.method_table.Method.parse_params`), before the config is compared or launched."""
    running = resolve_params(methods, start.params)
    merged: dict[str, dict[str, Any]] = {}
    for name in methods:
        given = dict(start.params.get(name, {}) if name in start.methods else {})
        given |= {k: v for k, v in params.get(name, {}).items() if k in given or v != running[name].get(k)}
        if given:
            merged[name] = given
    resolve_params(methods, merged)  # raises on a value out of range: `changes` resolves them too
    return replace(start, methods=tuple(methods), params=merged, **values)


def changes(config: AdaptConfig, start: AdaptConfig) -> list[Change]:
    """The settings of ``config`` that differ from ``start``'s, in the config's field order; the
    hyper-parameters of the methods both run, as they run."""
    found = [
        Change(f.name, getattr(config, f.name), getattr(start, f.name))
        for f in fields(AdaptConfig)
        if f.name not in (*PAIR_FIELDS, "params") and getattr(config, f.name) != getattr(start, f.name)
    ]
    shared = tuple(name for name in config.methods if name in start.methods)
    ours, theirs = resolve_params(shared, config.params), resolve_params(shared, start.params)
    for name in shared:
        for key, value in ours[name].items():
            if value != theirs[name].get(key):
                found.append(Change(f"{name}.{key}", value, theirs[name].get(key)))
    return found
