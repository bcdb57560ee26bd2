"""A sweep's search: which points of its space become trials (Ray Tune's ``search_alg``; the space is
:mod:`.space`, the executor :mod:`.executors`).

- ``grid`` (default): every combination of the lists of values, in the order given.
- ``random``: ``n`` distinct points drawn with a NumPy generator seeded from the search's seed and
  the composition (fewer when the space holds fewer); reals are kept to 4 significant digits.
- ``optuna``: ``n`` distinct points proposed by Optuna's TPE sampler (Bergstra et al. 2011), seeded
  likewise, in rounds of ``batch``: a round is proposed once every point of the previous one has its
  score (:func:`tlcore.runs.recommend.selection_score`, no target labels), so the sampler learns from
  the finished trials. The study is rebuilt from the scores each time, so the same scores give the
  same points: expansion stays a pure function and a resumed sweep proposes what it proposed before.
  A point whose config is refused counts as failed at once (it never runs).

A composition none of whose keys are in the space has one point, ``{}``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from tlcore.adapt.config import BOUNDS as CONFIG_BOUNDS
from tlcore.adapt.config import format_value
from tlcore.bounds import Bound
from tlcore.errors import TLError
from tlcore.runs.space import Choice, Dimension, Param, Point, Range

SearchKind = Literal["grid", "random", "optuna"]
SEARCH_KINDS: tuple[SearchKind, ...] = ("grid", "random", "optuna")
DIGITS = 4  # significant digits of a real drawn from a range
DRAW_ATTEMPTS = 20  # draws per wanted point before a random or Optuna search counts the space exhausted
# n, batch: the least a search takes and the most the app's form offers (:class:`~tlcore.bounds.Bound`);
# seed: any whole number draws (it is hashed), the form offers a training seed's range
BOUNDS = {"n": Bound(1, 10_000), "batch": Bound(1, 1000), "seed": CONFIG_BOUNDS["seed"]}
OPTUNA_INSTALL = "pip install -r requirements-ray.txt  (or: pip install 'tlstudio[ray]')"


@dataclass(frozen=True)
class Search:
    """How points are chosen: ``kind``, ``n`` points per composition (random, optuna), the ``seed`` of
    the draws (not the training seeds) and Optuna's round size ``batch``."""

    kind: SearchKind = "grid"
    n: int | None = None
    seed: int = 0
    batch: int = 4

    def __post_init__(self) -> None:
        if self.kind not in SEARCH_KINDS:
            raise TLError(f"unknown search {self.kind!r}; choose from {', '.join(SEARCH_KINDS)}")
        if self.kind == "grid" and self.n is not None:
            raise TLError("a grid search takes every combination; n is for random and optuna")
        wrong = []  # each value given wrong, named as its option is (--n, --batch): one line for all
        least_n, least_batch = BOUNDS["n"].least, BOUNDS["batch"].least
        if self.kind != "grid" and (self.n is None or self.n < least_n):
            article = "an" if self.kind[0] in "aeiou" else "a"
            got = "" if self.n is None else f", got {self.n}"
            wrong.append(f"{article} {self.kind} search needs the number of points n >= {least_n}{got}")
        if self.batch < least_batch:
            wrong.append(f"batch, the points of an Optuna round, must be >= {least_batch}, got {self.batch}")
        if wrong:
            raise TLError("; ".join(wrong))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Search:
        return cls(**data)


def point_key(point: Point) -> str:
    """``"dann.weight=0.3|lr=0.001"``: a point as text, keys sorted (``""`` for the empty point)."""
    return "|".join(f"{key}={format_value(point[key])}" for key in sorted(point))


def propose(
    dims: Mapping[str, Dimension],
    search: Search,
    label: str,
    scores: Mapping[str, float] | None = None,
    refused: Callable[[Point], bool] = lambda _: False,
) -> list[Point]:
    """The points of ``dims`` the search picks for the composition ``label``.

    ``scores`` (point key → score; NaN for a failed point) feeds the Optuna search: it proposes its
    rounds up to the first one that is not fully scored, a point ``refused`` (its config refuses it,
    so it never runs) counting as failed. Grid and random ignore both.
    """
    if not dims:
        return [{}]
    if search.kind == "grid":
        return _grid(dims)
    if search.kind == "random":
        return _random(dims, search, label)
    return _optuna(dims, search, label, scores or {}, refused)


def planned(dims: Mapping[str, Dimension], search: Search) -> int:
    """How many points :func:`propose` gives at most (the sweep's progress total)."""
    if not dims:
        return 1
    if search.kind == "grid":
        return math.prod(len(_choices(key, dim)) for key, dim in dims.items())
    assert search.n is not None
    finite = all(isinstance(dim, Choice) for dim in dims.values())
    cap = math.prod(len(dim.values) for dim in dims.values() if isinstance(dim, Choice)) if finite else None
    return min(search.n, cap) if cap is not None else search.n


def extremes(dim: Dimension) -> tuple[Param, ...]:
    """The values of ``dim`` that stand for all it may give: every value of a list, a range's ends as
    a search draws them (whole numbers, or reals to :data:`DIGITS` digits). Every check of a value is
    a bound, so the values between two ends that pass pass too."""
    if isinstance(dim, Choice):
        return dim.values
    if dim.integer:
        return math.ceil(dim.low), math.floor(dim.high)
    return rounded(dim.low), rounded(dim.high)


def _choices(key: str, dim: Dimension) -> tuple[Param, ...]:
    if isinstance(dim, Range):
        raise TLError(f"{key}: a grid needs a list of values; ranges are for random or optuna search")
    return dim.values


def _grid(dims: Mapping[str, Dimension]) -> list[Point]:
    keys = list(dims)
    grids = [_choices(key, dims[key]) for key in keys]
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grids)]


def _seed(search: Search, label: str) -> int:
    from tlcore.data.rng import derive_seed  # noqa: PLC0415 - torch, only when drawing

    return derive_seed(search.seed, "sweep-search", search.kind, label)


def _draw(dim: Dimension, rng: np.random.Generator) -> Param:
    if isinstance(dim, Choice):
        return dim.values[int(rng.integers(len(dim.values)))]
    if dim.integer:
        low, high = math.ceil(dim.low), math.floor(dim.high)
        if dim.log:
            return round(math.exp(rng.uniform(math.log(low), math.log(high + 1))) - 0.5)
        return int(rng.integers(low, high + 1))
    if dim.log:
        return rounded(math.exp(rng.uniform(math.log(dim.low), math.log(dim.high))))
    return rounded(rng.uniform(dim.low, dim.high))


def rounded(value: float) -> float:
    """A drawn real to :data:`DIGITS` significant digits: what the trial key shows is what it runs."""
    return float(f"{value:.{DIGITS}g}")


def _random(dims: Mapping[str, Dimension], search: Search, label: str) -> list[Point]:
    assert search.n is not None
    rng = np.random.default_rng(_seed(search, label))
    points: dict[str, Point] = {}
    for _ in range(search.n * DRAW_ATTEMPTS):
        if len(points) == search.n:
            break
        point = {key: _draw(dim, rng) for key, dim in dims.items()}
        points.setdefault(point_key(point), point)
    return list(points.values())


def _optuna(
    dims: Mapping[str, Dimension],
    search: Search,
    label: str,
    scores: Mapping[str, float],
    refused: Callable[[Point], bool],
) -> list[Point]:
    assert search.n is not None
    scores = dict(scores)  # plus NaN for each refused point, failed without a run
    optuna = import_optuna()
    sampler = optuna.samplers.TPESampler(seed=_seed(search, label) % 2**32, n_startup_trials=search.batch)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    points: dict[str, Point] = {}
    draws = search.n * DRAW_ATTEMPTS
    while len(points) < search.n and draws > 0:
        asked: dict[str, Any] = {}  # this round: point key -> its Optuna trial
        wanted = min(search.batch, search.n - len(points))
        while len(asked) < wanted and draws > 0:
            draws -= 1
            trial = study.ask()
            point = {key: _suggest(trial, key, dim) for key, dim in dims.items()}
            key = point_key(point)
            if key in asked:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            elif key in points:  # proposed in an earlier round: tell it what that point scored
                _tell(optuna, study, trial, scores[key])
            else:
                asked[key], points[key] = trial, point
                if refused(point):
                    scores.setdefault(key, math.nan)
        if any(key not in scores for key in asked):
            break
        for key, trial in asked.items():
            _tell(optuna, study, trial, scores[key])
    return list(points.values())


def _tell(optuna: Any, study: Any, trial: Any, score: float) -> None:
    """A finished point's score; NaN (it failed) as a failed Optuna trial."""
    if math.isnan(score):
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    else:
        study.tell(trial, score)


def _suggest(trial: Any, key: str, dim: Dimension) -> Param:
    if isinstance(dim, Choice):
        return trial.suggest_categorical(key, list(dim.values))
    if dim.integer:
        return trial.suggest_int(key, math.ceil(dim.low), math.floor(dim.high), log=dim.log)
    return rounded(trial.suggest_float(key, dim.low, dim.high, log=dim.log))


def import_optuna() -> Any:
    """The ``optuna`` module, or a :class:`TLError` saying how to install it."""
    try:
        import optuna  # noqa: PLC0415 - optional
    except ImportError:
        raise TLError(f"the optuna search needs Optuna: {OPTUNA_INSTALL}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna
