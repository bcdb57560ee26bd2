"""A sweep's search space: the values each hyper-parameter may take.

A key is ``method.param``, a parameter of a method (:mod:`tlcore.method_table`, no torch; a
term's loss weight is ``method.weight``, e.g. ``dann.weight``), or a training-budget field of
:class:`~tlcore.adapt.config.AdaptConfig` (:data:`BUDGET_KEYS`: ``lr``, ``epochs``, ``batch_size`` ...).
A dimension is a :class:`Choice` (the grid's list of values) or a :class:`Range` (``low..high``,
uniform or log-uniform, optionally integers; for random and Optuna search). A ``method.param`` key
applies only to the compositions containing that method (:meth:`Space.for_methods`).

Values are normalised when the space is checked (:func:`check_space`): through the registry's own
parsing (``dann.weight=1`` becomes ``1.0``, a choice outside a ``Literal`` is refused) and the
budget field's type.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tlcore.errors import TLError
from tlcore.method_table import WEIGHT, Param, declared_method

Point = dict[str, Param]
"""One configuration of the space: key → value, for the keys that apply to a composition."""

BUDGET_KEYS: dict[str, type] = {
    "epochs": int,
    "adapt_epochs": int,
    "warm_start": bool,
    "batch_size": int,
    "lr": float,
    "augment": bool,
    "target_labels": int,
    "model": str,
    "image_size": int,
    "patience": int,
    "steps_per_epoch": int,
    "ema_decay": float,
    "settle_tol": float,
}
"""The AdaptConfig fields a sweep may vary, with their types."""


@dataclass(frozen=True)
class Choice:
    """A list of values (the grid along this key)."""

    values: tuple[Param, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise TLError("a list of values needs at least one value")
        if len(set(map(repr, self.values))) != len(self.values):
            raise TLError(f"a value appears twice in {', '.join(map(str, self.values))}")

    def to_dict(self) -> dict[str, Any]:
        return {"choice": list(self.values)}


@dataclass(frozen=True)
class Range:
    """``low..high``: uniform, or log-uniform with ``log``; whole numbers with ``integer``."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise TLError(f"a range needs finite low < high, got {self.low:g}..{self.high:g}")
        if self.log and self.low <= 0:
            raise TLError(f"a log range needs low > 0, got {self.low:g}")
        if self.integer and math.ceil(self.low) > math.floor(self.high):
            raise TLError(f"an integer range needs a whole number in it, got {self.low:g}..{self.high:g}")

    def to_dict(self) -> dict[str, Any]:
        return {"range": [self.low, self.high], "log": self.log, "integer": self.integer}


Dimension = Choice | Range


def dimension_from_dict(data: dict[str, Any]) -> Dimension:
    if "choice" in data:
        return Choice(tuple(data["choice"]))
    low, high = data["range"]
    return Range(low, high, bool(data.get("log", False)), bool(data.get("integer", False)))


@dataclass(frozen=True)
class Space:
    """Key → dimension, in the order given (the grid's nesting order)."""

    dims: dict[str, Dimension] = field(default_factory=dict)

    def for_methods(self, methods: Sequence[str]) -> dict[str, Dimension]:
        """The dimensions that apply to a composition: budget keys and its own methods' keys."""
        return {key: dim for key, dim in self.dims.items() if method_of(key) in (None, *methods)}

    def to_dict(self) -> dict[str, Any]:
        return {key: dim.to_dict() for key, dim in self.dims.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Space:
        return cls({key: dimension_from_dict(value) for key, value in data.items()})


def method_of(key: str) -> str | None:
    """``"dann.weight"`` → ``"dann"``; a budget key (``"lr"``) → None."""
    method, dot, _ = key.partition(".")
    return method if dot else None


def apply_point(point: Point, params: dict[str, dict[str, Param]]) -> tuple[dict, dict[str, Param]]:
    """Split ``point`` into method parameters (merged over ``params``) and budget fields."""
    merged = {name: dict(values) for name, values in params.items()}
    budget: dict[str, Param] = {}
    for key, value in point.items():
        method = method_of(key)
        if method is None:
            budget[key] = value
        else:
            merged.setdefault(method, {})[key.partition(".")[2]] = value
    return merged, budget


def parse_grid(items: Iterable[str]) -> dict[str, Choice]:
    """``["dann.weight=0.1,0.3,1"]`` → ``{"dann.weight": Choice((0.1, 0.3, 1))}`` (CLI ``--grid``)."""
    dims: dict[str, Choice] = {}
    for item in items:
        key, values = _key_and_rest(item, "--grid", "KEY=V1,V2,...")
        dims[key] = Choice(tuple(scalar(v.strip()) for v in values.split(",") if v.strip()))
    return dims


def parse_range(items: Iterable[str]) -> dict[str, Range]:
    """``["dann.weight=0.01:1:log"]`` → a log-uniform :class:`Range` (CLI ``--range``;
    flags after the bounds: ``log``, ``int``)."""
    dims: dict[str, Range] = {}
    for item in items:
        key, rest = _key_and_rest(item, "--range", "KEY=LOW:HIGH[:log][:int]")
        low, _, tail = rest.partition(":")
        high, _, flags = tail.partition(":")
        options = {flag.strip() for flag in flags.split(":") if flag.strip()}
        if options - {"log", "int"}:
            raise TLError(f"--range {item!r}: unknown flag(s) {', '.join(sorted(options - {'log', 'int'}))}")
        try:
            dims[key] = Range(float(low), float(high), "log" in options, "int" in options)
        except ValueError:
            raise TLError(f"--range expects KEY=LOW:HIGH[:log][:int], got {item!r}") from None
    return dims


def _key_and_rest(item: str, flag: str, form: str) -> tuple[str, str]:
    key, equals, rest = item.partition("=")
    if not (equals and key.strip() and rest.strip()):
        raise TLError(f"{flag} expects {form}, got {item!r}")
    return key.strip(), rest.strip()


def scalar(text: str) -> Param:
    """A value typed from the command line: booleans, integers, floats, else the string."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def check_space(space: Space, compositions: Sequence[Sequence[str]]) -> Space:
    """The space with every value normalised; a :class:`TLError` for a key no composition uses, an
    unknown parameter, or a value the registry or the budget field refuses."""
    used = {name for methods in compositions for name in methods}
    dims: dict[str, Dimension] = {}
    for key, dim in space.dims.items():
        method = method_of(key)
        if method is not None and method not in used:
            raise TLError(f"{key}: {method} is in none of the compositions")
        if method is None and key not in BUDGET_KEYS:
            raise TLError(f"{key}: not a budget field ({', '.join(BUDGET_KEYS)}) nor METHOD.PARAM")
        if isinstance(dim, Choice):
            dims[key] = Choice(tuple(normalise(key, value) for value in dim.values))
        else:
            kind = type(normalise(key, dim.low))
            if kind not in (int, float):
                raise TLError(f"{key}: a range needs a numeric parameter")
            normalise(key, dim.high)
            dims[key] = Range(dim.low, dim.high, dim.log, dim.integer or kind is int)
    return Space(dims)


def normalise(key: str, value: Param) -> Param:
    """``value`` as the registry (``method.param``) or the budget field (``lr``) types it."""
    method = method_of(key)
    if method is None:
        kind = BUDGET_KEYS[key]
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        ok = numeric and (kind is float or float(value).is_integer()) if kind in (int, float) else None
        if not (isinstance(value, kind) if ok is None else ok):
            raise TLError(f"{key} must be {kind.__name__}, got {value!r}")
        return kind(value)
    name = key.partition(".")[2]
    configured = declared_method(method).parse_params({name: value})
    return configured.weight if name == WEIGHT else getattr(configured.params, name)
