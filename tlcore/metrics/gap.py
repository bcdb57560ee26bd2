"""THE gap between two feature sets: every metric of :mod:`tlcore.metrics` under one settings object.

:func:`measure_gap` is the one place a gap is measured. The Diagnose page and ``python -m tlcore
diagnose`` (through :func:`tlcore.diagnosis.diagnose`) and every run's gap before / after
(:func:`tlcore.adapt.evaluate.describe_model`) call it, so the same features and the same
:class:`GapSettings` give the same :class:`Gap`, bit for bit on the CPU. With ``X`` the source and
``Y`` the target features:

* ``bandwidth``: median heuristic on the pooled ``X, Y`` (:func:`median_bandwidth`, seeded);
* ``mmd2``: unbiased MMD² (Gretton et al. 2012, eq. 3) on *all* samples, block-wise
  (:func:`mmd2_unbiased`), Gaussian kernel with that bandwidth;
* ``p_value``: the permutation test of ``P_X = P_Y`` (:func:`mmd_permutation_test`) with the same
  bandwidth, ``n_permutations`` permutations, on a seeded subsample of at most ``max_test_samples``
  per side (``mmd_test_samples`` says how many were tested);
* ``coral`` = ``||C_s - C_t||_F^2 / (4 d^2)`` and ``mean_distance`` = ``||mu_s - mu_t||^2``
  (:func:`coral_distance`, :func:`mean_distance`);
* ``a_distance`` = ``2 (1 - 2 err)`` and ``domain_error`` = ``err``, the balanced held-out error of a
  cross-fitted domain classifier (:func:`proxy_a_distance`), whose per-target-sample scores come back
  beside the gap (:attr:`GapMeasurement.target_scores`); :attr:`Gap.domain_p_value`, that
  classifier's test of ``P_X = P_Y`` (:func:`beyond_chance_p`), a second test beside the MMD's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
import torch

from tlcore.device import pick_device
from tlcore.diagnosis_settings import GapSettings
from tlcore.errors import TLError
from tlcore.metrics.a_distance import proxy_a_distance
from tlcore.metrics.coral import coral_distance, mean_distance
from tlcore.metrics.domain_test import FOLDS, beyond_chance_p
from tlcore.metrics.inputs import check_pair
from tlcore.metrics.kernels import median_bandwidth
from tlcore.metrics.mmd import mmd2_unbiased, mmd_permutation_test

GapStep = Literal["mmd", "coral", "a_distance"]


@dataclass(frozen=True, kw_only=True)
class Gap:
    """The gap between two feature sets (see the module docstring for each number).

    Results stored by older versions lack the fields that default to None here.
    """

    mmd2: float
    p_value: float
    n_permutations: int | None = None
    bandwidth: float | None = None
    mmd_test_samples: tuple[int, int] | None = None
    coral: float
    mean_distance: float | None = None
    a_distance: float
    domain_error: float | None = None
    n_source: int
    n_target: int

    @property
    def domain_p_value(self) -> float | None:
        """p-value of the domain classifier's held-out accuracy against chance (:func:`beyond_chance_p`);
        None for results stored before its error was."""
        if self.domain_error is None:
            return None
        return beyond_chance_p(self.domain_error, self.n_source, self.n_target, FOLDS)

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers (``mmd_test_samples`` as a list): what run results store."""
        out = asdict(self)
        if self.mmd_test_samples is not None:
            out["mmd_test_samples"] = list(self.mmd_test_samples)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Gap:
        """The inverse of :meth:`to_dict`. Fields with a default may be missing (results of older
        versions); a missing required field or an unknown key is a :class:`TLError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TLError(f"unknown gap keys: {', '.join(unknown)}")
        values = dict(data)
        missing = [f.name for f in fields(cls) if f.default is MISSING and f.name not in values]
        if missing:
            raise TLError(f"a gap needs {', '.join(missing)}")
        if values.get("mmd_test_samples") is not None:
            values["mmd_test_samples"] = tuple(values["mmd_test_samples"])
        return cls(**values)


@dataclass(frozen=True)
class GapMeasurement:
    """What :func:`measure_gap` returns: the :class:`Gap`; ``target_scores[i]``, the held-out
    domain classifier's ``p(target | x)`` for target sample ``i`` (its "foreignness");
    ``target_log_odds[i]``, its log-odds (:class:`~tlcore.metrics.a_distance.ADistanceResult`); and
    ``seconds`` per step (``mmd``, ``coral``, ``a_distance``)."""

    gap: Gap
    target_scores: np.ndarray
    seconds: dict[str, float]
    target_log_odds: np.ndarray


def median_mmd2(Xs: torch.Tensor, Xt: torch.Tensor, seed: int) -> tuple[float, float]:
    """``(MMD², bandwidth)``: unbiased MMD² (:func:`mmd2_unbiased`) with the median-heuristic
    bandwidth of the pooled features (:func:`median_bandwidth`, seeded), as :func:`measure_gap`
    measures it, without its permutation test."""
    bandwidth = median_bandwidth(Xs, Xt, seed=seed)
    return mmd2_unbiased(Xs, Xt, bandwidth), bandwidth


def measure_gap(
    Fs: torch.Tensor,
    Ft: torch.Tensor,
    settings: GapSettings = GapSettings(),
    *,
    device: str | torch.device | None = None,
    progress: Callable[[GapStep], None] | None = None,
) -> GapMeasurement:
    """The gap between source features ``Fs`` (``n x D``) and target features ``Ft`` (``m x D``).

    Kernel metrics run on ``device`` (default :func:`tlcore.device.pick_device`), the domain
    classifier on the CPU. ``progress(step)`` is called as each step starts.
    """
    check_pair(Fs, Ft, "a gap")
    on = pick_device(device)
    Xs, Xt = Fs.to(on), Ft.to(on)
    seed = settings.seed
    seconds: dict[str, float] = {}

    @contextmanager
    def step(name: GapStep) -> Iterator[None]:
        if progress is not None:
            progress(name)
        began = time.perf_counter()
        yield
        seconds[name] = round(time.perf_counter() - began, 4)

    with step("mmd"):
        mmd2, bandwidth = median_mmd2(Xs, Xt, seed)
        test = mmd_permutation_test(
            Xs,
            Xt,
            settings.n_permutations,
            seed=seed,
            bandwidth=bandwidth,
            max_per_side=settings.max_test_samples,
        )
    with step("coral"):
        coral, mean_gap = coral_distance(Xs, Xt), mean_distance(Xs, Xt)
    with step("a_distance"):
        pad = proxy_a_distance(Fs, Ft, seed=seed, n_folds=FOLDS)
    gap = Gap(
        mmd2=mmd2,
        p_value=test.p_value,
        n_permutations=settings.n_permutations,
        bandwidth=bandwidth,
        mmd_test_samples=(test.n_x, test.n_y),
        coral=coral,
        mean_distance=mean_gap,
        a_distance=pad.a_distance,
        domain_error=pad.error,
        n_source=len(Fs),
        n_target=len(Ft),
    )
    return GapMeasurement(gap, pad.target_scores, seconds, pad.target_log_odds)
