"""How the labels moved: the target's class proportions estimated without target labels.

Under *label shift* the class proportions change, ``π_t(y) != π_s(y)``, while each class looks the
same, ``p_t(x | y) = p_s(x | y)``. A classifier trained on the source still tells which class a
sample resembles, so its outputs on the unlabelled target reveal the target's proportions: BBSE
(Lipton et al. 2018) and EM (Saerens et al. 2002) on BCTS-calibrated outputs, see
:mod:`tlcore.metrics.priors` for their formulas.

:func:`estimate_label_shift` runs both with a confidence band and returns a
:class:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate`: a seeded bootstrap of ``n_bootstrap``
resamples of the validation split and of the target, each re-calibrated and re-estimated
(:mod:`tlcore.metrics.prior_bootstrap`), whose ``(1 - level) / 2`` and ``(1 + level) / 2``
percentiles bound each class's share and the headline "label shift" number: the total variation
``TV(π̂_t, π_s) = ½ sum_y |π̂_t(y) - π_s(y)|`` of the EM estimate (its band sits above 0 even
without shift: resampling noise only adds to a distance). Both estimators are consistent under label
shift; when they disagree by :data:`~tlcore.metrics.prior_shift_estimate.DISAGREEMENT` or more, the
classes themselves look different on the target and the estimate says so. Its ``p_value``: how often
targets of the same size drawn from the source validation split
(:meth:`~tlcore.metrics.prior_bootstrap.WeightedEstimates.null_tv`, ``n_null`` of them) give a
headline TV at least the estimate's, ``(1 + #) / (1 + n_null)``; at or above
:data:`~tlcore.metrics.coverage.SIGNIFICANCE` the shift is within chance (40 target images from the
source's own distribution read a TV of 0.3 by noise alone) and its
:attr:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate.level` ``none``. Proportions counted
from a labelled target (``true_target_prior``) are tested against the validation split's labels by
random splits of the pooled labels (:func:`~tlcore.metrics.per_class.prior_shift_p_value`, the test
of the diagnosis's label shift; beside a diagnosis, the diagnosis's count of every source label is
quoted instead, so one counted number is shown:
:attr:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate.counted`):
30 target images drawn from ten equally likely classes differ from them by a TV of 0.2 or more in
64% of draws, and from :data:`~tlcore.metrics.coverage.SIGNIFICANCE` on the counted shift is read as within
chance. Degenerate inputs (a singular confusion matrix, a class never
predicted, a class without validation samples) give a ``note``, never an error.

Under label shift ``p_t(x) = sum_y π_t(y) p_s(x | y)`` lies within the source's support; a target far
outside it (a strong covariate shift, often read as one class for all) breaks both estimators'
premise (Lipton et al. 2018; Rabanser et al. 2019) while EM and BBSE may still agree. ``support``,
the target's novel share in the model's features (:func:`tlcore.metrics.coverage.novelty` against
the validation split), significantly above chance by at least the estimated TV could make the whole
shift: the estimate is then not to be trusted
(:attr:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate.outside_support`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from tlcore.errors import TLError
from tlcore.metrics.per_class import PRIOR_PERMUTATIONS, prior_shift_p_value, total_variation
from tlcore.metrics.prior_bootstrap import WeightedEstimates
from tlcore.metrics.prior_shift_estimate import HEADLINE, Estimator, LabelShiftEstimate, PriorEstimate
from tlcore.metrics.priors import Calibration


@dataclass(frozen=True)
class LabelShiftSettings:
    """How :func:`estimate_label_shift` estimates: BCTS calibration for EM (``calibrate``), EM's
    stopping rule (``tol``, ``max_iter``), the bootstrap (``n_bootstrap`` resamples, a ``level``
    band, ``seed``) and the test (``n_null`` targets drawn from the source; 0: none)."""

    calibrate: bool = True
    tol: float = 1e-6
    max_iter: int = 1000
    n_bootstrap: int = 200
    level: float = 0.9
    seed: int = 0
    n_null: int = 200

    def __post_init__(self) -> None:
        if self.n_bootstrap < 0 or self.n_null < 0 or self.max_iter < 1:
            raise TLError("n_bootstrap and n_null must be >= 0 and max_iter >= 1")
        if not 0.0 < self.level < 1.0:
            raise TLError(f"the band's level must lie strictly between 0 and 1, got {self.level}")
        if not self.tol > 0:
            raise TLError(f"tol must be > 0, got {self.tol}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _names(classes: Sequence[str], index: torch.Tensor) -> str:
    return ", ".join(str(classes[i]) for i in index.tolist())


def _bbse_note(C: torch.Tensor, classes: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Why BBSE's estimate may be unreliable (empty when ``C`` has full rank), and its detail."""
    sigma = torch.linalg.svdvals(C)
    rank = int((sigma > sigma[0] * len(C) * torch.finfo(C.dtype).eps).sum()) if sigma[0] > 0 else 0
    detail = {"sigma_min": float(sigma[-1]), "rank": rank}
    if rank == len(C):
        return "", detail
    reasons = []
    absent = torch.nonzero(C.sum(0) == 0).flatten()
    if len(absent):
        reasons.append(f"no source validation samples of {_names(classes, absent)}")
    unseen = torch.nonzero(C.sum(1) == 0).flatten()
    if len(unseen):
        reasons.append(f"the model never predicts {_names(classes, unseen)} on the source validation split")
    reason = "; ".join(reasons) or "some classes are predicted alike"
    return (
        f"BBSE: the confusion matrix is singular (rank {rank} of {len(C)}: {reason}), so its estimate "
        "for those classes is a least-squares guess.",
        detail,
    )


def _estimate(
    name: Estimator,
    point: dict[str, Any],
    resampled: dict[str, torch.Tensor] | None,
    *,
    truth: torch.Tensor | None,
    level: float,
    note: str,
    detail: dict[str, Any],
) -> PriorEstimate:
    """One estimator's :class:`PriorEstimate` from the point estimate and the resamples (if any)."""
    prior, source = point[name][0], point["source"][0]
    low = high = tv_band = None
    if resampled is not None:
        q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
        lo, hi = torch.quantile(resampled[name], q, dim=0)
        tv_lo, tv_hi = torch.quantile(0.5 * (resampled[name] - source).abs().sum(1), q)
        low, high, tv_band = tuple(lo.tolist()), tuple(hi.tolist()), (float(tv_lo), float(tv_hi))
    return PriorEstimate(
        estimator=name,
        priors=tuple(prior.tolist()),
        tv=total_variation(prior, source),
        low=low,
        high=high,
        tv_band=tv_band,
        tv_to_truth=None if truth is None else total_variation(prior, truth),
        note=note,
        detail=detail,
    )


def estimate_label_shift(
    logits_val: torch.Tensor,
    y_val: torch.Tensor,
    logits_target: torch.Tensor,
    classes: Sequence[str],
    *,
    settings: LabelShiftSettings = LabelShiftSettings(),
    true_target_prior: torch.Tensor | None = None,
) -> LabelShiftEstimate:
    """BBSE and EM estimates of the target priors with bootstrap bands (see the module docstring).

    ``logits_val`` (``N_v x K``) and ``y_val``: a source-only model on the labelled source
    validation split; ``logits_target`` (``N_t x K``): the same model on the unlabelled target;
    ``true_target_prior`` is reported beside the estimates, with its test against the validation
    split's labels (``true_p_value``, module docstring).
    """
    k = len(classes)
    for logits in (logits_val, logits_target):
        if logits.ndim != 2 or logits.shape[1] != k:
            raise TLError(f"the model gives {logits.shape[-1]} outputs, the source has {k} classes")
    if len(logits_val) == 0 or len(logits_target) == 0 or len(y_val) != len(logits_val):
        raise TLError("label-shift estimation needs a labelled source validation split and target samples")
    s = settings
    estimator = WeightedEstimates(
        logits_val, y_val, logits_target, calibrate=s.calibrate, tol=s.tol, max_iter=s.max_iter
    )
    point = estimator.point()
    resampled = estimator.bootstrap(s.n_bootstrap, s.seed) if s.n_bootstrap else None
    source = point["source"][0]
    missing = torch.nonzero(source == 0).flatten()
    em_note = ""
    if len(missing):
        em_note = f"EM: no source validation samples of {_names(classes, missing)}; their share stays 0."
    if not bool(point["converged"][0]):
        em_note = f"{em_note} EM stopped after {point['steps']} steps without converging.".strip()
    bbse_note, bbse_detail = _bbse_note(point["C"][0], classes)
    truth = None if true_target_prior is None else true_target_prior.double().cpu()
    calibration = None
    if point["scale"] is not None:
        calibration = Calibration(float(point["scale"][0]), tuple(point["bias"][0].tolist()))
    em_detail = {"steps": point["steps"], "converged": bool(point["converged"][0])}
    common = {"truth": truth, "level": settings.level}
    em = _estimate("em", point, resampled, note=em_note, detail=em_detail, **common)
    bbse = _estimate("bbse", point, resampled, note=bbse_note, detail=bbse_detail, **common)
    p_value = None
    if s.n_null:
        null = estimator.null_tv(HEADLINE, len(logits_target), s.n_null, s.seed)
        observed = (em if HEADLINE == "em" else bbse).tv
        p_value = (1 + int((null >= observed - 1e-12).sum())) / (1 + s.n_null)
    true_p_value = None
    if truth is not None:  # counted: the validation split's labels and the target's, as counts
        counts_s = torch.bincount(y_val.cpu(), minlength=k).numpy()
        counts_t = torch.round(truth * len(logits_target)).long().numpy()
        true_p_value = prior_shift_p_value(counts_s, counts_t, PRIOR_PERMUTATIONS, s.seed)
    return LabelShiftEstimate(
        classes=tuple(classes),
        source_prior=tuple(source.tolist()),
        em=em,
        bbse=bbse,
        true_prior=None if truth is None else tuple(truth.tolist()),
        calibration=calibration,
        n_source_val=len(y_val),
        n_target=len(logits_target),
        settings=settings,
        p_value=p_value,
        true_p_value=true_p_value,
    )
