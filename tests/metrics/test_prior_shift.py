"""BBSE and EM on synthetic predictors with known priors; their formulas; bands; degenerate inputs."""

import json
import math
from dataclasses import replace

import pytest
import torch

from tlcore.cli.explain_text import label_shift_lines
from tlcore.errors import TLError
from tlcore.metrics.coverage import novelty
from tlcore.metrics.per_class import total_variation
from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.metrics.prior_shift_words import TV_MODERATE
from tlcore.metrics.priors import class_prior, prior_log_ratio
from tlcore.views.explain_figures import class_proportions_figure

CLASSES = ("a", "b", "c")
EXACT = LabelShiftSettings(calibrate=False, n_bootstrap=0, tol=1e-12, max_iter=100000)
LIGHT = LabelShiftSettings(n_bootstrap=20)


def _hard_logits(pred: torch.Tensor, k: int = 3) -> torch.Tensor:
    """Logits whose argmax is ``pred`` (a black-box predictor's hard decisions)."""
    return 10.0 * torch.nn.functional.one_hot(pred, k).double()


def _counts_to_labels(counts: list[int]) -> torch.Tensor:
    return torch.cat([torch.full((n,), i) for i, n in enumerate(counts)])


def test_bbse_inverts_an_exact_confusion_matrix():
    """Lipton et al.: q = C w. p(ŷ | y) is [[.8,.1,.1],[.1,.7,.2],[.1,.2,.7]] (columns y), the source
    validation split has 100 per class, the target's priors (0.5, 0.3, 0.2) give q = (.45, .30, .25)."""
    conditional = [[80, 10, 10], [10, 70, 20], [10, 20, 70]]  # conditional[y] = counts of ŷ
    y_val = torch.cat([torch.full((100,), y) for y in range(3)])
    pred_val = torch.cat([_counts_to_labels(conditional[y]) for y in range(3)])
    pred_target = _counts_to_labels([45, 30, 25])
    est = estimate_label_shift(
        _hard_logits(pred_val), y_val, _hard_logits(pred_target), CLASSES, settings=EXACT
    )
    assert est.bbse.priors == pytest.approx((0.5, 0.3, 0.2), abs=1e-9)
    assert est.source_prior == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert est.bbse.tv == pytest.approx(0.5 * sum(abs(p - 1 / 3) for p in (0.5, 0.3, 0.2)))
    assert est.bbse.note == "" and est.bbse.detail["rank"] == 3
    # sigma_min is the smallest singular value of the joint matrix C[i, j] = p(ŷ = i, y = j)
    C = torch.tensor(conditional, dtype=torch.float64).T / 300
    assert est.bbse.detail["sigma_min"] == pytest.approx(float(torch.linalg.svdvals(C)[-1]))


def _gaussian_pair(n_val: int, n_target: int, target_prior: list[float], seed: int = 0):
    """1-D classes N(-2), N(0), N(2), balanced source; logits = the exact log-posterior under the
    source priors (a calibrated predictor), so EM and BBSE both apply."""
    g = torch.Generator().manual_seed(seed)
    means = torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64)

    def draw(n: int, prior: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.multinomial(torch.tensor(prior), n, replacement=True, generator=g)
        x = means[y] + torch.randn(n, generator=g, dtype=torch.float64)
        return -0.5 * (x[:, None] - means) ** 2, y  # log N(x; mu_y, 1) + const (uniform source prior)

    (logits_val, y_val), (logits_t, y_t) = draw(n_val, [1 / 3] * 3), draw(n_target, target_prior)
    return logits_val, y_val, logits_t, y_t


@pytest.mark.parametrize("calibrate", [False, True])
def test_em_and_bbse_recover_known_priors_on_large_samples(calibrate):
    truth = [0.6, 0.3, 0.1]
    logits_val, y_val, logits_t, y_t = _gaussian_pair(20000, 20000, truth)
    settings = LabelShiftSettings(calibrate=calibrate, n_bootstrap=30)
    est = estimate_label_shift(
        logits_val, y_val, logits_t, CLASSES, settings=settings, true_target_prior=class_prior(y_t, 3)
    )
    for estimate in (est.em, est.bbse):
        assert estimate.tv_to_truth < 0.02, estimate
        assert all(
            lo <= t <= hi for lo, t, hi in zip(estimate.low, est.true_prior, estimate.high, strict=True)
        )
        assert sum(estimate.priors) == pytest.approx(1.0)
    assert est.em.detail["converged"] and est.tv == est.em.tv and est.level == "large" and est.consistent
    assert (est.calibration is not None) == calibrate
    if calibrate:  # the logits are already calibrated: BCTS keeps them (scale 1, no bias)
        assert est.calibration.scale == pytest.approx(1.0, abs=0.05)
        assert max(map(abs, est.calibration.bias)) - min(est.calibration.bias) < 0.1


def test_em_stops_at_the_fixed_point_of_the_stated_update():
    """At the returned priors, one more step of p_t(y|x) ∝ π(y)/π_s(y) p_s(y|x), π = mean p_t is idle."""
    logits_val, y_val, logits_t, _ = _gaussian_pair(3000, 2000, [0.2, 0.2, 0.6], seed=1)
    est = estimate_label_shift(logits_val, y_val, logits_t, CLASSES, settings=EXACT)
    prior = torch.tensor(est.em.priors, dtype=torch.float64)
    source = torch.tensor(est.source_prior, dtype=torch.float64)
    adjusted = logits_t.softmax(1) * (prior / source)
    adjusted = adjusted / adjusted.sum(1, keepdim=True)
    assert adjusted.mean(0).tolist() == pytest.approx(est.em.priors, abs=1e-9)


def test_no_shift_reads_as_none_and_the_band_holds_the_source():
    logits_val, y_val, logits_t, _ = _gaussian_pair(3000, 3000, [1 / 3] * 3, seed=2)
    est = estimate_label_shift(logits_val, y_val, logits_t, CLASSES)
    assert est.level == "none" and est.tv < 0.05
    assert est.describe().startswith("No label shift to speak of")
    assert all(lo <= 1 / 3 <= hi for lo, hi in zip(est.em.low, est.em.high, strict=True))


def test_bootstrap_is_seeded_and_json_safe():
    logits_val, y_val, logits_t, _ = _gaussian_pair(500, 400, [0.5, 0.4, 0.1], seed=3)
    first, again = (
        estimate_label_shift(logits_val, y_val, logits_t, CLASSES, settings=LIGHT) for _ in range(2)
    )
    other = estimate_label_shift(
        logits_val, y_val, logits_t, CLASSES, settings=LabelShiftSettings(n_bootstrap=20, seed=1)
    )
    assert first.to_dict() == again.to_dict()
    assert first.em.low != other.em.low and first.em.priors == other.em.priors
    payload = json.loads(json.dumps(first.to_dict()))
    assert payload["headline"] == "em" and payload["tv"] == first.em.tv and payload["level"] == first.level
    assert payload["em"]["tv_band"][0] <= payload["em"]["tv_band"][1]
    text = first.describe()
    assert "label shift" in text and "most over-represented a" in text


def test_a_class_never_predicted_gives_a_note_not_a_crash():
    """The predictor never outputs c: C has a zero row and is singular."""
    y_val = torch.arange(300) % 3
    pred_val = torch.where(y_val == 2, torch.zeros_like(y_val), y_val)
    pred_t = torch.arange(200) % 2
    est = estimate_label_shift(_hard_logits(pred_val), y_val, _hard_logits(pred_t), CLASSES, settings=LIGHT)
    assert est.bbse.detail["rank"] == 2
    assert "singular" in est.bbse.note and "never predicts c" in est.bbse.note
    assert all(math.isfinite(p) for p in est.bbse.priors) and sum(est.bbse.priors) == pytest.approx(1.0)
    assert "BBSE: the confusion matrix is singular" in est.describe()


def test_a_class_missing_from_the_source_validation_split_stays_at_zero():
    y_val = torch.arange(200) % 2  # no sample of c
    logits_val = _hard_logits(y_val) * 0.3
    logits_t = _hard_logits(torch.arange(100) % 3) * 0.3
    est = estimate_label_shift(logits_val, y_val, logits_t, CLASSES, settings=LIGHT)
    assert est.source_prior[2] == 0.0 and est.em.priors[2] == 0.0
    assert "no source validation samples of c" in est.em.note
    assert "no source validation samples of c" in est.bbse.note


def test_disagreeing_estimators_flag_a_broken_premise():
    """Every target output is flat: its hard decision (the first of the tied classes) says "a", so
    BBSE reads (1, 0, 0); EM learns nothing from it and keeps the source priors. They disagree."""
    y_val = torch.arange(300) % 3
    logits_t = torch.zeros(300, 3, dtype=torch.float64)
    est = estimate_label_shift(_hard_logits(y_val), y_val, logits_t, CLASSES, settings=EXACT)
    assert est.bbse.priors == pytest.approx((1.0, 0.0, 0.0))
    assert est.em.priors == pytest.approx(est.source_prior)
    assert est.disagreement == pytest.approx(
        total_variation(torch.tensor(est.em.priors), torch.tensor(est.bbse.priors))
    )
    text = est.describe()
    assert not est.consistent and text.startswith("Not a measured label shift, only what the model reads")
    assert "EM and BBSE disagree (total variation 0.67 between them)" in text


def test_a_collapsed_model_has_a_degenerate_band_and_a_target_outside_the_support_is_not_trusted():
    """QA: a model that reads every target sample as "a" (certain, as far-out inputs make it) gives the
    same estimate on every resample: its band is said to be degenerate, not "0.67 to 0.67". With the
    target's features far outside the source's, the shift it claims is not to be trusted; the same
    estimate with the target inside the source's support is."""
    y_val = torch.arange(300) % 3
    est = estimate_label_shift(
        _hard_logits(y_val), y_val, _hard_logits(torch.zeros(200, dtype=torch.long)), CLASSES, settings=LIGHT
    )
    assert est.em.tv == pytest.approx(2 / 3) and est.em.tv_band == pytest.approx((2 / 3, 2 / 3))
    assert "band degenerate" in est.describe() and "0.67 to 0.67" not in est.describe()
    g = torch.Generator().manual_seed(0)
    features_val = torch.randn(300, 4, generator=g)
    inside, outside = torch.randn(200, 4, generator=g), 1000 + torch.randn(200, 4, generator=g)
    trusted = replace(est, support=novelty(features_val, inside))
    assert trusted.support.level == "covered" and trusted.trusted and not trusted.outside_support
    assert "re-weights the model's outputs" in trusted.describe()
    doubted = replace(est, support=novelty(features_val, outside))
    assert doubted.support.share == 1.0 and doubted.outside_support and not doubted.trusted
    assert doubted.consistent  # EM and BBSE agree: only the support tells
    text = doubted.describe()
    assert "100% of the target lies outside the source's support" in text and "not to be trusted" in text
    assert "re-weights the model's outputs" not in text and doubted.to_dict()["outside_support"] is True
    # QA helper-53: it went on "Large label shift: ..." and its chart was titled as any other
    assert "label shift: the target's class proportions" not in text.lower()
    assert text.startswith("Not a measured label shift, only what the model reads: the class proportions it")
    assert trusted.describe().startswith("Large label shift: the target's class proportions differ")
    title = class_proportions_figure(doubted).layout.title.text
    assert title.replace("<br>", " ") == "Class proportions: estimates not to be trusted"  # wrapped: 1024 px
    assert class_proportions_figure(trusted).layout.title.text == "Class proportions"
    assert label_shift_lines(doubted)[0].endswith("not to be trusted (below):")
    assert label_shift_lines(trusted)[0].endswith("target samples):")


def test_prior_log_ratio_is_the_log_ratio_with_a_floor():
    target, source = torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.25, 0.25, 0.5])
    shift = prior_log_ratio(target, source)
    assert shift[:2].tolist() == pytest.approx([math.log(2.0)] * 2)
    assert shift[2].item() == pytest.approx(math.log(1e-6 / 0.5))


def test_bad_input_is_one_line():
    logits = torch.zeros(10, 3)
    with pytest.raises(TLError, match="the model gives 4 outputs, the source has 3 classes"):
        estimate_label_shift(torch.zeros(10, 4), torch.zeros(10, dtype=torch.long), logits, CLASSES)
    with pytest.raises(TLError, match="needs a labelled source validation split"):
        estimate_label_shift(logits, torch.zeros(9, dtype=torch.long), logits, CLASSES)
    with pytest.raises(TLError, match="level"):
        LabelShiftSettings(level=1.0)


def _soft_logits(y: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A fair three-class model's outputs: its class 2.5 above the others, plus unit noise."""
    return 2.5 * torch.nn.functional.one_hot(y, 3).double() + torch.randn(
        len(y), 3, generator=g, dtype=torch.float64
    )


def test_the_estimates_test_draws_targets_of_its_size_from_the_source():
    g = torch.Generator().manual_seed(0)
    y_val = torch.randint(0, 3, (300,), generator=g)
    logits_val = _soft_logits(y_val, g)
    settings = LabelShiftSettings(n_bootstrap=0)
    # 40 target samples of the source's own proportions: a moderate TV by noise alone, within chance
    same = estimate_label_shift(
        logits_val,
        y_val,
        _soft_logits(torch.randint(0, 3, (40,), generator=g), g),
        CLASSES,
        settings=settings,
    )
    assert same.tv >= TV_MODERATE and same.p_value > 0.05 and same.within_chance and same.level == "none"
    assert same.describe().startswith(
        "No label shift beyond chance: the target's estimated class proportions"
    )
    assert (
        f"as much as targets of 40 samples drawn from the source itself read (p = {same.p_value:.2g})"
        in same.describe()
    )
    assert same.to_dict()["p_value"] == same.p_value
    # 200 of proportions 0.8 / 0.1 / 0.1: no null draw of 200 reads as large a TV
    skewed = torch.multinomial(torch.tensor([0.8, 0.1, 0.1]), 200, replacement=True, generator=g)
    moved = estimate_label_shift(logits_val, y_val, _soft_logits(skewed, g), CLASSES, settings=settings)
    assert moved.p_value == 1 / (1 + settings.n_null) and moved.level == "large" and not moved.within_chance
    # without null draws: no test, and the level by the TV alone
    again = estimate_label_shift(
        logits_val, y_val, _soft_logits(skewed, g), CLASSES, settings=replace(settings, n_null=0)
    )
    assert again.p_value is None and again.level == "large"


def test_a_band_above_the_estimate_says_why():
    """QA: 0.26 with a band of 0.34 to 0.60 on 12 images read as a contradiction. Resampling noise
    adds to a distance, so on 12 targets of the source's own priors every band bound sits above the
    estimate (0.06): the text says so instead of printing the band bare."""
    logits_val, y_val, logits_t, _ = _gaussian_pair(500, 12, [1 / 3] * 3, seed=0)
    est = estimate_label_shift(logits_val, y_val, logits_t, CLASSES)
    low, high = est.em.tv_band
    assert est.em.tv == pytest.approx(0.059, abs=1e-3) and low > est.em.tv
    assert f"(90% band {low:.2f} to {high:.2f}, above the estimate: resampling noise" in est.describe()
    within = _gaussian_pair(500, 12, [1 / 3] * 3, seed=1)
    wide = estimate_label_shift(*within[:3], CLASSES)
    assert wide.em.tv_band[0] <= wide.em.tv and "above the estimate" not in wide.describe()
