"""The verdict's ranking on constructed findings, label shift and novelty."""

from __future__ import annotations

import pytest

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.explain.cause_ranking import rank_causes
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary, NoveltySummary
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix, FixCheck
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.verdict import verdict

SPECS = {"source_spec": "mnist5k", "target_spec": "upload:scans.zip"}


def finding(
    statistic: str,
    d: float,
    shift: str | None = None,
    *,
    after: float | None = None,
    resolves=(),
    p_after: float | None = None,
    novelty: tuple[NoveltySummary, NoveltySummary] | None = None,
) -> Finding:
    """A finding of difference ``d``; with ``shift`` a fix, checked when ``after`` (MMD² after, of 1
    before, whose test p = 0.01; ``p_after`` the test's p-value after it; ``novelty`` the novel
    share the check measured before and after it)."""
    fix = None
    if shift is not None:
        novel = {} if novelty is None else {"novelty_before": novelty[0], "novelty_after": novelty[1]}
        check = (
            None
            if after is None
            else FixCheck(1.0, after, 1.9, 1.0, 100, 100, (statistic, *resolves), 0.01, p_after, **novel)
        )
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
    # invert accounts for 95% of the gap: nearly all, so none is left for adaptation
    assert kinds(causes) == [("appearance", "invert"), ("appearance", "contrast")]
    assert causes[0].share == pytest.approx(0.95) and causes[0].fix_spec == "upload:scans.zip:invert=1"


def test_a_fix_whose_finding_a_better_fix_resolves_is_folded_into_it():
    findings = [
        finding("noise", 8.0, "noise", after=0.1, resolves=("sharpness", "brightness")),
        finding("sharpness", 4.0, "blur", after=0.6),
        finding("brightness", 2.0),
    ]
    assert kinds(rank_causes(findings, "large", **SPECS)) == [("appearance", "noise")]  # 90%: nearly all


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


def test_label_shift_and_novelty_rank_by_their_share_of_the_gap_among_the_fixes():
    # the old ranking put label shift first on its TV (0.40) above a fix removing 30% of MMD²; on the
    # gap, drawing the source to the target priors removes 10% of it and the novel samples 20%
    findings = [finding("contrast", -3.0, "contrast", after=0.7)]  # 30%
    shift = LabelShiftSummary(tv=0.4, low=0.35, high=0.45, method="bbse", level=0.9)
    shares = GapShares(1.0, covered=0.8, label_shift=0.9)
    causes = rank_causes(
        findings, "large", label_shift=shift, novelty=NoveltySummary(0.2, True), shares=shares, **SPECS
    )
    assert [c.kind for c in causes] == ["appearance", "novelty", "label_shift", "adaptation"]
    assert [c.share for c in causes[:3]] == pytest.approx([0.3, 0.2, 0.1])
    label = causes[2]
    assert "0.40 (90% band 0.35 to 0.45)" in label.detail and "prior" in label.action
    assert "MMD² 1 -> 0.9: it accounts for 10% of the gap" in label.detail
    assert "20% of the target samples have no source neighbour" in causes[1].detail
    assert "labels" in causes[1].action
    judged = verdict(
        findings, "large", label_shift=shift, novelty=NoveltySummary(0.2, True), shares=shares, **SPECS
    )
    assert judged.headline.startswith("The largest measured cause: the target differs in contrast")
    # unmeasured (no shares, or no priors to draw by): after the measured causes, saying so
    unmeasured = rank_causes(findings, "large", label_shift=shift, novelty=NoveltySummary(0.2, True), **SPECS)
    assert [c.kind for c in unmeasured] == ["appearance", "label_shift", "novelty", "adaptation"]
    assert unmeasured[1].share is None and "share of the gap is not measured" in unmeasured[1].detail
    why = GapShares(
        1.0, covered=0.8, notes={"label_shift": "no estimated target priors to draw the source by"}
    )
    noted = rank_causes([], "large", label_shift=shift, shares=why, **SPECS)
    assert "not measured (no estimated target priors to draw the source by)" in noted[0].detail
    quiet = rank_causes(
        [], "large", label_shift=LabelShiftSummary(tv=0.05), novelty=NoveltySummary(0.01, False), **SPECS
    )
    assert [c.kind for c in quiet] == ["adaptation"]
    assert "source covers the target" in quiet[0].detail


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
    assert part.headline.startswith("The largest measured cause")
    assert part.next_step.endswith(
        f"then adapt with the recommended recipe ({RECOMMENDED.label}) for the rest"
    )


def test_a_change_no_fix_undoes_leads_to_adapting_once():
    """QA (Diagnose after "Apply this fix" rotate=-17): "Next step: adaptation has to bridge it; then
    adapt with the recommended recipe (...) for the rest", adapt, then adapt. A strong change without a
    fix (first) or whose fix does not help: the next step is the adaptation's action, said once."""
    adapt = f"adapt with the recommended recipe ({RECOMMENDED.label}): "
    for findings in ([finding("size", 3.0)], [finding("blur", 2.0, "blur", after=1.1)]):
        judged = verdict(findings, "large", **SPECS)
        assert [c.kind for c in judged.causes] == ["appearance", "adaptation"]
        assert judged.causes[0].action == "adaptation has to bridge it"
        assert judged.next_step == judged.causes[1].action and judged.next_step.startswith(adapt)
        assert (
            judged.next_step.count("adapt") == 2 and "for the rest" not in judged.next_step
        )  # adapt + command
    # a fix that helps, then the unfixed change: the fix, then adapting for the rest, as before
    both = verdict([finding("contrast", -3.0, "contrast", after=0.8), finding("size", 3.0)], "large", **SPECS)
    assert both.next_step == (
        f"use the target upload:scans.zip:contrast=1; then adapt with the recommended recipe "
        f"({RECOMMENDED.label}) for the rest"
    )


def test_hostile_specs_are_quoted_in_the_adapt_command():
    causes = rank_causes([], "small", source_spec="a; rm -rf x", target_spec="$(touch y)")
    assert "--source 'a; rm -rf x' --target '$(touch y)'" in causes[0].action


def test_a_novel_share_within_chance_is_no_cause_and_a_significant_one_is_not_called_covered():
    # QA: 1 of 10 target samples novel (10%), p = 0.0973 against chance: the source covers it
    covered = verdict([], "moderate", novelty=NoveltySummary(0.1, False, 0.0973), **SPECS)
    assert [c.kind for c in covered.causes] == ["adaptation"]
    assert "found: the source covers the target (10% without a source neighbour" in covered.headline
    new = rank_causes([], "moderate", novelty=NoveltySummary(1.0, True, 0.0), **SPECS)
    assert [c.kind for c in new] == ["novelty", "adaptation"]
    assert "p < 1e-16 against chance" in new[0].detail  # never "p = 0" (QA helper-246)
    assert "covers" not in new[1].detail and "100% of the target has no source neighbour" in new[1].detail
    few = rank_causes([], "moderate", novelty=NoveltySummary(0.03, True, 0.001), **SPECS)  # new, under 5%
    assert [c.kind for c in few] == ["adaptation"] and "a cause above" not in few[0].detail
    assert "3% of the target has no source neighbour, fewer than the 5% from which" in few[0].detail


def test_a_fix_that_removes_the_gap_is_the_whole_verdict():
    # invert: MMD² 1 -> -0.06 (test p 0.01 -> 0.9); novelty measured before it is no cause of its own,
    # and no strong finding is left for adaptation to bridge
    findings = [
        finding("polarity", -10.0, "invert", after=-0.06, p_after=0.9, resolves=("brightness",)),
        finding("brightness", 14.0),
        finding("centre_y", 3.0),
    ]
    judged = verdict(findings, "large", novelty=NoveltySummary(1.0, True, 0.0), **SPECS)
    assert [(c.kind, c.shift) for c in judged.causes] == [("appearance", "invert")]
    first = judged.causes[0]
    assert first.share == 1.0 and "removes the gap" in first.detail and "106%" not in first.detail
    assert (
        "100% of the target had no source neighbour before it: diagnose again once that is done"
        in first.detail
    )
    assert judged.next_step == "use the target upload:scans.zip:invert=1"
    assert judged.folded  # the diagnosis's sentence then reads it as part of that fix, no "yet no cause"


def test_a_fix_removing_most_of_the_gap_folds_novelty_and_leaves_the_rest_to_adaptation():
    findings = [finding("contrast", -1.8, "contrast", after=0.45, p_after=0.01), finding("brightness", 5.5)]
    causes = rank_causes(findings, "large", novelty=NoveltySummary(1.0, True, 0.0), **SPECS)
    assert kinds(causes) == [("appearance", "contrast"), ("appearance", "brightness"), ("adaptation", None)]
    assert causes[0].share == pytest.approx(0.55) and "shrinks MMD² by 55%" in causes[0].detail
    assert "before the fix; diagnose again once that is done" in causes[2].detail


def test_no_detectable_gap_is_said_first_and_a_handful_of_samples_is_said_too():
    # a fix that shrinks an insignificant MMD² on 2 + 2 samples: no "most of the gap", no adaptation
    findings = [finding("ink_fill", -1.3, "occlusion", after=0.67), finding("slant", 1.2)]
    judged = verdict(findings, "none", novelty=NoveltySummary(0.5, False, 0.5), samples=(2, 2), **SPECS)
    assert judged.headline.startswith(
        "No detectable gap (neither the MMD test nor the domain classifier tells the domains apart), yet:"
    )
    assert "Most of the gap" not in judged.headline
    assert [(c.kind, c.shift) for c in judged.causes] == [("appearance", "occlusion")]
    assert judged.headline.endswith(
        "Only 2 source and 2 target samples: too few for the tests to find any but a gross difference; "
        "collect at least 30 per side and diagnose again."
    )
    quiet = verdict([finding("noise", 0.1)], "none", samples=(2000, 10), **SPECS)
    assert "Only 10 target samples" in quiet.headline and quiet.next_step != "nothing to do"


def test_no_gap_names_the_findings_that_fire_and_tables_are_no_images():
    mild = verdict([finding("sharpness", -0.7), finding("noise", 0.1)], "none", **SPECS)
    assert "nothing in the images differs" not in mild.headline
    assert "the images differ (the target differs in sharpness)" in mild.headline
    table = verdict([], "none", **SPECS)
    assert "images" not in table.headline and table.next_step == "nothing to do"


def test_target_classes_the_source_lacks_and_source_classes_the_target_lacks_are_causes():
    # the old ranking put the missing classes first on their share of the source (28%) above the new
    # classes' share of the target (11%); on the gap: with the new classes MMD² is 1.25, without them
    # 1 (20% of 1.25), and drawing the source without "c" removes 10% of the rest (8% of 1.25)
    classes = ClassMismatch(new={"9": 159}, n_target=1500, missing={"c": 0.28})
    shares = GapShares(1.0, missing_classes=0.9, with_new_classes=1.25)
    judged = verdict([], "none", classes=classes, shares=shares, **SPECS)
    assert [c.kind for c in judged.causes] == ["new_classes", "missing_classes"]
    new, missing = judged.causes
    assert missing.share == pytest.approx(0.08) and "prior" in missing.action
    assert "28% of the source is of classes" in missing.detail
    assert new.title == "the target has classes the source lacks (9)"
    assert new.share == pytest.approx(0.2) and "159 of 1500 target samples" in new.detail
    assert "With them MMD² is 1.25, without 1: they account for 20% of the gap." in new.detail
    assert new.action.startswith("label samples of 9 in the source")
    assert "Also: the target has no samples of source classes (c) (8% of the gap)." in judged.headline


def test_novelty_is_a_cause_only_if_it_remains_after_the_fix_that_leaves_the_least():
    # new before any fix (25%, as a rotated and coloured target reads); two fixes each remove a third
    # of MMD², so no fix explains most of the gap and the novel share before them was a cause
    novel = NoveltySummary(0.25, True, 1e-12)
    seen = NoveltySummary(0.41, True, 1e-12)  # the checks' own share before their fixes

    def judged(rotate_after: NoveltySummary) -> list:
        findings = [
            finding("colour", 3.2, "colour", after=0.64, novelty=(seen, NoveltySummary(0.29, True, 1e-12))),
            finding("slant", 2.5, "rotate", after=0.68, novelty=(seen, rotate_after)),
        ]
        return rank_causes(findings, "large", novelty=novel, shares=GapShares(1.0, covered=0.85), **SPECS)

    gone = judged(NoveltySummary(0.01, False, 0.62))  # rotating back leaves no more than chance
    assert kinds(gone) == [("appearance", "colour"), ("appearance", "rotate"), ("adaptation", None)]
    assert gone[1].detail.endswith(
        "41% of the target had no source neighbour before it, 1% after it: no more than chance gives: "
        "the same kind of data, seen differently."
    )
    assert "the source covers the target once rotate=1 on the target is applied (1% without" in gone[2].detail
    kept = judged(NoveltySummary(0.2, True, 1e-9))  # still significantly new after the best of them
    assert kinds(kept) == [
        ("appearance", "colour"),
        ("appearance", "rotate"),
        ("novelty", None),
        ("adaptation", None),
    ]
    assert kept[2].share == pytest.approx(0.15)  # MMD² 1 -> 0.85 without them, before any fix
    assert (
        "(before any fix, as every share), MMD² 1 -> 0.85: it accounts for 15% of the gap" in kept[2].detail
    )
    assert (
        "25% of the target samples have no source neighbour, and 20% still have none after rotate=1"
        in kept[2].detail
    )
    few = judged(NoveltySummary(0.03, True, 0.01))  # still new, but below NOVELTY_MIN
    assert [c.kind for c in few] == ["appearance", "appearance", "adaptation"]
    assert (
        "3% of the target has no source neighbour once rotate=1 on the target is applied (41% before)"
        in few[2].detail
    )
    # a fix removing most of the gap no longer hides a novel share its check still finds
    most = [finding("colour", 3.2, "colour", after=0.3, novelty=(seen, NoveltySummary(0.2, True, 1e-9)))]
    assert [c.kind for c in rank_causes(most, "large", novelty=novel, **SPECS)] == [
        "appearance",
        "novelty",
        "adaptation",
    ]
