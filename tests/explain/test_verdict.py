"""The verdict's ranking on constructed findings, label shift and novelty."""

from __future__ import annotations

import pytest

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix, FixCheck
from tlcore.explain.verdict import LabelShiftSummary, rank_causes, verdict

SPECS = {"source_spec": "mnist5k", "target_spec": "upload:scans.zip"}


def finding(
    statistic: str, d: float, shift: str | None = None, after: float | None = None, resolves=()
) -> Finding:
    fix = None
    if shift is not None:
        check = None if after is None else FixCheck(1.0, after, 1.9, 1.0, 100, 100, (statistic, *resolves))
        fix = Fix(shift, 1.0, "target", f"upload:scans.zip:{shift}=1", check)
    severity = "strong" if abs(d) >= 1 else "mild" if abs(d) >= 0.5 else "none"
    return Finding(
        statistic, statistic, 0.0, d, d, severity, f"the target differs in {statistic}", "msg", fix
    )


def kinds(causes) -> list[tuple[str, str | None]]:
    return [(c.kind, c.shift or c.statistic) for c in causes]


def test_checked_fixes_rank_by_the_share_of_the_gap_they_remove():
    findings = [
        finding("contrast", -3.0, "contrast", after=0.7),
        finding("polarity", -10.0, "invert", after=0.05),
    ]
    causes = rank_causes(findings, "large", **SPECS)
    assert kinds(causes) == [("appearance", "invert"), ("appearance", "contrast"), ("adaptation", None)]
    assert causes[0].share == pytest.approx(0.95) and causes[0].fix_spec == "upload:scans.zip:invert=1"


def test_a_fix_whose_finding_a_better_fix_resolves_is_folded_into_it():
    findings = [
        finding("noise", 8.0, "noise", after=0.1, resolves=("sharpness", "brightness")),
        finding("sharpness", 4.0, "blur", after=0.6),
        finding("brightness", 2.0),
    ]
    assert kinds(rank_causes(findings, "large", **SPECS)) == [("appearance", "noise"), ("adaptation", None)]


def test_fixes_that_do_not_help_and_unfixable_findings_come_after_helpful_ones():
    findings = [
        finding("centre_y", 5.0),  # no remedy
        finding("sharpness", 4.0, "blur", after=1.2),  # checked, does not help
        finding("contrast", 1.5, "contrast", after=0.8),  # helps, 20%
        finding("range", 0.7),  # mild: not a cause
    ]
    causes = rank_causes(findings, "moderate", **SPECS)
    assert kinds(causes) == [
        ("appearance", "contrast"),
        ("appearance", "centre_y"),
        ("appearance", "blur"),
        ("adaptation", None),
    ]
    assert causes[1].share is None and causes[2].fix_spec is None


def test_label_shift_and_novelty_rank_by_their_share_among_the_fixes():
    findings = [finding("contrast", -3.0, "contrast", after=0.7)]  # 30%
    shift = LabelShiftSummary(tv=0.4, low=0.35, high=0.45, method="bbse")
    causes = rank_causes(findings, "large", label_shift=shift, novelty_share=0.2, **SPECS)
    assert [c.kind for c in causes] == ["label_shift", "appearance", "novelty", "adaptation"]
    assert "0.40 [0.35, 0.45]" in causes[0].detail and "prior" in causes[0].action
    assert "labels" in causes[2].action
    quiet = rank_causes([], "large", label_shift=LabelShiftSummary(tv=0.05), novelty_share=0.01, **SPECS)
    assert [c.kind for c in quiet] == ["adaptation"]
    assert "covered" in quiet[0].detail


def test_a_large_gap_with_no_cause_found_gets_the_recommended_recipe():
    judged = verdict([finding("noise", 0.1)], "large", **SPECS)
    assert [c.kind for c in judged.causes] == ["adaptation"]
    assert RECOMMENDED.label in judged.next_step
    assert f"--target upload:scans.zip --recipe {RECOMMENDED.name}" in judged.next_step
    assert "not measured" in judged.causes[0].detail  # coverage unknown until it is estimated


def test_no_gap_and_nothing_different_means_nothing_to_do():
    judged = verdict([finding("noise", 0.1)], "none", **SPECS)
    assert judged.causes == () and judged.next_step == "nothing to do"


def test_the_headline_says_most_only_for_a_fix_removing_half_the_gap():
    most = verdict([finding("polarity", -10.0, "invert", after=0.1)], "large", **SPECS)
    assert (
        most.headline.startswith("Most of the gap")
        and most.next_step == "use the target upload:scans.zip:invert=1"
    )
    part = verdict([finding("contrast", -3.0, "contrast", after=0.8)], "large", **SPECS)
    assert part.headline.startswith("The largest cause found")
    assert part.next_step.endswith(
        f"then adapt with the recommended recipe ({RECOMMENDED.label}) for the rest"
    )


def test_hostile_specs_are_quoted_in_the_adapt_command():
    causes = rank_causes([], "small", source_spec="a; rm -rf x", target_spec="$(touch y)")
    assert "--source 'a; rm -rf x' --target '$(touch y)'" in causes[0].action
