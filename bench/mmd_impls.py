"""The three MMD² permutation tests compared by :mod:`bench.speed_mmd`, behind one signature.

Each takes float32 samples ``X`` (``n x d``), ``Y`` (``m x d``), the Gaussian bandwidth ``sigma``,
the number of permutations and a seed, and returns ``(mmd2, p_value)`` for the unbiased statistic
with the kernel ``exp(-||x - y||² / (2 sigma²))``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable

import numpy as np
import torch

from tlcore.metrics.mmd import mmd_permutation_test

Impl = Callable[[np.ndarray, np.ndarray, float, int, int], tuple[float, float]]


def numpy_permutation_test(
    X: np.ndarray, Y: np.ndarray, sigma: float, n_permutations: int, seed: int
) -> tuple[float, float]:
    """Plain NumPy reference: joint kernel once, then one re-indexed copy of it per permutation.

    Unbiased MMD² with a Gaussian kernel ``exp(-||x-y||²/(2 sigma²))``; ``p = (1 + #{null >= obs})
    / (1 + n_permutations)``. Returns ``(mmd2, p_value)``.
    """
    Z = np.concatenate([X, Y]).astype(np.float32)
    n, N = len(X), len(Z)
    m = N - n
    sq = (Z * Z).sum(1)
    K = Z @ Z.T  # N x N, becomes the kernel matrix in place
    K *= -2.0
    K += sq[:, None]
    K += sq[None, :]
    np.maximum(K, 0.0, out=K)
    K *= -1.0 / (2.0 * sigma**2)
    np.exp(K, out=K)
    np.fill_diagonal(K, 0.0)

    def statistic(Kp: np.ndarray) -> float:
        kxx = Kp[:n, :n].sum(dtype=np.float64) / (n * (n - 1))
        kyy = Kp[n:, n:].sum(dtype=np.float64) / (m * (m - 1))
        kxy = Kp[:n, n:].sum(dtype=np.float64) / (n * m)
        return float(kxx + kyy - 2 * kxy)

    observed = statistic(K)
    rng = np.random.default_rng(seed)
    null = np.array([statistic(K[np.ix_(p, p)]) for p in (rng.permutation(N) for _ in range(n_permutations))])
    return observed, float((1 + (null >= observed).sum()) / (1 + n_permutations))


def tlcore_permutation_test(
    X: np.ndarray, Y: np.ndarray, sigma: float, n_permutations: int, seed: int
) -> tuple[float, float]:
    """tlcore's :func:`~tlcore.metrics.mmd_permutation_test` on all samples (no subsampling cap)."""
    result = mmd_permutation_test(
        torch.from_numpy(X),
        torch.from_numpy(Y),
        n_permutations,
        seed=seed,
        bandwidth=sigma,
        max_per_side=None,
    )
    return result.mmd2, result.p_value


def alibi_permutation_test(
    X: np.ndarray, Y: np.ndarray, sigma: float, n_permutations: int, seed: int
) -> tuple[float, float]:
    """alibi-detect's ``MMDDrift(backend="pytorch")`` with the bandwidth fixed to ``sigma``.

    Its p-value has no +1 correction (``mean(null >= observed)``); the statistic is the same.
    """
    from alibi_detect.cd import MMDDrift  # noqa: PLC0415 - optional benchmark-only dependency

    torch.manual_seed(seed)
    detector = MMDDrift(
        X,
        backend="pytorch",
        p_val=0.05,
        sigma=np.array([sigma], dtype=np.float32),
        configure_kernel_from_x_ref=False,
        n_permutations=n_permutations,
        device="cpu",
    )
    data = detector.predict(Y)["data"]
    return float(data["distance"]), float(data["p_val"])


IMPL_FUNCTIONS: dict[str, Impl] = {
    "tlcore": tlcore_permutation_test,
    "alibi-detect": alibi_permutation_test,
    "numpy": numpy_permutation_test,
}


def availability() -> dict[str, str]:
    """``"ok"`` per implementation, else why it cannot run ("not installed", an import error)."""
    status = {"tlcore": "ok", "numpy": "ok"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            importlib.import_module("alibi_detect.cd")
            status["alibi-detect"] = "ok"
        except ModuleNotFoundError as exc:
            status["alibi-detect"] = (
                "not installed" if exc.name == "alibi_detect" else f"import failed: {exc}"
            )
        except ImportError as exc:
            status["alibi-detect"] = f"import failed: {exc}"
    return status


def samples(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two seeded Gaussian samples ``n x d`` (float32), the second shifted by 0.1 in every coordinate."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    Y = rng.standard_normal((n, d), dtype=np.float32) + np.float32(0.1)
    return X, Y
