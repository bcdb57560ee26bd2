"""A slant is an axis: it cannot tell a turn of +90° from one of -90°, so a large rotation's fix is
checked with both signs (QA: a Fashion-MNIST target rotated by 90° was told ``rotate=90``, which
turns it upside down)."""

from __future__ import annotations

import pytest

from tlcore.data import harmonise, load_domain
from tlcore.explain.explanation import explain
from tlcore.explain.findings import Finding
from tlcore.explain.settings import ExplainSettings

SMALL = ExplainSettings(max_images=400, search_images=128, check_samples=300, check_permutations=50)


def slant(target_spec: str, source_spec: str = "fashion:n=300") -> Finding:
    source, target = harmonise(load_domain(source_spec), load_domain(target_spec, seed=0))
    explanation = explain(source, target, settings=SMALL)
    return next(f for f in explanation.findings if f.statistic == "slant")


@pytest.mark.parametrize(("turn", "undo", "words"), [(90, -90, "counter-clockwise"), (-90, 90, "clockwise")])
def test_a_target_turned_by_90_degrees_is_told_the_turn_that_undoes_it(turn, undo, words):
    # the slants read about -18 -> 72 either way; the old fix took the wrapped difference's sign, the
    # same for both turns: rotate=-90 for both here (fashion:n=300,rotate=-180 for the second: upside down)
    finding = slant(f"fashion:n=300,rotate={turn}")
    fix = finding.fix
    assert fix is not None and fix.check is not None
    assert (fix.value, fix.spec) == (undo, "fashion:n=300")
    assert fix.check.removes_gap
    assert fix.note.startswith("a slant cannot tell a turn of +90° from -90°: both signs checked, ")
    assert f"rotate={undo:g} leaves MMD² ≈ 0 (no gap left), rotate={-undo:g} " in fix.note
    assert finding.title == f"the target has objects turned further {words}"
    assert (finding.difference > 0) == (turn > 0)


def test_an_inverted_turned_target_checks_the_sign_on_top_of_the_inversion():
    # inverted, each sign alone leaves about the same MMD² (the inversion dominates); on top of
    # invert=1 only rotate=-90 closes the gap
    fix = slant("fashion:n=300,rotate=90,invert=1").fix
    assert fix is not None and fix.value == -90
    assert "both signs checked with invert=1 on the target, rotate=-90 leaves MMD² " in fix.note


def test_a_small_rotation_is_checked_with_its_slant_sign_only():
    finding = slant("fashion:n=300,rotate=30")
    fix = finding.fix
    assert fix is not None and fix.check is not None and fix.check.helps
    assert -35 <= fix.value <= -25 and fix.note == ""
    assert finding.title == "the target has objects turned further counter-clockwise"
