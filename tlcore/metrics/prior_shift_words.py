"""A label-shift estimate (:class:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate`) in plain words:
the Diagnose page's box, ``diagnose``'s text and the report say what :func:`describe_estimate` says.

Without target labels the estimate is read as a label shift only when it is trusted (EM and BBSE
agree, the target within the source's support); otherwise it is what the model reads, not a
measured shift. With target labels the shift is counted, and said first, within chance when random
splits of the pooled labels differ as much at least :data:`~tlcore.metrics.coverage.SIGNIFICANCE` of
the time (:attr:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate.true_p_value`); the
estimate made without them is then a check of the estimator against the truth: its error is the
total variation between the estimated and the counted proportions, and from :data:`TV_MODERATE` the
estimator's premise (each class looks the same on both sides, only the proportions move) fails on
this target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from tlcore.metrics.per_class import PRIOR_PERMUTATIONS

if TYPE_CHECKING:
    from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate

ShiftLevel = Literal["none", "moderate", "large"]
TV_MODERATE, TV_LARGE = 0.05, 0.2  # TV from the source priors at or above them: moderate / large
DEGENERATE = 0.005  # a TV band narrower than this is no band: every resample gives the same estimate
PRIOR_CORRECTION = (
    "Prior correction (method prior_correction) re-weights the model's outputs by these proportions."
)


def size(tv: float) -> ShiftLevel:
    """A total variation between class proportions in words: ``none`` below :data:`TV_MODERATE`,
    ``large`` from :data:`TV_LARGE`, else ``moderate``."""
    return "none" if tv < TV_MODERATE else "large" if tv >= TV_LARGE else "moderate"


def tv_band_words(tv: float, band: tuple[float, float] | None, level: float) -> str:
    """The bootstrap band of the total variation ``tv`` in words, '' without one: "degenerate" when
    narrower than :data:`DEGENERATE`; when it lies wholly above ``tv`` it says why: a distance's
    resamples read more than the sample does, as noise only adds to a distance, and at few samples
    by more than the band is wide (QA: 0.26 with a band of 0.34 to 0.60 on 12 images)."""
    if band is None:
        return ""
    low, high = band
    pct = f"{100 * level:.0f}%"
    if high - low < DEGENERATE:
        return f" ({pct} band degenerate: every resample gives the same estimate)"
    if low > tv:
        return (
            f" ({pct} band {low:.2f} to {high:.2f}, above the estimate: resampling noise adds to a "
            "distance, so at this sample size the band cannot bound it)"
        )
    return f" ({pct} band {low:.2f} to {high:.2f})"


def describe_estimate(estimate: LabelShiftEstimate) -> str:
    """The estimate in a few plain sentences (module docstring), then the estimators' notes and the
    blank images left out, if any."""
    text = _counted(estimate) if estimate.true_prior is not None else _estimated(estimate)
    notes = (estimate.em.note, estimate.bbse.note, estimate.describe_blank())
    return " ".join(part for part in (text, *notes) if part)


def _moved(
    estimate: LabelShiftEstimate, priors: Sequence[float], source: Sequence[float] | None = None
) -> str:
    """``most over-represented 1 (92% vs 10%), most under-represented 4 (0% vs 10%)`` against
    ``source`` (default: the validation split's priors)."""
    source = estimate.source_prior if source is None else source
    diff = [t - s for t, s in zip(priors, source, strict=True)]
    up, down = diff.index(max(diff)), diff.index(min(diff))
    return (
        f"most over-represented {estimate.classes[up]} ({100 * priors[up]:.0f}% vs {100 * source[up]:.0f}%), "
        f"most under-represented {estimate.classes[down]} ({100 * priors[down]:.0f}% vs "
        f"{100 * source[down]:.0f}%)"
    )


def _distrust(estimate: LabelShiftEstimate) -> list[str]:
    """Why the estimate is not to be trusted, one clause per reason; none when it is."""
    reasons = []
    novel = estimate.support
    if estimate.outside_support and novel is not None:
        reasons.append(
            f"{100 * novel.share:.0f}% of the target lies outside the source's support in the model's "
            f"features (about {100 * novel.expected_share:.0f}% by chance), where label shift cannot put "
            "it: the model reads samples unlike any it was trained on"
        )
    if not estimate.consistent:
        reasons.append(
            f"EM and BBSE disagree (total variation {estimate.disagreement:.2f} between them): the classes "
            "themselves look different on the target, not only their proportions"
        )
    return reasons


def _estimated(estimate: LabelShiftEstimate) -> str:
    """Without target labels: a label shift only when the estimate is trusted."""
    head = estimate.headline
    band = tv_band_words(head.tv, head.tv_band, estimate.settings.level)
    reasons = _distrust(estimate)
    if reasons:  # the estimate reads the model, not the labels: no label shift is claimed
        return (
            "Not a measured label shift, only what the model reads: the class proportions it estimates "
            f"differ from the source's by total variation {head.tv:.2f}{band}; "
            f"{_moved(estimate, head.priors)}. But {'; and '.join(reasons)}. So this estimate is not to "
            "be trusted and prior correction may hurt; close the other gaps first."
        )
    if estimate.level == "none" and estimate.within_chance and head.tv >= TV_MODERATE:
        return (
            "No label shift beyond chance: the target's estimated class proportions differ from the "
            f"source's by total variation {head.tv:.2f}{band}, as much as targets of {estimate.n_target} "
            f"samples drawn from the source itself read (p = {estimate.p_value:.2g})."
        )
    if estimate.level == "none":
        return (
            "No label shift to speak of: the target's estimated class proportions are within total "
            f"variation {head.tv:.2f}{band} of the source's."
        )
    return (
        f"{estimate.level.capitalize()} label shift: the target's class proportions differ from the "
        f"source's by total variation {head.tv:.2f}{band}; {_moved(estimate, head.priors)}. "
        + PRIOR_CORRECTION
    )


def _counted(estimate: LabelShiftEstimate) -> str:
    """With target labels: the counted shift, then the estimate as a check of the estimator."""
    assert estimate.true_prior is not None and estimate.true_tv is not None
    counted, head = estimate.true_tv, estimate.headline
    level = "none" if estimate.true_within_chance else size(counted)
    p, labels = estimate.true_p_value, estimate.counted_from()
    test = (
        ""
        if p is None
        else f" (p = {p:.3g}, {PRIOR_PERMUTATIONS} random splits of the {labels['n_source']} "
        f"{labels['source']} and {labels['n_target']} target labels pooled)"
    )
    if level != "none":
        count = estimate.counted
        priors = (estimate.true_prior, None) if count is None else (count.target_prior, count.source_prior)
        moved = f"a {level} label shift{test}; {_moved(estimate, *priors)}"
    elif size(counted) != "none":  # within chance
        moved = f"within chance at these sample sizes{test}: no label shift beyond chance"
    else:
        moved = "no label shift to speak of"
    text = (
        "Counted from the target's labels, its class proportions differ from the source's by total "
        f"variation {counted:.3f}: {moved}."
    )
    band = tv_band_words(head.tv, head.tv_band, estimate.settings.level)
    error = head.tv_to_truth
    assert error is not None  # the estimate was made with the true priors beside it
    check = (
        f"Estimated without the labels, as a check of the estimator: total variation {head.tv:.2f}{band} "
        f"from the source's, off the counted proportions by total variation {error:.3f}"
    )
    reasons = _distrust(estimate)
    if error < TV_MODERATE and not reasons:
        return f"{text} {check}: close to the truth." + (f" {PRIOR_CORRECTION}" if level != "none" else "")
    why = f": {'; and '.join(reasons)}" if reasons else ""
    return (
        f"{text} {check}: the estimator's premise (each class looks the same on both sides, only the "
        f"proportions move) fails here{why}. Do not rely on its estimate for unlabelled targets like "
        "this one."
    )
