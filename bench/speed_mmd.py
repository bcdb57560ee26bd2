"""MMD² + permutation test speed: tlcore vs alibi-detect's ``MMDDrift`` (PyTorch backend) vs plain NumPy.

All three get the same float32 samples and the same Gaussian bandwidth (tlcore's median heuristic,
computed once), so they compute the same unbiased statistic. tlcore scores blocks of permutations as
matrix products; alibi-detect and the NumPy reference re-index the joint kernel matrix once per
permutation. A loop-based run predicted to exceed the time budget is timed on a few permutations
and extrapolated (two points: setup + per-permutation cost), and the row says so. A run whose
kernel matrices would not fit in the available memory is skipped, and the row says that too.
Every timed call runs in a fresh process (:mod:`bench.mmd_cell`), which also gives its peak memory;
one that dies marks its cell "failed" and the table goes on.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable
from typing import Any

import torch

from bench.machine import memory_gib
from bench.mmd_cell import run_cell
from bench.mmd_impls import availability, samples
from bench.probe import probe
from tlcore.metrics.kernels import median_bandwidth
from tlcore.metrics.mmd import mmd_permutation_test

IMPLS = ("tlcore", "alibi-detect", "numpy")
KERNEL_COPIES = {"tlcore": 1.2, "alibi-detect": 4.0, "numpy": 2.2}  # N x N float32 matrices alive at once
CALIBRATION_PERMS = 5


def _measured(impl: str, n: int, d: int, sigma: float, permutations: int) -> dict[str, Any]:
    cell = run_cell(impl, n, d, sigma, permutations)
    return cell if "status" in cell else {"status": "measured", "permutations": permutations, **cell}


def time_impl(
    impl: str, n: int, d: int, *, sigma: float, n_permutations: int, budget_s: float
) -> dict[str, Any]:
    """One cell: measured time (or extrapolated, skipped or failed), statistic, p-value, peak memory."""
    need_gib = KERNEL_COPIES[impl] * (2 * n) ** 2 * 4 / 2**30
    available = memory_gib().get("available", math.inf)
    if need_gib > 0.7 * available:
        return {"status": "skipped", "note": f"needs ~{need_gib:.1f} GiB, {available:.1f} GiB available"}
    if impl == "tlcore":
        return _measured(impl, n, d, sigma, n_permutations)
    first = run_cell(impl, n, d, sigma, CALIBRATION_PERMS)
    if "status" in first:
        return first
    if first["seconds"] * n_permutations / CALIBRATION_PERMS <= budget_s:
        return _measured(impl, n, d, sigma, n_permutations)
    second = run_cell(impl, n, d, sigma, 2 * CALIBRATION_PERMS)
    if "status" in second:
        return second
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
    rows = []
    for d in dims:
        for n in sizes:
            X, Y = samples(n, d, seed=0)  # the cells rebuild the same samples
            sigma = median_bandwidth(torch.from_numpy(X), torch.from_numpy(Y))
            row: dict[str, Any] = {"n": n, "d": d, "sigma": sigma}
            for impl in IMPLS:
                log(f"mmd speed: {impl} n={n} d={d}")
                if status[impl] != "ok":
                    row[impl] = {"status": status[impl]}
                    continue
                row[impl] = time_impl(
                    impl, n, d, sigma=sigma, n_permutations=n_permutations, budget_s=budget_s
                )
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
