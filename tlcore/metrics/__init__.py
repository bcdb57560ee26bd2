"""Domain-gap metrics: pure functions, tensors in, numbers (or small dataclasses) out, seeded.

Every function runs on the device of its inputs and prints nothing.
"""

from tlcore.lazy import lazy_exports

__all__ = [
    "ADistanceResult",
    "BandwidthSpec",
    "ClassGap",
    "ClassGapSettings",
    "LabelShift",
    "MMDTestResult",
    "class_conditional_mmd",
    "coral_distance",
    "coral_loss",
    "density_ratio",
    "gaussian_kernel",
    "gaussian_kernel_paired",
    "label_shift",
    "mean_distance",
    "median_bandwidth",
    "mixture_bandwidths",
    "mmd2_linear",
    "mmd2_unbiased",
    "mmd_permutation_test",
    "permutation_statistics",
    "proxy_a_distance",
    "resolve_bandwidths",
    "sq_distances",
    "total_variation",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "a_distance": (
            "ADistanceResult",
            "density_ratio",
            "proxy_a_distance",
        ),
        "coral": (
            "coral_distance",
            "coral_loss",
            "mean_distance",
        ),
        "kernels": (
            "BandwidthSpec",
            "gaussian_kernel",
            "gaussian_kernel_paired",
            "median_bandwidth",
            "mixture_bandwidths",
            "resolve_bandwidths",
            "sq_distances",
        ),
        "mmd": (
            "MMDTestResult",
            "mmd2_linear",
            "mmd2_unbiased",
            "mmd_permutation_test",
            "permutation_statistics",
        ),
        "per_class": (
            "ClassGap",
            "ClassGapSettings",
            "LabelShift",
            "class_conditional_mmd",
            "label_shift",
            "total_variation",
        ),
    },
)
