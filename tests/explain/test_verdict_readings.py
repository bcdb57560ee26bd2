"""The verdict's headline and the diagnosis's novelty sentence read on constructed evidence (QA
helper-58: browser and CLI alike)."""

from __future__ import annotations

from tests.explain.test_verdict import SPECS, finding
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary, NoveltySummary
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.result import Explanation
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.verdict import Verdict, verdict
from tlcore.metrics.coverage import Novelty, NoveltySettings
from tlcore.metrics.gap import Gap

BASIS = ExplainSettings().basis(500, 500)


def test_every_also_item_with_a_measured_share_carries_it():
    # QA: "Also: mean_texture moved +1.9 source SDs" while the cause list gave it 42% of the gap
    findings = [
        finding("polarity", -10.0, "invert", after=0.4),  # 60%: first
        finding("slant", 1.5, "rotate", after=0.8),  # 20%
    ]
    classes = ClassMismatch(new={"9": 100}, n_target=1000, missing={})
    shift = LabelShiftSummary(0.3, method="em")
    shares = GapShares(1.0, label_shift=0.7, with_new_classes=1.1)  # new classes 9%, the rest scaled
    judged = verdict(findings, "large", label_shift=shift, classes=classes, shares=shares, **SPECS)
    assert [c.kind for c in judged.causes[:4]] == ["appearance", "label_shift", "appearance", "new_classes"]
    assert judged.headline.startswith("Most of the gap: the target differs in polarity.")
    also = (
        " Also: the class proportions moved (27% of the gap); the target differs in slant (18% of the gap); "
        "the target has classes the source lacks (9) (9% of the gap)."
    )
    assert also in judged.headline
    shares_said = [c.describe_share() for c in judged.causes[1:4]]
    assert shares_said == [f"accounts for {p} of the gap" for p in ("27%", "18%", "9%")]


def gap() -> Gap:
    return Gap(mmd2=0.011, p_value=0.001, coral=0.001, a_distance=1.97, n_source=5000, n_target=1797)


def diagnosed_novelty() -> Novelty:
    """13.1% of 1797 target samples new, about 1% by chance (as mnist5k -> digits reads in a run's
    features)."""
    return Novelty(0.131, 236, 1797, 0.01, 0.0, 1.0, 5000, (), (), NoveltySettings())


def explained(judged: Verdict) -> Explanation:
    return Explanation("s", "t", "s", "t", True, "", ExplainSettings(), gap(), judged)


def test_the_novelty_sentence_says_where_each_share_is_measured():
    # QA: "13.1% of your target ... more than chance gives, yet no cause in the verdict: 3% of the
    # target ... (5% before ...)": the 13.1% was in the run's model features, the 5% -> 3% in the fix
    # check's raw features, read as a contradiction
    checked = (NoveltySummary(0.05, True, 0.0), NoveltySummary(0.03, True, 0.0))
    rotated = [finding("slant", 1.5, "rotate", after=0.8, novelty=checked)]
    judged = verdict(rotated, "large", novelty=NoveltySummary(0.131, True, 0.0), basis=BASIS, **SPECS)
    assert judged.elsewhere and not judged.counts_novelty
    head = "(about 1.0% by chance): more than chance gives"
    after = (
        "3% of the target has no source neighbour once rotate=1 on the target is applied (5% before "
        f"{BASIS}), fewer than the 5% from which new data is a cause."
    )
    said = explained(judged).describe_coverage(diagnosed_novelty(), "model")
    assert (
        f"{head} in the model's features, yet no cause in the verdict, which reads the novel share in raw "
        f"features on the fix checks' samples: {after}"
    ) in said
    raw = explained(judged).describe_coverage(diagnosed_novelty(), "raw-pca50")
    assert (
        f"{head} on every sample, yet no cause in the verdict, which reads the novel share on the fix "
        f"checks' samples: {after}"
    ) in raw
    # read before any fix, the verdict's share is the diagnosis's own: nothing to tell apart
    below = verdict([], "large", novelty=NoveltySummary(0.03, True, 0.0), **SPECS)
    assert not below.elsewhere
    assert (
        f"{head}, yet no cause in the verdict: 3% of the target has no source neighbour, fewer than"
    ) in explained(below).describe_coverage(diagnosed_novelty(), "model")
