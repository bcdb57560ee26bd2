"""What a diagnosis is measured with, without torch, so ``diagnose --help`` names its defaults before
the engine loads: :class:`GapSettings` (how :func:`tlcore.metrics.gap.measure_gap` measures a gap,
a run's gaps included), the PCA width of raw features and the UMAP points per domain
(:mod:`tlcore.features`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from tlcore.errors import TLError
from tlcore.limits import format_bytes

MAX_SEED = 2**32 - 1  # the largest seed every generator behind the gap accepts (scikit-learn's)
# p = (1 + exceed) / (1 + n) resolves to 1e-5 here; more permutations cost time and read the same
MAX_PERMUTATIONS = 100_000
DEFAULT_MAX_PER_SIDE = 5000  # permutation test: joint kernel at most 10k x 10k float32 = 400 MB
# The permutation test holds its joint (n + m) x (n + m) float32 kernel whole (the rest grows linearly),
# and scoring P permutations costs (n + m)^2 P: a cap on that matrix bounds both.
MAX_KERNEL_BYTES = 2 << 30
MAX_TEST_SAMPLES = math.isqrt(MAX_KERNEL_BYTES // 4) // 2  # 11585 per side: (2 x 11585)^2 x 4 bytes < 2 GiB
# The diagnosis's domain classifier (proxy A-distance) holds the pooled (n + m) x D features in float64
# and, while it fits a fold, copies of about as much again (measured: 1.06 GB above inputs of 4000 x
# 16384, whose float64 copy is 524 MB); the same cap on that copy keeps CORAL's float64 matrices
# (tlcore.metrics.coral.coral_distance: min(D, n + m)^2 numbers, two at most) within twice it.
# check_classifier_fits refuses a diagnosis beyond it.
# The diagnosis's defaults, the Diagnose page's and ``diagnose``'s alike (so both read one cache entry):
PCA_DIM = 50  # raw features' PCA dimensions
UMAP_POINTS = 1500  # UMAP points per domain, a seeded subsample beyond (the page draws each one: WebGL)


@dataclass(frozen=True)
class GapSettings:
    """How a gap is measured; the same settings on the same features give the same
    :class:`~tlcore.metrics.gap.Gap`.

    ``n_permutations``: permutations of the MMD test (at most :data:`MAX_PERMUTATIONS`);
    ``max_test_samples``: samples per side in that test (a seeded subsample beyond it keeps its
    kernel matrix at most ``(2 max)^2``; at most :data:`MAX_TEST_SAMPLES`, :func:`kernel_refusal`);
    ``seed``: the bandwidth subsample, the permutations and the domain classifier's folds.
    """

    n_permutations: int = 1000
    max_test_samples: int = DEFAULT_MAX_PER_SIDE
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.max_test_samples, int) and self.max_test_samples > MAX_TEST_SAMPLES:
            raise TLError(kernel_refusal(self.max_test_samples))
        for name, low, high in (
            ("n_permutations", 1, MAX_PERMUTATIONS),
            ("max_test_samples", 2, None),
            ("seed", 0, MAX_SEED),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TLError(f"{name} must be a whole number, got {value!r}")
            if value < low or (high is not None and value > high):
                bound = f"at least {low}" if high is None else f"between {low} and {high}"
                raise TLError(f"{name} must be {bound}, got {value}")

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def kernel_refusal(per_side: int) -> str:
    """Why ``per_side`` samples per side cannot be tested: the joint kernel they would need, and what
    fits in :data:`MAX_KERNEL_BYTES` (in bytes where the two sizes round alike)."""
    side = 2 * per_side
    need, limit = format_bytes(4 * side**2), format_bytes(MAX_KERNEL_BYTES)
    if need == limit:  # 11586: 2 GiB, as the limit reads
        need, limit = f"{4 * side**2:,} bytes", f"{MAX_KERNEL_BYTES:,} bytes"
    return (
        f"max_test_samples {per_side} would need the permutation test's joint kernel of up to "
        f"{side} x {side} float32, {need}; at most {MAX_TEST_SAMPLES} per side fits in its {limit}"
    )


def check_classifier_fits(n_source: int, n_target: int, width: int) -> None:
    """Refuse a diagnosis of ``n_source`` and ``n_target`` samples of ``width`` features before it
    starts (a one-line :class:`TLError`) where its domain classifier's float64 copy of them would pass
    :data:`MAX_KERNEL_BYTES`."""
    pooled = n_source + n_target
    need = 8 * pooled * width
    if need <= MAX_KERNEL_BYTES:
        return
    raise TLError(
        f"{pooled} samples of {width} features are too wide to diagnose: the domain classifier "
        f"(proxy A-distance) would hold them as float64, {format_bytes(need)}, and about as much again "
        f"while it fits; at most {format_bytes(MAX_KERNEL_BYTES)} fits, {MAX_KERNEL_BYTES // (8 * pooled)} "
        f"features for these samples: reduce the width (raw features: --pca N, e.g. the default {PCA_DIM}) "
        "or the samples"
    )
