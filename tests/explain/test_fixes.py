"""Fixes: the spec they write, the value they search, and the check that re-measures the gap."""

from __future__ import annotations

import pytest

from tlcore.data import harmonise, load_domain
from tlcore.errors import TLError
from tlcore.explain.explanation import explain
from tlcore.explain.fixes import COMBINE, FixCheck, fix_spec
from tlcore.explain.image_stats import image_stats
from tlcore.explain.remedies import REMEDIES, search_value
from tlcore.explain.settings import ExplainSettings

SMALL = ExplainSettings(max_images=400, search_images=128, check_samples=300, check_permutations=50)


def test_fix_spec_adds_the_shift_or_folds_it_into_the_spec():
    assert fix_spec("upload:scans.zip", "invert", 1.0) == "upload:scans.zip:invert=1"
    assert fix_spec("mnist5k:n=200", "blur", 0.75) == "mnist5k:n=200,blur=0.75"
    assert fix_spec("mnist5k:invert=1", "invert", 1.0) == "mnist5k"  # inverted twice: nothing left
    assert fix_spec("mnist5k:contrast=0.5", "contrast", 2.0) == "mnist5k"
    assert fix_spec("fashion:split=test,rotate=30", "rotate", -20.0) == "fashion:split=test,rotate=10"
    assert fix_spec("mnist5k:blur=3", "blur", 4.0) == "mnist5k:blur=5"  # sqrt(9 + 16)
    with pytest.raises(TLError, match="already has colour"):
        fix_spec("mnist5k:colour=0.5", "colour", 0.5)
    with pytest.raises(TLError, match="out of range"):
        fix_spec("mnist5k:scale=4", "scale", 2.0)


def test_combined_invert_probability_is_the_share_inverted_once():
    assert COMBINE["invert"](0.8, 1.0) == pytest.approx(0.2)
    assert COMBINE["invert"](0.3, 0.5) == pytest.approx(0.5)


def test_search_finds_the_contrast_that_undoes_a_halving():
    source = load_domain("mnist5k:n=300")
    target = load_domain("mnist5k:n=300,contrast=0.5")  # the same images, contrast halved
    goal = image_stats(source).get("contrast").mean
    assert search_value(REMEDIES["contrast"], target, goal, seed=0) == pytest.approx(2.0, abs=0.1)


def test_inverting_an_inverted_target_is_suggested_checked_and_shrinks_the_gap():
    source = load_domain("mnist5k:n=600")
    source, target = harmonise(source, load_domain("mnist5k:n=600,invert=1", seed=0))
    explanation = explain(source, target, settings=SMALL)
    polarity = next(f for f in explanation.findings if f.statistic == "polarity")
    fix = polarity.fix
    assert fix is not None and (fix.shift, fix.value, fix.side, fix.spec) == (
        "invert",
        1.0,
        "target",
        "mnist5k:n=600",  # the inversion folded away
    )
    check = fix.check
    assert check is not None and check.helps
    assert check.mmd2_after < 0.05 * check.mmd2_before
    assert {"polarity", "background", "brightness"} <= set(check.resolves)
    first = explanation.verdict.causes[0]
    assert (first.kind, first.shift, first.fix_spec, first.fix_side) == (
        "appearance",
        "invert",
        "mnist5k:n=600",
        "target",
    )
    assert "mnist5k:n=600" in explanation.verdict.next_step


def test_a_fix_helps_only_when_it_shrinks_mmd2_by_a_tenth():
    def check(before: float, after: float) -> FixCheck:
        return FixCheck(before, after, 1.0, 1.0, 10, 10)

    assert check(1.0, 0.89).helps and not check(1.0, 0.91).helps and not check(1.0, 1.5).helps
    assert check(0.0, 0.1).relative_change == 0.0


def test_a_fix_check_says_plainly_when_there_was_no_gap_and_caps_what_it_removes():
    # QA: MMD² -0.0106 -> -0.0263 was shown "(+0%, does not help)"
    none = FixCheck(-0.0106, -0.0263, 0.0, 0.0, 10, 10, (), 0.6, 0.7)
    assert none.describe_change() == "no measurable gap to shrink: MMD² was at most 0 before"
    assert not none.helps and not none.removes_gap
    # MMD² 0.773 -> -0.046: -106%, shown as all of it
    gone = FixCheck(0.773, -0.046, 2.0, 0.0, 10, 10, (), 0.01, 0.9)
    assert gone.shrinks_by == 1.0 and gone.removes_gap
    assert gone.describe_change() == "-100%, removes the gap"
    # a gap the test did not find before is not "removed"
    insignificant = FixCheck(0.159, 0.106, 0.0, 0.0, 2, 2, (), 0.366, 0.5)
    assert insignificant.helps and not insignificant.removes_gap
    assert insignificant.describe_change() == "-33%"
    assert FixCheck(1.0, 1.09, 1.0, 1.0, 10, 10).describe_change() == "+9%, does not help"
