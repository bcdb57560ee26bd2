"""Two shifts at once: the helpful fixes checked together (QA: a Fashion target rotated, blurred and
inverted read "most of the target is new data" after invert=1 alone, while invert=1,rotate=-90
removed the gap and left no novel sample)."""

from __future__ import annotations

import json

import numpy as np

from tlcore.cli import main
from tlcore.data import load_domain
from tlcore.explain.fixes import fix_spec


def test_two_helpful_fixes_are_checked_together_and_the_verdict_suggests_them_together(capsys, tmp_path):
    # digits with less contrast, then inverted, saved as a file (as an upload would be): invert=1
    # alone shrinks MMD² by 81% but the test still tells the sides apart; contrast=2.5 alone by 14%;
    # together they remove the gap and leave no novel target sample: a new look of the source's data
    X = load_domain("mnist5k:n=600,contrast=0.4,invert=1", seed=1).X.numpy()[300:, 0]
    target = tmp_path / "t.npz"
    np.savez(target, X=X)
    argv = ["diagnose", "--source", "mnist5k:n=300", "--target", str(target), "--no-umap", "--json"]
    assert main(["--workspace", str(tmp_path), *argv]) == 0
    explanation = json.loads(capsys.readouterr().out)["explanation"]
    alone = {
        f["fix"]["shift"]: f["fix"]["check"]
        for f in explanation["findings"]
        if f["fix"] and f["fix"]["check"]
    }
    assert alone["invert"]["helps"] and not alone["invert"]["removes_gap"]
    assert alone["contrast"]["helps"] and not alone["contrast"]["removes_gap"]
    spec = f"{target}:invert=1,contrast=2.5"  # applied in that order: invert, then contrast
    verdict = explanation["verdict"]
    first = verdict["causes"][0]
    assert (
        first["title"]
        == "together, the target's polarity is reversed (dark on light) and the target has less contrast"
    )
    assert first["share"] > 0.99 and first["fix_spec"] == spec
    assert verdict["next_step"] == f"apply these fixes together: use the target {spec}"
    assert "invert=1,contrast=2.5 on the target removes the gap" in verdict["headline"]
    together = explanation["combined_fix"]
    assert [p["shift"] for p in together["parts"]] == ["invert", "contrast"]  # the best fix first
    assert together["check"]["removes_gap"] and not together["check"]["novelty_after"]["new"]


def test_a_fix_added_last_applies_after_the_specs_own_shifts():
    # a rotation before an inversion pads dark corners that the inversion turns light: the combined
    # fix keeps the order it adds its fixes in, a single fix the registry's
    assert fix_spec("mnist5k:n=300,invert=1", "rotate", -76, last=True) == "mnist5k:n=300,invert=1,rotate=-76"
    assert fix_spec("mnist5k:n=300,invert=1", "rotate", -76) == "mnist5k:n=300,rotate=-76,invert=1"
