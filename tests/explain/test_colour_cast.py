"""A colour photo's cast and exposure as a cause; polarity only where images are ink-like."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
import torch

from tlcore.data import harmonise, load_domain
from tlcore.data.ink import blank_warning, drop_blank
from tlcore.data.shifts import apply_shifts
from tlcore.data.uploads import save_upload
from tlcore.explain.evidence import BlankImages
from tlcore.explain.explanation import explain
from tlcore.explain.findings import compare
from tlcore.explain.image_stats import image_stats
from tlcore.explain.settings import ExplainSettings
from tlcore.workspace import Workspace

SMALL = ExplainSettings(max_images=400, search_images=128, check_samples=300, check_permutations=50)


BEIGE, NIGHT = (0.78, 0.75, 0.67), (0.2, 0.25, 0.18)


def _photos(n: int, seed: int, cast: bool, background: tuple[float, ...] = BEIGE) -> np.ndarray:
    """``n`` 3 x 32 x 32 colour 'photos': a background with noise and a square of a random colour; a
    cast target is darker and bluer, ``0.6 x + (0, 0.08, 0.24)`` per channel (as a dim blue light)."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, 3, 32, 32), np.float32)
    for i in range(n):
        image = np.array(background)[:, None, None] + rng.normal(0, 0.08, (3, 32, 32))
        top, left, side = *rng.integers(4, 14, 2), int(rng.integers(8, 16))
        image[:, top : top + side, left : left + side] = rng.random(3)[:, None, None]
        X[i] = image
    if cast:
        X = 0.6 * X + np.array([0.0, 0.08, 0.24], np.float32)[:, None, None]
    return X.clip(0, 1)


def _upload(ws: Workspace, name: str, X: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=np.arange(len(X)) % 2, classes=np.asarray(["a", "b"]))
    return f"upload:{save_upload(ws, name, buffer.getvalue())}"


@pytest.fixture
def cast_pair(tmp_path):
    ws = Workspace.resolve(tmp_path / "ws")
    specs = _upload(ws, "day.npz", _photos(120, 0, False)), _upload(ws, "dusk.npz", _photos(120, 1, True))
    return ws, specs


def test_a_colour_cast_is_found_and_standardising_both_sides_removes_most_of_the_gap(cast_pair):
    ws, (s_spec, t_spec) = cast_pair
    source, target = harmonise(load_domain(s_spec, ws), load_domain(t_spec, ws))
    explanation = explain(
        source, target, source_spec=s_spec, target_spec=t_spec, workspace=ws, settings=SMALL
    )
    findings = {f.statistic: f for f in explanation.findings}
    cast = findings["cast"]
    assert cast.severity == "strong" and cast.title == "the target has a bluer colour cast"
    # blue minus red: the background's -0.11 plus the square's mean 0 -> 0.6 (-0.11) + 0.24
    assert cast.source == pytest.approx(-0.09, abs=0.03)
    assert cast.target == pytest.approx(0.19, abs=0.03)
    assert findings["brightness"].target == pytest.approx(
        0.6 * findings["brightness"].source + 0.107, abs=0.01
    )
    fix = cast.fix
    assert (
        fix is not None
        and fix.helps
        and fix.words == "standardise=1 on the source and standardise=1 on the target"
    )
    assert dict(fix.changes) == {"source": f"{s_spec}:standardise=1", "target": f"{t_spec}:standardise=1"}
    assert fix.check is not None and fix.check.shrinks_by > 0.8
    assert "brightness" in fix.check.resolves
    first = explanation.verdict.causes[0]
    fixed = {"source": f"{s_spec}:standardise=1", "target": f"{t_spec}:standardise=1"}
    assert first.statistic == "cast" and first.fix_specs == fixed  # both sides, in one fix
    assert first.fix_words() == f"source = {fixed['source']}, target = {fixed['target']}"
    as_json = explanation.verdict.to_dict()["causes"][0]  # diagnose --json: the new key, the old ones empty
    assert (as_json["fix_specs"], as_json["fix_spec"], as_json["fix_side"]) == (fixed, None, None)
    assert first.action == f"use the source {s_spec}:standardise=1 and the target {t_spec}:standardise=1"
    # photos: no inversion offered, and the line says why
    polarity = findings["polarity"]
    assert not polarity.fires and polarity.fix is None
    assert polarity.message.startswith("Not compared: colour images (colour spread 0.")
    assert "polarity not compared: colour images" in explanation.note  # diagnose and the page show it


def test_standardise_cancels_a_gain_and_offset_per_channel():
    X = torch.from_numpy(_photos(8, 2, False))
    dim = 0.6 * X + torch.tensor([0.0, 0.08, 0.24]).view(1, 3, 1, 1)
    domain = load_domain("mnist5k:n=8")
    a = apply_shifts(replace(domain, X=X), [("standardise", 1.0)]).X
    b = apply_shifts(replace(domain, X=dim), [("standardise", 1.0)]).X
    assert torch.allclose(a, b, atol=1e-5)
    assert a.mean((2, 3)).flatten().tolist() == pytest.approx([0.5] * 24, abs=0.02)  # clamped tails


def test_a_dark_photo_is_not_read_as_reversed_polarity():
    """The same coloured squares on a beige and on a dark green background: the old code read light
    ink on dark (polarity -1 -> +1) and offered ``invert=1``; colour photos are not ink."""
    light = torch.from_numpy(_photos(60, 3, False))
    dark = torch.from_numpy(_photos(60, 4, False, NIGHT))
    base = load_domain("mnist5k:n=60")
    s = image_stats(replace(base, X=light, name="day"))
    t = image_stats(replace(base, X=dark, name="night"))
    polarity = next(f for f in compare(s, t, SMALL.fdr) if f.statistic == "polarity")
    assert (
        not polarity.fires
        and polarity.title == "polarity (+1 light ink on dark, -1 dark on light): not compared"
    )


def test_an_inverted_grey_target_still_gets_its_inversion():
    source, target = harmonise(load_domain("mnist5k:n=300"), load_domain("mnist5k:n=300,invert=1"))
    explanation = explain(source, target, settings=SMALL)
    findings = {f.statistic: f for f in explanation.findings}
    assert findings["polarity"].fires and findings["polarity"].fix is not None
    assert findings["polarity"].fix.spec == "mnist5k:n=300"
    assert not findings["cast"].fires and findings["cast"].title.endswith("not compared")  # grey: no cast


def test_on_colour_photos_the_ink_statistics_read_as_the_foregrounds():
    """QA helper-116: photos of shapes read "the target has less ink" and "the slant of the ink's main
    axis"; on a colour pair the ink is the foreground (the pixels unlike the border), and a grey pair
    keeps its words."""
    base = load_domain("mnist5k:n=200", seed=0)
    photos = replace(base, X=torch.from_numpy(_photos(200, 0, False)))
    smaller = apply_shifts(replace(base, X=torch.from_numpy(_photos(200, 1, False))), [("scale", 0.6)])
    findings = {f.statistic: f for f in compare(image_stats(photos), image_stats(smaller), 0.05)}
    fill, size = findings["ink_fill"], findings["ink_size"]
    assert fill.severity == "strong" and fill.title == "the target has more foreground"
    assert fill.message.startswith(
        "The target has more foreground than the source (share of foreground pixels (unlike the border) "
        "0.2762 -> 0.3862, +1.28 standard deviations"
    )
    assert (
        size.label == "foreground bounding box side"
        and size.title == "the target has smaller objects in the frame"
    )
    assert findings["slant"].label == "slant of the foreground's main axis"
    assert findings["centre_x"].message.startswith(
        "The target has objects further right than the source (foreground centre"
    )
    grey = load_domain("mnist5k:n=200", seed=0)
    ink = {
        f.statistic: f
        for f in compare(image_stats(grey), image_stats(apply_shifts(grey, [("scale", 0.6)])), 0.05)
    }
    assert (ink["ink_fill"].label, ink["slant"].label) == (
        "share of ink pixels",
        "slant of the ink's main axis",
    )
    assert ink["ink_fill"].title in ("the target has more ink", "the target has less ink")


def test_blank_colour_photos_have_no_foreground_not_no_ink():
    """QA helper-117: constant photos in a pair of colour photos read "blank (no ink: empty scans or
    constant images)"; on photos a blank image has no foreground, and a grey pair keeps its words."""
    X = _photos(200, 1, False)
    X[:20] = np.array([0.2, 0.5, 0.3], np.float32)[:, None, None]  # constant green frames
    base = load_domain("mnist5k:n=200", seed=0)
    source = replace(base, X=torch.from_numpy(_photos(200, 0, False)), name="day")
    target = replace(base, X=torch.from_numpy(X), name="frames")
    explanation = explain(
        source, target, source_spec="upload:a.npz", target_spec="upload:b.npz", settings=SMALL
    )
    blank = next(c for c in explanation.verdict.causes if c.kind == "blank")
    assert blank.detail.startswith(
        "20 of the 200 target images are blank (no foreground: constant images), a problem of the data, "
        "not of its look: every image statistic here is of the images with a foreground"
    )
    assert blank.action == (
        "use the target upload:b.npz:blank=drop to drop the 20 blank target images (no foreground), "
        "then diagnose again"
    )
    assert "20 of 200 target images are blank (no foreground) and left out of every statistic" in (
        explanation.note
    )
    assert "no ink" not in explanation.verdict.headline + explanation.verdict.coverage
    assert blank_warning(target) == (
        "20 of 200 frames images are blank (no foreground) and still each get a class from a model: its "
        "predictions, confidences and label-free scores (EnsV among them) on them mean nothing."
    )
    assert drop_blank(target).provenance.endswith("20 blank images dropped (no foreground)")
    digits = load_domain("mnist5k:n=40", seed=0)
    digits = replace(digits, X=torch.cat([torch.zeros(4, 1, 28, 28), digits.X[4:]]))
    assert blank_warning(digits).startswith(f"4 of 40 {digits.name} images are blank (no ink) and")
    assert BlankImages("target", 4, 40).words == "no ink: empty scans or constant images"
