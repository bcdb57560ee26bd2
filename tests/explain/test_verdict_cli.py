"""``python -m tlcore diagnose`` on the pairs QA found misread: a class the source lacks, a fix that
removes the whole gap, a handful of samples, a table without a detectable gap."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tlcore.cli import main
from tlcore.data import load_domain

FAST = ("--permutations", "50", "--no-umap")


def run(capsys: pytest.CaptureFixture[str], workspace: Path, *argv: str) -> str:
    code = main(["--workspace", str(workspace), "diagnose", *FAST, *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def save(path: Path, X: np.ndarray, y: np.ndarray, classes: list[str]) -> str:
    np.savez(path, X=X, y=y, classes=np.array(classes))
    return str(path)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    domain = load_domain("mnist5k:n=400", seed=3)
    return domain.X.numpy()[:, 0], domain.y.numpy()


def test_a_target_class_the_source_lacks_is_reported_and_named_in_the_verdict(capsys, tmp_path, digits):
    X, y = digits
    keep = y != 9
    source = save(tmp_path / "no9.npz", X[keep], y[keep], [str(c) for c in range(9)])
    target = save(tmp_path / "all.npz", X, y, [str(c) for c in range(10)])
    n9, n = int((y == 9).sum()), len(y)
    note = f"target classes unknown to the source, {n9} samples dropped: 9 ({n9})"
    page = tmp_path / "report.html"
    out = run(capsys, tmp_path, "--source", source, "--target", target, "--report", str(page))
    assert f"vs {n - n9} samples" in out.splitlines()[0]
    assert f"T{note[1:]}" in page.read_text(encoding="utf-8")  # the note names its side: no "Pairing:"
    assert f"  pairing: {note} (label=none keeps them, unlabelled)" in out
    (verdict,) = [line for line in out.splitlines() if line.startswith("Verdict:")]
    assert "the target has classes the source lacks (9)" in verdict
    assert f"{n9} of {n} target samples are of classes the source has no sample of" in verdict
    data = json.loads(run(capsys, tmp_path, "--source", source, "--target", target, "--json"))
    assert data["pair_notes"][0].startswith(note)
    cause = next(c for c in data["explanation"]["verdict"]["causes"] if c["kind"] == "new_classes")
    # the source is the target less its 9s: no gap without them, and their 10% of the target is too
    # few for MMD² to see them either, so their share of the gap is not measured (they rank last)
    shares = data["explanation"]["gap_shares"]
    assert shares["mmd2"] <= 0 and shares["with_new_classes"] <= 0 and cause["share"] is None
    assert "share of the gap is not measured (no gap to share even with them" in cause["detail"]


def test_a_fix_that_removes_the_gap_leaves_no_novelty_and_no_adaptation(capsys, tmp_path):
    data = json.loads(
        run(capsys, tmp_path, "--source", "mnist5k:n=400", "--target", "mnist5k:n=400,invert=1", "--json")
    )
    assert data["novelty"]["share"] == 1.0  # in raw features before the fix every sample is far
    causes = data["explanation"]["verdict"]["causes"]
    assert [(c["kind"], c["shift"]) for c in causes] == [("appearance", "invert")]
    assert "removes the gap" in causes[0]["detail"] and causes[0]["share"] == 1.0


def test_a_handful_of_samples_is_no_evidence_of_no_gap(capsys, tmp_path, digits):
    X, y = digits
    names = [str(c) for c in range(10)]
    source = save(tmp_path / "s2.npz", X[:2], y[:2], names)
    target = save(tmp_path / "t2.npz", X[2:4], y[2:4], names)
    out = run(capsys, tmp_path, "--source", source, "--target", target)
    (verdict,) = [line for line in out.splitlines() if line.startswith("Verdict:")]
    assert verdict.startswith("Verdict: No detectable gap") and "Most of the gap" not in verdict
    assert "Only 2 source and 2 target samples: too few" in verdict


def test_a_table_without_a_gap_is_no_image_and_its_verdict_has_one_blank_line(capsys, tmp_path):
    g = np.random.default_rng(0)
    for name in ("s", "t"):
        rows = ["f0,f1,f2,label"] + [
            f"{a:.4f},{b:.4f},{c:.4f},{'ab'[i % 2]}" for i, (a, b, c) in enumerate(g.normal(size=(120, 3)))
        ]
        (tmp_path / f"{name}.csv").write_text("\n".join(rows) + "\n")
    out = run(capsys, tmp_path, "--source", str(tmp_path / "s.csv"), "--target", str(tmp_path / "t.csv"))
    assert (
        "Verdict: No detectable gap and no other cause found: nothing to fix.\n\nNext step: nothing to do"
        in out
    )


def test_novelty_that_a_fix_removes_is_no_cause_and_both_shares_are_shown(capsys, tmp_path):
    # rotated, noisier, blurred digits read as "part of the target is new: collect labels" (no fix
    # removes most of the gap); the rotate fix's check re-measures the novel share after it
    pair = ("--source", "mnist5k:n=400", "--target", "mnist5k:n=400,rotate=60,noise=0.3,blur=0.7")
    page = tmp_path / "d.html"
    data = json.loads(run(capsys, tmp_path, *pair, "--json", "--report", str(page)))
    assert data["novelty"]["level"] == "new"  # before any fix
    explanation = data["explanation"]
    causes = explanation["verdict"]["causes"]
    assert "novelty" not in [c["kind"] for c in causes]
    alone = [c for c in causes if c["kind"] == "appearance" and "," not in (c["shift"] or "")]
    assert max(c["share"] or 0.0 for c in alone) < 0.5  # no fix alone explains most of the gap
    together = causes[0]  # the helpful fixes applied together do (rotate, contrast and noise)
    assert together["title"].startswith("together, ") and together["share"] > 0.5
    fix = explanation["novelty_fix"]
    before, after = fix["check"]["novelty_before"], fix["check"]["novelty_after"]
    assert fix["shift"] == "rotate" and fix["check"]["clears_novelty"] is True
    assert before["new"] and not after["new"] and after["share"] < 0.05 < before["share"]
    assert "the source covers the target once rotate=-60 on the target is applied" in causes[-1]["detail"]
    shares = f"{100 * before['share']:.0f}% -> {100 * after['share']:.0f}% (covered)"
    assert shares.replace("->", "→") in page.read_text(encoding="utf-8")
    out = run(capsys, tmp_path, *pair)
    assert f"Novel target after the fix rotate=-60 on the target: {shares}, before -> after" in out
    basis = "on the fix check's 400+400 samples, 20 PCA dims"
    assert (
        f"{shares}, before -> after {basis}; the verdict reads the share after it: not a cause (no more"
        in out
    )
    assert f"novel target {shares}]" in out  # the rotate fix's line


def test_source_classes_the_target_lacks_rank_on_their_share_of_the_gap(capsys, tmp_path):
    # a target of MNIST digits 0-5 only (the source's other samples): the old verdict ranked the
    # missing classes on their share of the source (40%, "the largest cause found"); drawing the
    # source without 6-9 removes most of MMD², so they explain most of the gap
    domain = load_domain("mnist5k:n=800", seed=1)
    X, y = domain.X.numpy()[:, 0], domain.y.numpy()
    names = [str(c) for c in range(10)]
    source = save(tmp_path / "s.npz", X[:400], y[:400], names)
    part = np.arange(400, 800)[y[400:] < 6]
    target = save(tmp_path / "t.npz", X[part], y[part], names)
    data = json.loads(run(capsys, tmp_path, "--source", source, "--target", target, "--json"))
    explanation = data["explanation"]
    first = explanation["verdict"]["causes"][0]
    assert first["kind"] == "missing_classes" and "of the source is of classes" in first["detail"]
    assert first["share"] >= 0.5 and explanation["verdict"]["headline"].startswith("Most of the gap")
    shares = explanation["gap_shares"]
    assert first["share"] == pytest.approx(min(1.0, 1 - shares["missing_classes"] / shares["mmd2"]))


def test_the_default_pair_reads_as_one_story_on_the_fix_checks_basis(capsys, tmp_path):
    # QA helper-39: the diagnosis said "collect labels there" while the verdict read the share after
    # the rotate fix as no cause; "(new)" did not say above chance; the check's MMD² (0.132 -> 0.107)
    # sat beside the headline's 0.1026 without saying it is measured elsewhere; a key leaked (ink_size)
    page = tmp_path / "d.html"
    out = run(capsys, tmp_path, "--source", "mnist5k", "--target", "digits", "--report", str(page))
    basis = "on the fix check's 500+500 samples, 20 PCA dims"
    assert "collect labels there" not in out
    assert (
        "(about 1.0% by chance): more than chance gives on every sample, yet no cause in the verdict, "
        "which reads the novel share on the fix checks' samples: 3% of the target "
        f"has no source neighbour once rotate=-17 on the target is applied (5% before {basis}), fewer "
        "than the 5% from which new data is a cause." in out
    )
    assert (
        f"Novel target after the fix rotate=-17 on the target: 5% -> 3% (above chance), before -> after "
        f"{basis}; the verdict reads the share after it: not a cause (fewer than the 5% from which new "
        "data is a cause)." in out
    )
    assert (
        f"shrinks MMD² by 19% (MMD² 0.132 -> 0.107 {basis}) and also evens out: ink bounding box side." in out
    )
    assert f"(a share of the gap: how much MMD² falls with the cause removed, {basis})" in out
    assert f"What differs (fix effects {basis}):" in out and "(new)" not in out
    html = page.read_text(encoding="utf-8")
    escaped = basis.replace("'", "&#x27;")
    assert f"Shares of the gap, fix effects and novel shares before → after are measured {escaped}" in html
    assert f"Fix effects are measured {escaped} (raw features, seed 0)." in html


def test_novelty_left_after_the_best_fix_is_still_a_cause_and_the_line_says_so(capsys, tmp_path):
    # 40% rotated Fashion among rotated digits: the helpful fixes together (rotate=-58,scale=0.85, MMD²
    # 0.020), with blur=0.5 on the source, no help alone but 13% less on top of them (0.0174), leave
    # 19% of the target without a source neighbour (54% before them; scale=0.85 alone 28%), above
    # chance and over 5%: still new data, a cause of its own
    digits = load_domain("mnist5k:n=800,rotate=60", seed=2).X.numpy()[400:640, 0]
    clothes = load_domain("fashion:n=400,rotate=60", seed=2).X.numpy()[:160, 0]
    np.savez(tmp_path / "mixed.npz", X=np.concatenate([digits, clothes]))
    pair = ("--source", "mnist5k:n=400", "--target", str(tmp_path / "mixed.npz"))
    out = run(capsys, tmp_path, *pair)
    basis = "on the fix check's 400+400 samples, 20 PCA dims"
    assert (
        "Novel target after the fix rotate=-58,scale=0.85 on the target and blur=0.5 on the source: "
        "54% -> 19% (above chance), "
        f"before -> after {basis}; the verdict reads the share after it: still a cause "
        "(above chance and at least 5%)." in out
    )
    assert "  3. part of the target is new (accounts for 25% of the gap): collect labels there" in out
