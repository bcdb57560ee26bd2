"""``auto``: digit-like images (every benchmark task's) keep lenet_bn, photo-sized ones get the
pretrained efficientnet_lite0 at 96 px, feature vectors the mlp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.networks import input_shape, is_engine_default
from tlcore.data.builtin import BUILTINS
from tlcore.data.torchvision_sets import SETS
from tlcore.model_names import AUTO_RULE, auto_reason
from tlcore.models import build_model, resolve_model_name

BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.json"


def test_every_benchmark_task_keeps_its_network() -> None:
    """Each accuracy task's recorded input (28 px, grey or colour) still builds lenet_bn, so the
    tasks the targets judge (measured on lenet_bn) are the same ones, and so is every cell."""
    tasks = json.loads(BENCHMARKS.read_text())["accuracy"]["tasks"]
    shapes = {input_shape(task) for task in tasks}
    assert shapes == {(1, 28, 28), (3, 28, 28)}
    assert {resolve_model_name("auto", shape) for shape in shapes} == {"lenet_bn"}
    assert [is_engine_default(task) for task in tasks] == [task["model"] == "lenet_bn" for task in tasks]
    assert sum(is_engine_default(task) for task in tasks) == 4


def test_every_built_in_and_torchvision_set_is_digit_like() -> None:
    """The sets a benchmark or the Data page offers (16 to 32 px) build lenet_bn, in grey or colour."""
    sides = {b.shape for b in BUILTINS.values()} | {s.shape for s in SETS.values()}
    assert {side[1] for side in sides} == {16, 28, 32}
    for c, h, w in sides:
        assert resolve_model_name("auto", (c, h, w)) == resolve_model_name("auto", (3, h, w)) == "lenet_bn"


@pytest.mark.parametrize(
    ("shape", "picked"),
    [
        ((3, 109, 109), "efficientnet_lite0"),  # helper-103's shape photos, at their median side
        ((1, 64, 64), "efficientnet_lite0"),
        ((3, 64, 300), "efficientnet_lite0"),
        ((3, 63, 300), "lenet_bn"),  # the shorter side decides
        ((3, 32, 32), "lenet_bn"),
        ((20,), "mlp"),
    ],
)
def test_auto_picks_by_the_shorter_side(shape: tuple[int, ...], picked: str) -> None:
    assert resolve_model_name("auto", shape) == picked


def test_auto_builds_the_photo_backbone_at_96_px_and_an_explicit_name_keeps_224() -> None:
    auto = build_model("auto", (3, 109, 109), 4, pretrained=False).spec
    assert (auto["name"], auto["options"]) == ("efficientnet_lite0", {"image_size": 96})
    assert build_model("efficientnet_lite0", (3, 109, 109), 4, pretrained=False).spec["options"] == {}
    assert build_model("auto", (1, 28, 28), 4).spec["options"] == {}


def test_the_reason_names_the_pick_the_shape_and_the_rule() -> None:
    assert auto_reason((3, 109, 109)) == (
        "auto picked efficientnet_lite0 (ImageNet-pretrained): the images are 109x109 px, photo-sized "
        "(a side >= 64 px), and it trains on them resized to 96x96 px"
    )  # QA helper-117: the line named the loaded size only; the network trains at 96 px
    assert auto_reason((3, 96, 96)).endswith("and it trains on them as they are")
    assert auto_reason((1, 28, 28)) == (
        "auto picked lenet_bn (trained from scratch): the images are 28x28 px, small "
        "(under 64 px a side, as digits or Fashion-MNIST)"
    )  # QA helper-143: "digit-like" was said of Fashion-MNIST
    assert auto_reason((7,)) == "auto picked mlp: the samples are feature vectors (7 values)"
    assert AUTO_RULE.startswith("mlp for feature vectors, lenet_bn for images under 64 px a side")
