"""MMD² + permutation test speed: tlcore vs alibi-detect's ``MMDDrift`` (PyTorch backend) vs plain NumPy.

All three get the same float32 samples and the same Gaussian bandwidth (tlcore's median heuristic,
computed once), so they compute the same unbiased statistic. tlcore scores blocks of permutations as
matrix products; alibi-detect and the NumPy reference re-index the joint kernel matrix once per
permutation. A loop-based run predicted to exceed the time budget is timed on a few permutations
and extrapolated (two points: setup + per-permutation cost), and the row says so. A run whose
kernel matrices would not fit in the available memory is skipped, and the row says that too.
Peak memory comes from a separate run in a fresh process (:mod:`bench.peak_memory`).
"""

from __future__ import annotations

import inspect
import itertools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bench.machine import memory_gib
from bench.mmd_impls import IMPL_FUNCTIONS, availability, samples
from bench.peak_memory import measure_peak
from bench.probe import probe
from tlcore.metrics import median_bandwidth, mmd_permutation_test

IMPLS = ("tlcore", "alibi-detect", "numpy")
KERNEL_COPIES = {"tlcore": 1.2, "alibi-detect": 4.0, "numpy": 2.2}  # N x N float32 matrices alive at once
CALIBRATION_PERMS = 5


def _run(impl: str, X: np.ndarray, Y: np.ndarray, *, sigma: float, perms: int, seed: int) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with probe(trace_python=impl == "numpy") as p:
            mmd2, p_value = IMPL_FUNCTIONS[impl](X, Y, sigma, perms, seed)
    return {
        "seconds": p.seconds,
        "peak_traced_mib": p.peak_traced_mib,
        "mmd2": mmd2,
        "p_value": p_value,
    }


def time_impl(
    impl: str,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    sigma: float,
    n_permutations: int,
    budget_s: float,
    seed: int = 0,
) -> dict[str, Any]:
    """One cell: measured time (or extrapolated, or skipped), statistic, p-value."""
    N = len(X) + len(Y)
    need_gib = KERNEL_COPIES[impl] * N * N * 4 / 2**30
    available = memory_gib().get("available", math.inf)
    if need_gib > 0.7 * available:
        return {"status": "skipped", "note": f"needs ~{need_gib:.1f} GiB, {available:.1f} GiB available"}
    full = {"status": "measured", "permutations": n_permutations}
    if impl == "tlcore":
        return full | _run(impl, X, Y, sigma=sigma, perms=n_permutations, seed=seed)
    first = _run(impl, X, Y, sigma=sigma, perms=CALIBRATION_PERMS, seed=seed)
    if first["seconds"] * n_permutations / CALIBRATION_PERMS <= budget_s:
        return full | _run(impl, X, Y, sigma=sigma, perms=n_permutations, seed=seed)
    second = _run(impl, X, Y, sigma=sigma, perms=2 * CALIBRATION_PERMS, seed=seed)
    per_perm = max(second["seconds"] - first["seconds"], 0.0) / CALIBRATION_PERMS
    setup = max(first["seconds"] - CALIBRATION_PERMS * per_perm, 0.0)
    return {
        **second,
        "status": "extrapolated",
        "permutations": n_permutations,
        "seconds": setup + n_permutations * per_perm,
        "p_value": float("nan"),
        "note": f"timed on {CALIBRATION_PERMS} and {2 * CALIBRATION_PERMS} permutations, extrapolated",
    }


def _best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    """Best of ``repeats`` timings of ``fn()``; a single one when it takes a second or more."""
    best = math.inf
    for _ in range(repeats):
        with probe() as p:
            fn()
        best = min(best, p.seconds)
        if best >= 1.0:
            break
    return best


def matmul_seconds(N: int, d: int, n_permutations: int) -> float:
    """Time ``torch.mm`` needs for the test's matrix products alone, at the same shapes.

    One ``N x d`` by ``d x N`` product (the squared distances) plus ``n_permutations / block`` products
    ``N x N`` by ``N x block`` (the permutation statistics, ``block`` = tlcore's permutation block).
    """
    block = inspect.signature(mmd_permutation_test).parameters["permutation_block"].default
    Z = torch.rand(N, d)
    K, W = torch.rand(N, N), torch.rand(N, block)
    distance = _best_of(lambda: torch.mm(Z, Z.T))
    products = _best_of(lambda: torch.mm(K, W))
    return distance + products * n_permutations / block


def growth(rows: list[dict[str, Any]], impl: str, d: int) -> list[dict[str, float]]:
    """Exponent ``b`` of ``time ~ n^b`` between consecutive sizes of one implementation and width."""
    points = sorted((r["n"], r[impl]["seconds"]) for r in rows if r["d"] == d and "seconds" in r[impl])
    return [
        {"from": n1, "to": n2, "exponent": math.log(t2 / t1) / math.log(n2 / n1)}
        for (n1, t1), (n2, t2) in itertools.pairwise(points)
        if t1 > 0 and t2 > 0
    ]


def run_mmd_speed(
    sizes: tuple[int, ...],
    dims: tuple[int, ...],
    n_permutations: int,
    budget_s: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Every (n, d) cell for every available implementation, ratios to tlcore, growth, matmul ceiling."""
    status = availability()
    warm_X, warm_Y = samples(50, 4, seed=1)
    for impl in IMPLS:  # first calls pay one-time costs (lazy imports, kernel caches): not timed
        if status[impl] == "ok":
            _run(impl, warm_X, warm_Y, sigma=1.0, perms=2, seed=0)
    rows = []
    for d in dims:
        for n in sizes:
            X, Y = samples(n, d, seed=0)
            sigma = median_bandwidth(torch.from_numpy(X), torch.from_numpy(Y))
            row: dict[str, Any] = {"n": n, "d": d, "sigma": sigma}
            for impl in IMPLS:
                log(f"mmd speed: {impl} n={n} d={d}")
                if status[impl] != "ok":
                    row[impl] = {"status": status[impl]}
                    continue
                row[impl] = time_impl(
                    impl, X, Y, sigma=sigma, n_permutations=n_permutations, budget_s=budget_s
                )
                if row[impl]["status"] != "skipped":
                    row[impl]["peak_rss_mib"] = measure_peak(impl, n, d, sigma)
            ours = row["tlcore"].get("seconds")
            for impl in IMPLS[1:]:
                other = row[impl].get("seconds")
                row[f"{impl}_over_tlcore"] = other / ours if ours and other else None
            if ours:
                row["matmul_seconds"] = matmul_seconds(2 * n, d, n_permutations)
                row["matmul_fraction"] = row["matmul_seconds"] / ours
            rows.append(row)
    return {
        "permutations": n_permutations,
        "budget_s": budget_s,
        "availability": status,
        "rows": rows,
        "growth": {impl: {str(d): growth(rows, impl, d) for d in dims} for impl in IMPLS},
    }
