"""The Adapt page for a photo user: which backbone ``auto`` picks for the pair and why, and that the
recipe's quoted accuracy comes from 28 px digit and clothing benchmarks (a digit pair is told neither)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_support.benchmarks import recipe_quote
from tests.app.helpers import image_zip, plain
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.data import save_upload
from tlcore.runs import probe
from tlcore.runs.store import RunStore
from tlcore.views import run_tables
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
PHOTO = (
    "auto picked efficientnet_lite0 (ImageNet-pretrained): the images are 80x80 px, photo-sized (a "
    "side >= 64 px), and it trains on them resized to 96x96 px"
)


def _captions(at: AppTest) -> list[str]:
    return [plain(str(c.value)) for c in at.caption]


def test_a_photo_pair_is_told_its_backbone_and_where_the_quote_comes_from(
    app: OpenApp, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the launch estimate's probe stood in (tests/app/test_launch_estimate.py): a real one trains
    # efficientnet_lite0 at 96 px (the recipe's averaged adapt stage, which the form starts as)
    asked: list[tuple[int, ...]] = []

    def measure(cfg: Any, shape: tuple[int, ...], *_: Any) -> dict[str, Any]:
        asked.append(shape)
        return {"single": [0.1, 0.2], "paired": [0.3, 0.5], "forward_per_sample": 0.001}

    monkeypatch.setattr(probe, "measure", measure)
    ws = Workspace.resolve(workspace)
    source = save_upload(ws, "photos.zip", image_zip(side=80))
    at = app("adapt", source=f"upload:{source}", target=f"upload:{source}")
    assert not at.exception, [e.message for e in at.exception]
    assert asked and all(shape[1:] == (80, 80) for shape in asked), asked  # the photo pair's network
    captions = _captions(at)
    assert f"{PHOTO}." in captions
    assert any(c.startswith("Estimated: ") and " of efficientnet_lite0 " in c for c in captions), captions
    quotes = recipe_quote(RECOMMENDED)
    assert quotes  # the committed benchmark quotes the recipe
    assert [c for c in captions if c.startswith("Measured with")] == [
        "Measured with exactly these settings on 28 px digit and clothing benchmarks (none on photos; "
        f"this pair trains efficientnet_lite0): {'; '.join(quotes)}."
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


def _result(model: str, built: str, shape: list[int], options: dict[str, int]) -> dict[str, object]:
    """A done run's result as the pipeline stores it: its config and the built model's spec."""
    spec = {"name": built, "input_shape": shape, "n_classes": 4, "bottleneck_dim": 256, "options": options}
    history = [{"stage": "baseline"}] * 4 + [{"stage": "adapt"}] * 10
    return {
        "config": {"model": model, "epochs": 4, "warm_start": True},
        "history": history,
        "info": {"model": spec},
    }


def test_a_runs_card_and_runs_show_say_which_network_auto_picked_and_why() -> None:
    photo = _result("auto", "efficientnet_lite0", [3, 80, 80], {"image_size": 96})
    assert run_tables.network_text(photo) == PHOTO
    assert run_tables.training_text(photo) == f"4 epochs source-only, then 10 adapting from it; {PHOTO}"
    named = _result("resnet18", "resnet18", [3, 80, 80], {"image_size": 96})
    assert run_tables.network_text(named) == "resnet18 at 96 px (chosen by name)"
    default_size = _result("resnet18", "resnet18", [3, 80, 80], {})  # 224 is stored unset
    assert run_tables.network_text(default_size) == "resnet18 at 224 px (chosen by name)"
    assert run_tables.network_text(_result("lenet", "lenet", [1, 28, 28], {})) == "lenet (chosen by name)"
    older = _result("auto", "lenet_bn", [3, 109, 109], {})  # auto's rule before photos got a backbone
    assert (
        run_tables.network_text(older)
        == "auto picked lenet_bn for samples of shape 3x109x109 (an earlier rule)"
    )
    at_224 = _result("auto", "efficientnet_lite0", [3, 80, 80], {})  # trained at 224 px, not today's 96
    assert (
        run_tables.network_text(at_224)
        == "auto picked efficientnet_lite0 at 224 px for samples of shape 3x80x80 (an earlier rule)"
    )
    assert run_tables.network_text({"config": {"model": "auto"}}) is None  # a result without its model


def test_a_done_runs_card_on_adapt_names_its_network(app: OpenApp, workspace: Path) -> None:
    store = RunStore(Workspace.resolve(workspace))
    run_id = store.create(AdaptConfig(source="mnist5k", target="digits"))
    assert store.start(run_id, pid=os.getpid())
    result = _result("auto", "efficientnet_lite0", [3, 80, 80], {"image_size": 96})
    result["info"] |= {"torch_threads": 2}  # the same seed on another count trains another model
    assert store.finish(run_id, {"target_accuracy": 0.9, "source_only_accuracy": 0.8, **result})
    at = app("adapt", source="mnist5k", target="digits")  # the page lists the sidebar pair's runs
    assert not at.exception, [e.message for e in at.exception]
    assert f"{PHOTO}; trained on 2 torch threads" in _captions(at)
    del result["config"]  # a result without its config: the network alone
    assert run_tables.network_text(result) == "efficientnet_lite0 at 96 px"
