"""How a label-shift estimate reads: with target labels the counted shift leads and the estimate is a
check of the estimator; an estimate not to be trusted never reads as a label shift."""

import math

import pytest
import torch
from scipy.stats import chi2_contingency

from tlcore.cli.explain_text import label_shift_lines
from tlcore.metrics.coverage import SIGNIFICANCE
from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.metrics.priors import class_prior

CLASSES = ("a", "b", "c")
LIGHT = LabelShiftSettings(n_bootstrap=20)
BALANCED = torch.tensor([1 / 3] * 3, dtype=torch.float64)


def _hard_logits(pred: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.nn.functional.one_hot(pred, 3).double()


def test_a_labelled_target_leads_with_the_counted_shift_and_checks_the_estimator_against_it():
    """QA (Diagnose, mnist5k -> digits): "Large label shift ... total variation 0.82" under a page
    that counted 0.6% from the target's true labels. Here a model reads every target sample as "a"
    (EM and BBSE agree on 0.67) while the target's labels are balanced like the source's."""
    y_val = torch.arange(300) % 3
    target = _hard_logits(torch.zeros(300, dtype=torch.long))
    est = estimate_label_shift(
        _hard_logits(y_val), y_val, target, CLASSES, settings=LIGHT, true_target_prior=BALANCED
    )
    assert est.consistent and est.level == "large" and est.em.tv == pytest.approx(2 / 3)
    assert est.true_tv == pytest.approx(0.0, abs=1e-12) and est.to_dict()["true_tv"] == est.true_tv
    text = est.describe()
    assert text.startswith(
        "Counted from the target's labels, its class proportions differ from the source's by total "
        "variation 0.000: no label shift to speak of. Estimated without the labels, as a check of the "
        "estimator: total variation 0.67"
    )
    assert "off the counted proportions by total variation 0.667: the estimator's premise" in text
    assert "fails here. Do not rely on its estimate for unlabelled targets like this one." in text
    assert "Large label shift" not in text and "re-weights the model's outputs" not in text
    assert label_shift_lines(est)[-1] == text  # diagnose prints the same


def test_a_labelled_target_the_estimator_reads_well_says_so():
    """Classes N(-2), N(0), N(2) with calibrated outputs, target priors (0.6, 0.3, 0.1): the counted
    shift is large, the estimate close to it, and prior correction is suggested."""
    g = torch.Generator().manual_seed(0)
    means = torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64)

    def draw(n: int, prior: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.multinomial(torch.tensor(prior), n, replacement=True, generator=g)
        x = means[y] + torch.randn(n, generator=g, dtype=torch.float64)
        return -0.5 * (x[:, None] - means) ** 2, y

    (logits_val, y_val), (logits_t, y_t) = draw(5000, [1 / 3] * 3), draw(5000, [0.6, 0.3, 0.1])
    truth = class_prior(y_t, 3)
    est = estimate_label_shift(logits_val, y_val, logits_t, CLASSES, settings=LIGHT, true_target_prior=truth)
    assert est.trusted and est.em.tv_to_truth < 0.05
    text = est.describe()
    counted = f"{est.true_tv:.3f}"
    assert text.startswith(
        f"Counted from the target's labels, its class proportions differ from the source's "
        f"by total variation {counted}: a large label shift (p = 0.000999, 1000 random splits of the 5000 "
        "source validation and 5000 target labels pooled); most over-represented a (59% vs 33%)"
    )
    assert (
        f"off the counted proportions by total variation {est.em.tv_to_truth:.3f}: close to the truth."
        in text
    )
    assert text.endswith(
        "Prior correction (method prior_correction) re-weights the model's outputs by these proportions."
    )


def test_an_estimate_not_to_be_trusted_never_opens_as_a_label_shift():
    """EM and BBSE disagree: the hard decisions are balanced (BBSE reads the source's priors, the model
    is perfect on the validation split) while the outputs lean to "a" (EM reads "a" for all). The old
    text said "neither estimate can be trusted" and went on "Large label shift: ...". Unlabelled, it is
    what the model reads; labelled, the estimator's error and why."""
    y_val = torch.arange(300) % 3
    leaning = torch.tensor([[0.98, 0.01, 0.01], [0.45, 0.55, 1e-6], [0.45, 1e-6, 0.55]], dtype=torch.float64)
    target = leaning.log()[torch.arange(300) % 3]
    settings = LabelShiftSettings(calibrate=False, n_bootstrap=0, n_null=0)
    est = estimate_label_shift(_hard_logits(y_val), y_val, target, CLASSES, settings=settings)
    assert est.level == "large" and not est.consistent and not est.trusted
    text = est.describe()
    assert text.startswith(
        "Not a measured label shift, only what the model reads: the class proportions it estimates differ "
        "from the source's by total variation 0.67; most over-represented a (100% vs 33%)"
    )
    assert "But EM and BBSE disagree (total variation 0.67 between them)" in text
    assert "label shift:" not in text.lower() and "not to be trusted and prior correction may hurt" in text
    labelled = estimate_label_shift(
        _hard_logits(y_val), y_val, target, CLASSES, settings=settings, true_target_prior=BALANCED
    )
    text = labelled.describe()
    assert text.startswith("Counted from the target's labels") and "Large label shift" not in text
    assert (
        "off the counted proportions by total variation 0.667: the estimator's premise (each class looks "
        "the same on both sides, only the proportions move) fails here: EM and BBSE disagree" in text
    )


def _counted(counts: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels ``0`` x counts[0], ``1`` x counts[1], ... and a model that reads each one right."""
    y = torch.cat([torch.full((n,), k) for k, n in enumerate(counts)])
    return y, _hard_logits(y)


@pytest.mark.parametrize(
    ("counts", "tv", "chi2", "beyond"),
    [
        # 30 validation labels 10/10/10, 30 target labels 13/9/8: TV = (3 + 1 + 2) / 2 / 30 = 0.1,
        # "moderate" by size alone; homogeneity: pooled 23/19/18, expected 11.5/9.5/9 a side,
        # chi2 = 2 (1.5²/11.5 + 0.5²/9.5 + 1²/9) = 0.666, p = exp(-0.666 / 2) = 0.717 on 2 df
        ([13, 9, 8], 0.1, 0.666, False),
        # 25/3/2: TV = (15 + 7 + 8) / 2 / 30 = 0.5; expected 17.5/6.5/6, chi2 = 15.53, p = 0.0004
        ([25, 3, 2], 0.5, 15.53, True),
    ],
)
def test_a_counted_shift_within_chance_reads_as_no_label_shift(counts, tv, chi2, beyond):
    """QA: with 30 target images a TV of 0.1 is easily chance, yet it read "a moderate label shift"."""
    y_val, logits_val = _counted([10, 10, 10])
    y_t, logits_t = _counted(counts)
    est = estimate_label_shift(
        logits_val, y_val, logits_t, CLASSES, settings=LIGHT, true_target_prior=class_prior(y_t, 3)
    )
    assert est.true_tv == pytest.approx(tv, abs=1e-6)
    statistic, p, *_ = chi2_contingency([[10, 10, 10], counts], correction=False)
    assert statistic == pytest.approx(chi2, abs=1e-2) and p == pytest.approx(math.exp(-chi2 / 2), abs=1e-3)
    # the permutation test of the pooled labels (the diagnosis's) agrees with the chi-square test
    assert (est.true_p_value < SIGNIFICANCE) == (p < SIGNIFICANCE) == beyond == (not est.true_within_chance)
    assert est.to_dict()["true_p_value"] == est.true_p_value
    text = est.describe()
    pooled = "1000 random splits of the 30 source validation and 30 target labels pooled"
    if beyond:
        assert est.true_p_value == pytest.approx(1 / 1001)
        assert text.startswith(
            "Counted from the target's labels, its class proportions differ from the source's by total "
            f"variation 0.500: a large label shift (p = 0.000999, {pooled}); most over-represented a "
            "(83% vs 33%)"
        )
        assert text.endswith("re-weights the model's outputs by these proportions.")
    else:
        assert est.true_p_value > 0.5
        assert text.startswith(
            "Counted from the target's labels, its class proportions differ from the source's by total "
            f"variation 0.100: within chance at these sample sizes (p = {est.true_p_value:.3g}, {pooled}): "
            "no label shift beyond chance. Estimated without the labels"
        )
        assert "re-weights" not in text and "moderate" not in text
