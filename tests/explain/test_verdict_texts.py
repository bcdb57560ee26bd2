"""The verdict's texts say where their numbers come from and read as one story with the diagnosis
(QA helper-39 on the Diagnose page and ``diagnose``)."""

from __future__ import annotations

from dataclasses import replace

from tests.explain.test_verdict import SPECS, finding
from tlcore.explain.cause_ranking import rank_causes
from tlcore.explain.causes import Cause, unfixed_cause
from tlcore.explain.evidence import NoveltySummary
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.headline import first_words
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.verdict import verdict

BASIS = ExplainSettings().basis(500, 400)


def test_the_basis_is_one_phrase_said_with_every_fix_check_number():
    assert BASIS == "on the fix check's 500+400 samples, 20 PCA dims"
    findings = [finding("contrast", -3.0, "contrast", after=0.7)]
    shares = GapShares(1.0, covered=0.8)
    causes = rank_causes(
        findings, "large", novelty=NoveltySummary(0.2, True), shares=shares, basis=BASIS, **SPECS
    )
    assert f"(MMD² 1 -> 0.7 {BASIS})" in causes[0].detail
    assert f"MMD² 1 -> 0.8 {BASIS}: it accounts for 20% of the gap" in causes[1].detail
    # the sentence after a fix names its check's samples too
    novel = (NoveltySummary(0.2, True, 0.0), NoveltySummary(0.03, True, 0.0))
    rotated = [finding("slant", 1.5, "rotate", after=0.8, novelty=novel)]
    judged = verdict(rotated, "large", novelty=NoveltySummary(0.2, True, 0.0), basis=BASIS, **SPECS)
    assert f"(20% before {BASIS}), fewer than the 5% from which new data is a cause" in judged.coverage
    assert judged.coverage in judged.causes[-1].detail and not judged.counts_novelty


def test_what_a_fix_also_evens_out_is_named_by_its_label():
    findings = [finding("slant", 1.5, "rotate", after=0.8, resolves=("ink_size",))]
    (cause, _) = rank_causes(findings, "large", **SPECS)
    assert cause.detail.endswith("and also evens out: ink bounding box side.")
    assert "ink_size" not in cause.detail


def test_the_headline_names_the_largest_measured_cause_and_says_which_have_no_share():
    findings = [
        finding("slant", 0.9, "rotate", after=0.81),
        finding("sharpness", -3.0),
        finding("range", -1.2),
    ]
    judged = verdict(findings, "large", **SPECS)
    assert judged.headline.startswith("The largest measured cause: the target differs in slant.")
    assert judged.headline.endswith(
        "Also found, with no share of the gap measured (no helpful fix or removal to measure it by): "
        "the target differs in sharpness; the target differs in range."
    )
    assert [c.describe_share() for c in judged.causes] == ["accounts for 19% of the gap", "", "", ""]


def test_the_headline_says_a_cause_once_when_its_detail_opens_with_its_title():
    """The default pair's verdict read "the target has objects turned further counter-clockwise. The
    target has objects turned further counter-clockwise than the source (…)"; a detail that repeats
    the title stands for both, and one that does not keeps the title before it."""
    repeated = Cause(
        "appearance",
        "the target has more ink",
        "The target has more ink than the source (share of ink pixels 0.133 -> 0.168).",
        "",
        share=0.19,
    )
    assert first_words(repeated, "large", foreign=False) == (
        "The largest measured cause: the target has more ink than the source (share of ink pixels "
        "0.133 -> 0.168)."
    )
    other = Cause("appearance", "the target differs in polarity", "Its ink is dark on light.", "", share=0.6)
    assert first_words(other, "large", foreign=False) == (
        "Most of the gap: the target differs in polarity. Its ink is dark on light."
    )


def test_why_a_cause_has_no_fix_is_said_inside_its_sentence():
    """QA on the default pair with n=600/400: the verdict read "... expect them to look blurrier. (no
    registered shift undoes it.) Also found ..."."""
    size = replace(
        finding("size", -3.6),
        message="The target's images were smaller (28x28 -> 8x8) and were enlarged to the source's size: "
        "expect them to look blurrier.",
    )
    assert unfixed_cause(size).detail == (
        "The target's images were smaller (28x28 -> 8x8) and were enlarged to the source's size: expect "
        "them to look blurrier (no registered shift undoes it)."
    )
    noted = replace(
        size, fix=replace(finding("size", -3.6, "rotate").fix, note="a side is not named by a spec.")
    )
    assert unfixed_cause(noted).detail.endswith("blurrier (a side is not named by a spec).")
