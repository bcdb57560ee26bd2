"""The Adapt page for a photo user: which backbone ``auto`` picks for the pair and why, and that the
recipe's quoted accuracy comes from 28 px digit and clothing benchmarks (a digit pair is told neither)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support.benchmarks import recipe_quote
from tests.app.helpers import image_zip, plain
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.data import save_upload
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
PHOTO = (
    "auto picked efficientnet_lite0 (ImageNet-pretrained, at 64 px): the images are 80x80 px, "
    "photo-sized (a side >= 64 px)"
)


def _captions(at: AppTest) -> list[str]:
    return [plain(str(c.value)) for c in at.caption]


def test_a_photo_pair_is_told_its_backbone_and_where_the_quote_comes_from(
    app: OpenApp, workspace: Path
) -> None:
    ws = Workspace.resolve(workspace)
    source = save_upload(ws, "photos.zip", image_zip(side=80))
    at = app("adapt", source=f"upload:{source}", target=f"upload:{source}")
    assert not at.exception, [e.message for e in at.exception]
    captions = _captions(at)
    assert f"{PHOTO}." in captions
    quotes = recipe_quote(RECOMMENDED)
    assert quotes  # the committed benchmark quotes the recipe
    assert [c for c in captions if c.startswith("Measured with")] == [
        "Measured with exactly these settings on 28 px digit and clothing benchmarks (none on photos; "
        f"{PHOTO}): {'; '.join(quotes)}."
    ]


def test_a_digit_pair_keeps_lenet_bn_and_the_plain_quote(app: OpenApp) -> None:
    at = app("adapt")
    captions = _captions(at)
    assert any(
        c.startswith("auto picked lenet_bn (trained from scratch): the images are 28x28 px") for c in captions
    )
    assert [c for c in captions if c.startswith("Measured with")] == [
        f"Measured with exactly these settings: {'; '.join(recipe_quote(RECOMMENDED))}."
    ]
