"""The sidecar: class names in output order, the input shape, every preprocessing step as data."""

from __future__ import annotations

import json

import pytest
import torch

import tlcore
from tlcore.model_card import RANDOM_NOTE, ModelCard, Parity, Provenance, model_card
from tlcore.models import build_model
from tlcore.pretrained import IMAGENET_MEAN, IMAGENET_STD

PARITY = Parity("test", (2, 5), 1e-7, 1e-4, 0)
CLASSES = ("cat", "dog", "émeu")


def card_for(shape: tuple[int, ...], target: str = "digits", name: str = "auto", **options: int) -> ModelCard:
    torch.manual_seed(0)
    model = build_model(name, shape, len(CLASSES), pretrained=False, **options)
    provenance = Provenance("20260101-000000-abcdef", "mnist5k:rotate=30", target, ("deep_coral", "im"))
    return model_card(model, CLASSES, provenance, fmt="onnx", file="model.onnx", parity=PARITY)


def ops(card: ModelCard) -> list[str]:
    return [step["op"] for step in card.to_dict()["preprocessing"]]


def test_grayscale_image_model_card():
    card = card_for((1, 28, 32)).to_dict()
    assert card["format"] == "onnx"
    assert card["file"] == "model.onnx"
    assert card["tlstudio_version"] == tlcore.__version__
    assert card["run_id"] == "20260101-000000-abcdef"
    assert card["classes"] == list(CLASSES)
    assert card["model"]["name"] == "lenet_bn"  # auto, for images
    assert card["input"] == {
        "name": "input",
        "shape": ["batch", 1, 28, 32],
        "dtype": "float32",
        "meaning": "images N x C x H x W in [0, 1] (NCHW)",
    }
    assert [(o["name"], o["shape"]) for o in card["outputs"]] == [("logits", ["batch", 3])]
    assert "softmax" in card["outputs"][0]["meaning"]
    steps = {step["op"]: step for step in card["preprocessing"]}
    assert list(steps) == ["decode", "upright", "convert", "scale", "flatten", "resize", "layout"]
    assert steps["decode"]["library"] == "Pillow"
    assert steps["upright"]["call"] == "PIL.ImageOps.exif_transpose(image)"
    assert steps["convert"]["mode"] == "L"
    assert steps["flatten"]["formula"].startswith("x * alpha + (1 - alpha)")
    assert steps["flatten"]["when"].startswith("image.has_transparency_data")
    assert steps["scale"]["factor"] == pytest.approx(1 / 255)
    assert steps["scale"]["range"] == [0.0, 1.0]
    resize = steps["resize"]
    assert (resize["width"], resize["height"]) == (32, 28)
    assert resize["interpolation"] == "bilinear"
    assert (resize["antialias"], resize["align_corners"]) == (True, False)
    assert (steps["layout"]["from"], steps["layout"]["to"]) == ("HWC", "NCHW")
    assert card["inside_model"] == []
    assert [s["op"] for s in card["postprocessing"]] == ["softmax", "argmax"]
    assert card["parity"] == {
        "runtime": "test",
        "batch_sizes": [2, 5],
        "max_abs_diff": 1e-7,
        "tolerance": 1e-4,
        "seed": 0,
    }


def test_rgb_model_converts_to_rgb():
    steps = {step["op"]: step for step in card_for((3, 16, 16)).to_dict()["preprocessing"]}
    assert steps["convert"]["mode"] == "RGB"
    assert "repeating its channel" in steps["convert"]["note"]


def test_target_shifts_become_steps_after_the_resize_and_both_specs_are_recorded():
    card = card_for((1, 28, 28), target="upload:scans.zip:invert=1,contrast=1,blur=0.5")
    assert ops(card) == [
        "decode",
        "upright",
        "convert",
        "scale",
        "flatten",
        "resize",
        "shift",
        "shift",
        "layout",
    ]
    data = card.to_dict()
    shifts = [s for s in data["preprocessing"] if s["op"] == "shift"]
    # contrast=1 is its identity: training skipped it, so does the card; order as written
    assert [(s["name"], s["value"]) for s in shifts] == [("invert", 1.0), ("blur", 0.5)]
    assert shifts[0]["meaning"] == "probability that an image is inverted (x -> 1 - x)"
    assert "upload:scans.zip:invert=1" in shifts[0]["note"]
    training = data["training"]
    assert training["target"] == "upload:scans.zip:invert=1,contrast=1,blur=0.5"
    assert [s["name"] for s in training["target_shifts"]] == ["invert", "blur"]
    assert [(s["name"], s["value"]) for s in training["source_shifts"]] == [("rotate", 30.0)]
    assert training["methods"] == ["deep_coral", "im"] and "note" not in training


def test_shifts_drawn_at_random_are_marked_so_nobody_repeats_them():
    card = card_for((1, 28, 28), target="upload:scans.zip:invert=1,blur=0.5,noise=0.1,occlusion=0.2")
    shifts = [s for s in card.to_dict()["preprocessing"] if s["op"] == "shift"]
    assert [(s["name"], "random" in s) for s in shifts] == [
        ("invert", False),
        ("blur", False),
        ("noise", True),
        ("occlusion", True),
    ]
    half = card_for((1, 28, 28), target="digits:invert=0.5").to_dict()["preprocessing"]
    assert [s.get("random") for s in half if s["op"] == "shift"] == [RANDOM_NOTE]


def test_local_paths_stay_on_the_machine():
    """A file spec appears by its file name, a dataset without its @folder: model.json travels."""
    model = build_model("lenet", (1, 28, 28), len(CLASSES), pretrained=False)
    provenance = Provenance("run", "usps@/home/alice/sets:n=100", "/home/alice/scans.zip:invert=1", ("im",))
    card = model_card(model, CLASSES, provenance, fmt="onnx", file="model.onnx", parity=PARITY).to_dict()
    assert (card["training"]["source"], card["training"]["target"]) == ("usps:n=100", "scans.zip:invert=1")
    assert "alice" not in json.dumps(card)


def test_feature_vector_model_takes_columns_as_they_are():
    card = card_for((7,), target="table.csv:noise=0.1").to_dict()
    assert card["model"]["name"] == "mlp"
    assert card["input"]["shape"] == ["batch", 7]
    features, shift, layout = card["preprocessing"]
    assert features["op"] == "features"
    assert features["dimension"] == 7
    assert "standardises its input itself" in features["scaling"]
    (standardize,) = card["inside_model"]
    assert standardize["op"] == "standardize" and standardize["mean"] == [0.0] * 7
    assert standardize["scale"] == [1.0] * 7  # card_for's model was never fitted
    assert "label column left out" in features["order"]
    assert (shift["name"], shift["value"]) == ("noise", 0.1)
    assert layout == {"op": "layout", "from": "D", "to": "ND", "note": "rows stacked on axis 0"}


def test_efficientnet_card_lists_what_the_network_does_itself():
    card = card_for((1, 28, 28), name="efficientnet_lite0", image_size=64).to_dict()
    repeat, resize, normalize = card["inside_model"]
    assert repeat == {"op": "repeat_channels", "to": 3, "when": "the input has 1 channel"}
    assert (resize["width"], resize["height"], resize["antialias"]) == (64, 64, False)
    assert normalize["mean"] == pytest.approx(IMAGENET_MEAN)
    assert normalize["std"] == pytest.approx(IMAGENET_STD)
    # the caller's steps stop at [0, 1] pixels of the model's input size: no normalisation twice
    assert [s["op"] for s in card["preprocessing"]] == [
        "decode",
        "upright",
        "convert",
        "scale",
        "flatten",
        "resize",
        "layout",
    ]
    assert card["preprocessing"][5]["width"] == 28


def test_a_torchvision_card_lists_the_same_steps_at_its_size():
    card = card_for((3, 28, 28), name="resnet18", image_size=48).to_dict()
    repeat, resize, normalize = card["inside_model"]
    assert repeat["op"] == "repeat_channels"
    assert (resize["width"], resize["height"], resize["when"]) == (48, 48, "H x W is not 48 x 48")
    assert normalize["mean"] == pytest.approx(IMAGENET_MEAN)
    assert normalize["std"] == pytest.approx(IMAGENET_STD)


def test_an_adabn_card_says_the_model_holds_the_target_statistics():
    torch.manual_seed(0)
    model = build_model("lenet_bn", (1, 28, 28), len(CLASSES), pretrained=False)
    provenance = Provenance("20260101-000000-abcdef", "mnist5k", "digits", ("deep_coral", "im", "adabn"))
    card = model_card(model, CLASSES, provenance, fmt="onnx", file="model.onnx", parity=PARITY).to_dict()
    assert card["training"]["note"] == (
        "the model normalises every input with the target's batch-normalisation statistics, as the run's "
        "target predictions and predict do; the run scored its source data with the source's, not exported"
    )
