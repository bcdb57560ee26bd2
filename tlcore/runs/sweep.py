"""A sweep as data: :class:`SweepSpec` (pair, compositions, space, search, budget, seeds) and its
deterministic expansion into :class:`Trial` s, each of which becomes an ordinary run.

Like Ray Tune's ``Tuner(trainable, param_space=..., tune_config=...)``, three things stay apart: the
space (:mod:`.space`), the search that picks its points (:mod:`.search`) and the executor that runs
the trials (:mod:`.executors`). :func:`expand` is pure: the same spec (and, for an Optuna search,
the same scores of finished configurations) gives the same trials with the same keys, which is what
lets a sweep resume without redoing a finished trial.

A trial's key is its configuration key plus its seed, ``"dann+im|dann.weight=0.3|seed=1"``; the
configuration key (``"dann+im|dann.weight=0.3"``) groups a configuration's seeds.

:func:`checked` refuses a spec any of whose trials the config would refuse (each list value and both
ends of each range are checked), so a new sweep never proposes such a trial; one stored before a
check existed expands anyway, its refused trials failed (never run), so it stays readable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from tlcore.adapt.config import AdaptConfig, format_value
from tlcore.errors import TLError
from tlcore.limits import Limits, env_var
from tlcore.runs.search import Search, extremes, planned, point_key, propose
from tlcore.runs.space import Point, Space, apply_point, check_space, normalise, parse_grid, parse_range

FIXED = ("source", "target", "methods", "params", "seed")
"""AdaptConfig fields a sweep sets per trial; every other field is the shared budget."""
DEFAULT_SEEDS: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: a composition, a point of the space and a seed; ``config`` is None when the
    config refuses the trial's values (``refused`` says why): the trial is failed and never runs."""

    methods: tuple[str, ...]
    point: Point
    seed: int
    config: AdaptConfig | None
    refused: str = ""

    @property
    def label(self) -> str:
        return "+".join(self.methods)

    @property
    def config_key(self) -> str:
        """The configuration (the trial minus its seed): composition and point."""
        return "|".join(filter(None, (self.label, point_key(self.point))))

    @property
    def key(self) -> str:
        return f"{self.config_key}|seed={self.seed}"


@dataclass(frozen=True)
class SweepSpec:
    """Everything that determines a sweep's trials.

    ``budget``: the AdaptConfig fields every trial shares (``epochs``, ``lr``, ``batch_size``, ...;
    unset ones keep AdaptConfig's defaults), ``seeds``: the training seeds, each configuration runs
    once per seed.
    """

    source: str
    target: str
    compositions: tuple[tuple[str, ...], ...]
    space: Space = field(default_factory=Space)
    search: Search = field(default_factory=Search)
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    budget: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.compositions:
            raise TLError("a sweep needs at least one method or composition")
        labels = ["+".join(methods) for methods in self.compositions]
        if len(set(labels)) != len(labels):
            raise TLError(f"a composition appears twice in {', '.join(labels)}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise TLError("a sweep needs at least one seed, each once")
        budget_fields = {f.name for f in fields(AdaptConfig)} - set(FIXED)
        unknown = sorted(set(self.budget) - budget_fields)
        if unknown:
            raise TLError(f"unknown budget field(s) {', '.join(unknown)}; known: {', '.join(budget_fields)}")
        varied = sorted(set(self.budget) & set(self.space.dims))
        if varied:
            raise TLError(f"{', '.join(varied)} is both fixed in the budget and varied in the space")

    def trial_config(self, methods: tuple[str, ...], point: Point, seed: int) -> AdaptConfig:
        params, budget = apply_point(point, {})
        values = {**self.budget, **budget}
        return AdaptConfig(self.source, self.target, methods, params, seed=seed, **values)

    def trial(self, methods: tuple[str, ...], point: Point, seed: int) -> Trial:
        """The trial, its config None (and the reason in ``refused``) when the config refuses it."""
        try:
            return Trial(methods, point, seed, self.trial_config(methods, point, seed))
        except TLError as exc:
            return Trial(methods, point, seed, None, str(exc))

    def planned_trials(self) -> int:
        """The number of trials the sweep runs at most (exactly, for a grid)."""
        per_seed = sum(planned(self.space.for_methods(m), self.search) for m in self.compositions)
        return per_seed * len(self.seeds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "compositions": [list(methods) for methods in self.compositions],
            "space": self.space.to_dict(),
            "search": self.search.to_dict(),
            "seeds": list(self.seeds),
            "budget": dict(self.budget),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepSpec:
        return cls(
            source=data["source"],
            target=data["target"],
            compositions=tuple(tuple(methods) for methods in data["compositions"]),
            space=Space.from_dict(data.get("space", {})),
            search=Search.from_dict(data.get("search", {})),
            seeds=tuple(data.get("seeds", DEFAULT_SEEDS)),
            budget=dict(data.get("budget", {})),
        )


def spec_from_text(
    source: str,
    target: str,
    methods: str,
    *,
    grid: Iterable[str] = (),
    ranges: Iterable[str] = (),
    search: Search | None = None,
    seeds: str = ",".join(map(str, DEFAULT_SEEDS)),
    budget: Mapping[str, Any] | None = None,
) -> SweepSpec:
    """The spec written as text, the way ``python -m tlcore sweep`` and the app's Sweep page take it:
    ``methods`` ``"deep_coral+im,dann+im"`` (names checked against the registry), ``grid``
    ``["dann.weight=0.1,0.3,1"]``, ``ranges`` ``["dann.weight=0.01:1:log"]``, ``seeds`` ``"0,1,2"`` or
    ``"0-4"``. The values are checked by :func:`checked`."""
    compositions = parse_compositions(methods)
    lists, bounds = parse_grid(grid), parse_range(ranges)
    both = sorted(set(lists) & set(bounds))
    if both:
        raise TLError(f"{', '.join(both)} is given both as a list of values and as a range")
    space, seed_list = Space({**lists, **bounds}), parse_seeds(seeds)
    return SweepSpec(source, target, compositions, space, search or Search(), seed_list, dict(budget or {}))


def parse_compositions(text: str) -> tuple[tuple[str, ...], ...]:
    """``"deep_coral+im,dann+im"`` → ``(("deep_coral", "im"), ("dann", "im"))``, names and combinations
    checked against the registry."""
    from tlcore.methods import parse_methods  # noqa: PLC0415 - the registry loads torch

    return tuple(parse_methods(part) for part in text.split(",") if part.strip())


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0,1,2"`` → ``(0, 1, 2)``; ``"0-4"`` → ``(0, 1, 2, 3, 4)``; more seeds than a sweep may
    plan trials are refused."""
    seeds: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            low, dash, high = part.partition("-")
            block = range(int(low), int(high) + 1) if dash and low else [int(part)]
            check_size(len(seeds) + len(block), "seeds")  # before a huge range is listed
            seeds += block
    except ValueError:
        raise TLError(f"seeds must be integers such as 0,1,2 or 0-4, got {text!r}") from None
    return tuple(seeds)


def check_size(count: int, what: str = "trials") -> None:
    """Refuse a sweep of more than ``max_trials`` trials (:mod:`tlcore.limits`): ``count`` of its
    trials, or of its seeds (each one trial at least)."""
    limit = Limits.from_env("max_trials").max_trials
    if count > limit:
        raise TLError(
            f"the sweep plans {count} {what}, more than the limit of {limit} trials ({env_var('max_trials')})"
        )


def check_labelled(spec: SweepSpec, labelled: Callable[[str], bool]) -> None:
    """What every composition's runs need of the data's labels (:func:`~tlcore.adapt.checks.check_data`,
    ``labelled(spec)`` asked once per data spec), before the sweep exists."""
    from tlcore.adapt.checks import check_data  # noqa: PLC0415 - the registry loads torch

    check_data([AdaptConfig(spec.source, spec.target, methods) for methods in spec.compositions], labelled)


def check_networks(spec: SweepSpec, input_shape: tuple[int, ...]) -> None:
    """Every network the sweep's trials build (the budget's ``model``, or each value of a ``model``
    grid) takes the pair's samples of ``input_shape`` (:func:`~tlcore.models.check_input`), before the
    sweep exists: the CLI's ``sweep`` and the Sweep page's launch ask it with the loaded pair."""
    from tlcore.models import check_input  # noqa: PLC0415 - the registry loads torch

    dim = spec.space.dims.get("model")
    default = spec.budget.get("model", AdaptConfig.defaults()["model"])
    for name in extremes(dim) if dim is not None else (default,):
        check_input(str(name), input_shape)


def checked(spec: SweepSpec) -> SweepSpec:
    """``spec`` with each composition checked as a run's config is (its specs, the registry, the labels
    it needs: :func:`~tlcore.adapt.checks.check_config`) and its space's values normalised; its size,
    its seeds, and each composition's config with the budget and with every value its search may
    propose (the :func:`~tlcore.runs.search.extremes` of each dimension: a network's name, target
    labels for a method trained on none) and its first trials' configs are checked, so a bad value
    fails here, before anything runs. What the data must fit: :func:`check_networks`."""
    from tlcore.adapt.checks import check_config  # noqa: PLC0415 - the registry loads torch

    for methods in spec.compositions:  # specs, composition, labels the data is read with
        check_config(AdaptConfig(spec.source, spec.target, methods))
    space = check_space(spec.space, spec.compositions)
    spec = SweepSpec(spec.source, spec.target, spec.compositions, space, spec.search, spec.seeds, spec.budget)
    check_size(spec.planned_trials())
    for seed in spec.seeds:  # the budget's and the seeds' checks
        AdaptConfig(spec.source, spec.target, spec.compositions[0], seed=seed, **spec.budget)
    for methods in spec.compositions:  # the budget, then every value a search may propose (its bounds)
        check_config(spec.trial_config(methods, {}, spec.seeds[0]))
        for key, dim in spec.space.for_methods(methods).items():
            for value in extremes(dim):
                try:
                    normalise(key, value)
                    check_config(spec.trial_config(methods, {key: value}, spec.seeds[0]))
                except TLError as exc:
                    raise TLError(f"{key}={format_value(value)}: {exc}") from None
    refused = next((trial for trial in expand(spec) if trial.config is None), None)  # any other refusal
    if refused is not None:
        raise TLError(f"{refused.key}: {refused.refused}")
    return spec


def expand(spec: SweepSpec, scores: Mapping[str, float] | None = None) -> list[Trial]:
    """The sweep's trials, in a stable order: by composition, point, then seed.

    ``scores`` (configuration key → its score, NaN when it failed) only matters to an Optuna search,
    whose later rounds depend on it. A trial the config refuses is failed (:meth:`SweepSpec.trial`).
    """
    scores = scores or {}
    trials: list[Trial] = []
    for methods in spec.compositions:
        label = "+".join(methods)
        prefix = f"{label}|"
        own = {key.removeprefix(prefix): v for key, v in scores.items() if key.startswith(prefix)}
        if label in scores:  # the configuration key of a composition without keys in the space
            own[""] = scores[label]
        refused = functools.partial(_refused, spec, methods)
        for point in propose(spec.space.for_methods(methods), spec.search, label, own, refused):
            trials += [spec.trial(methods, point, seed) for seed in spec.seeds]
    return trials


def _refused(spec: SweepSpec, methods: tuple[str, ...], point: Point) -> bool:
    """Whether the config refuses ``point`` with any of the sweep's seeds."""
    return any(spec.trial(methods, point, seed).config is None for seed in spec.seeds)
