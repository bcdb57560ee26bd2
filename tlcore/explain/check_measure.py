"""What a fix check measures on a pair: the gap, the novel share and MMD² without the novel samples,
all in one cheap feature space (raw features of seeded subsamples), so that before and after a fix,
and with a cause removed (:mod:`tlcore.explain.gap_shares`), compare the same samples."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from threadpoolctl import threadpool_limits

from tlcore.data.domain import Domain
from tlcore.explain.evidence import NoveltySummary
from tlcore.explain.image_stats import sample_index
from tlcore.explain.settings import ExplainSettings
from tlcore.features import raw_features
from tlcore.gap_level import MIN_POWER
from tlcore.metrics.coverage import NoveltySettings, novelty
from tlcore.metrics.gap import Gap, measure_gap, median_mmd2


@dataclass(frozen=True)
class CheckMeasure:
    """What a fix check measures on a pair, in the same features: the gap, the target's novel share
    (:func:`tlcore.metrics.coverage.novelty`) and ``covered_mmd2``, MMD² without the novel target
    samples beyond chance (:meth:`~tlcore.metrics.coverage.Novelty.covered_index`; ``None`` when
    fewer than :data:`~tlcore.gap_level.MIN_POWER` are left)."""

    gap: Gap
    novelty: NoveltySummary
    covered_mmd2: float | None = None


def check_features(
    source: Domain, target: Domain, settings: ExplainSettings
) -> tuple[torch.Tensor, torch.Tensor]:
    """The features of a fix check: raw features (randomized PCA to ``check_pca``) of seeded
    subsamples of ``check_samples`` per side (the same indices for domains of the same size, so
    before and after compare the same samples). Feature vectors are standardised by the source alone
    (``scale="source"``, the units a source-trained model reads): pooled, a column whose target spread
    is ten times the source's would be scaled by the target's spread and look nearly alike."""
    index_s = sample_index(source.n_samples, settings.check_samples, settings.seed)
    index_t = sample_index(target.n_samples, settings.check_samples, settings.seed)
    return raw_features(
        source.X[index_s],
        target.X[index_t],
        pca_dim=settings.check_pca,
        seed=settings.seed,
        exact=False,
        scale="source",
    )


def cheap_measure(source: Domain, target: Domain, settings: ExplainSettings) -> CheckMeasure:
    """The measure of a fix check: :func:`tlcore.metrics.gap.measure_gap`,
    :func:`tlcore.metrics.coverage.novelty` (seeded by ``settings.seed``) and the covered MMD² of
    :func:`check_features`. BLAS runs single-threaded here: on matrices this small its threads cost
    more than they save."""
    with threadpool_limits(limits=1, user_api="blas"):
        Fs, Ft = check_features(source, target, settings)
        gap = measure_gap(Fs, Ft, settings.gap_settings()).gap
        novel = novelty(Fs, Ft, NoveltySettings(seed=settings.seed))
        kept = torch.from_numpy(novel.covered_index())
        covered = median_mmd2(Fs, Ft[kept], settings.seed)[0] if len(kept) >= MIN_POWER else None
    return CheckMeasure(gap, NoveltySummary.of(novel), covered)
