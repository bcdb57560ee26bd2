"""The verdict's headline read on constructed evidence (QA helper-58: browser and CLI alike)."""

from __future__ import annotations

from tests.explain.test_verdict import SPECS, finding
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.verdict import verdict


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
        " Also: the class proportions moved (27%); the target differs in slant (18%); the target has "
        "classes the source lacks (9) (9%)."
    )
    assert also in judged.headline
    shares_said = [c.describe_share() for c in judged.causes[1:4]]
    assert shares_said == [f"accounts for {p} of the gap" for p in ("27%", "18%", "9%")]
