"""How an explanation is computed: sample sizes and the cheap gap settings of the fix checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tlcore.diagnosis_settings import GapSettings
from tlcore.errors import TLError
from tlcore.metrics.feature_tests import FDR


@dataclass(frozen=True)
class ExplainSettings:
    """How an explanation is computed.

    ``max_images``: images summarised per domain (a seeded subsample beyond); ``search_images``:
    images of one side a fix's value is searched on; ``check_samples``: samples per side in each fix
    check, whose gap is :func:`tlcore.metrics.gap.measure_gap` of raw features (a randomized PCA to
    ``check_pca`` dimensions) with ``check_permutations`` permutations; ``max_checks``: the most
    fixes checked (the strongest findings first); ``seed``: every subsample, the shifts' draws and
    the domains' loading (use the seed the pair was loaded with); ``fdr``: the false discovery rate at
    which an image statistic or a column is called different (:mod:`tlcore.metrics.feature_tests`).
    Feature vectors (:mod:`tlcore.explain.columns`): ``max_column_checks``, the most drifted columns
    whose share of the gap is measured
    (one MMD² each, and one with them matched together); ``max_column_causes``, the most column shares
    the verdict names as causes (the largest first).
    """

    max_images: int = 2000
    search_images: int = 256
    check_samples: int = 500
    check_pca: int = 20
    check_permutations: int = 100
    max_checks: int = 4
    seed: int = 0
    fdr: float = FDR
    max_column_checks: int = 8
    max_column_causes: int = 5

    def __post_init__(self) -> None:
        for name in ("max_images", "search_images", "check_samples", "check_pca", "check_permutations"):
            if getattr(self, name) < 2:
                raise TLError(f"{name} must be at least 2, got {getattr(self, name)}")
        for name in ("max_checks", "max_column_checks", "max_column_causes"):
            if getattr(self, name) < 0:
                raise TLError(f"{name} must be at least 0, got {getattr(self, name)}")
        if not 0.0 < self.fdr < 1.0:
            raise TLError(f"fdr must lie between 0 and 1, got {self.fdr}")

    def gap_settings(self) -> GapSettings:
        """The gap settings of a fix check."""
        return GapSettings(
            n_permutations=self.check_permutations, max_test_samples=self.check_samples, seed=self.seed
        )

    def basis(self, n_source: int, n_target: int) -> str:
        """Where every fix-check number (MMD² before / after a fix, the novel share, the shares of the
        gap) is measured, in one phrase: not the diagnosis's samples and features, so they differ
        from its headline figures."""
        return f"on the fix check's {n_source}+{n_target} samples, {self.check_pca} PCA dims"

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)
