"""Prior correction: the logit shift it applies, how it composes as a transform, and a run on a
label-shifted toy pair (uploaded like a user's file) where it beats source-only."""

import copy
import io
import math

import numpy as np
import pytest
import torch

from tlcore.adapt import evaluate as evaluate_stage
from tlcore.adapt.cache import BaselineCache, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.data import Domain, save_upload
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.method_params import NoParams
from tlcore.methods import check_combination, get_method, parse_methods
from tlcore.methods import prior_correction as prior_correction_module
from tlcore.methods.context import TransformContext, TransformOutcome
from tlcore.methods.prior_correction import correct_head
from tlcore.methods.registry import TransformBuilder, register_transform
from tlcore.metrics.per_class import total_variation
from tlcore.metrics.priors import Calibration, prior_log_ratio
from tlcore.models import build_model
from tlcore.workspace import Workspace

TARGET_PRIOR = (0.7, 0.2, 0.1)


def test_the_head_shift_is_the_log_prior_ratio():
    model = build_model("mlp", (6,), 3)
    x = torch.randn(20, 6, generator=torch.Generator().manual_seed(0))
    model.eval()
    before, features = model(x)
    target, source = torch.tensor([0.6, 0.3, 0.1]), torch.tensor([0.2, 0.3, 0.5])
    shift = prior_log_ratio(target, source)
    plain = copy.deepcopy(model)
    correct_head(plain, shift)
    after, same_features = plain(x)
    assert torch.equal(features, same_features)
    expected = before + torch.log(target / source).float()
    assert torch.allclose(after, expected, atol=1e-5)
    # posterior ratio: p_t(y|x) / p_s(y|x) ∝ π_t(y) / π_s(y)
    ratio = after.softmax(1) / before.softmax(1)
    assert torch.allclose(
        ratio / ratio[:, :1], (target / source / (target[0] / source[0])).expand(20, 3), atol=1e-4
    )
    calibrated = copy.deepcopy(model)
    correct_head(calibrated, shift, Calibration(scale=0.5, bias=(0.1, -0.2, 0.3)))
    expected = 0.5 * before + torch.tensor([0.1, -0.2, 0.3]) + torch.log(target / source)
    assert torch.allclose(calibrated(x)[0], expected.float(), atol=1e-5)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("prior_correction", ["transform"]),
        ("source_only+prior_correction", ["baseline", "transform"]),
        ("deep_coral+im+prior_correction", ["term", "term", "transform"]),
        ("kmm+dann+prior_correction", ["weights", "term", "transform"]),
        ("finetune+prior_correction", ["stage", "transform"]),
    ],
)
def test_a_transform_composes_after_anything(text, kinds):
    assert [spec.kind for spec in check_combination(parse_methods(text))] == kinds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prior_correction+deep_coral", r"transforms come last \(write deep_coral\+prior_correction\)$"),
        ("prior_correction+source_only", r"transforms come last \(write source_only\+prior_correction\)$"),
        ("source_only+prior_correction+prior_correction", "twice"),
        ("coral+im+prior_correction", "must run alone"),
    ],
)
def test_misplaced_transforms_are_refused(text, message):
    with pytest.raises(TLError, match=message):
        parse_methods(text)


def test_prior_correction_parameters_are_typed():
    spec = get_method("prior_correction")
    assert spec.kind == "transform" and isinstance(spec.builder, TransformBuilder)
    assert spec.defaults() == {"estimator": "em", "calibrate": True, "max_iter": 1000}
    assert spec.describe()["choices"] == {"estimator": ["em", "bbse"]}
    with pytest.raises(TLError, match="must be one of 'em', 'bbse'"):
        spec.parse_params({"estimator": "oracle"})
    with pytest.raises(TLError, match="weight applies to loss terms only, not to a transform"):
        spec.parse_params({"weight": 1})


def _npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def label_shifted(tmp_path_factory):
    """Three overlapping Gaussian classes in 10-D: a balanced source, a target with the same classes
    in proportions 0.7 / 0.2 / 0.1 (pure label shift). ``(workspace, source spec, target spec)``."""
    rng = np.random.default_rng(0)
    centres = np.zeros((3, 10))
    centres[1, 0] = centres[2, 1] = 2.0
    ys = np.arange(900) % 3
    yt = rng.choice(3, size=900, p=TARGET_PRIOR)
    Xs, Xt = centres[ys] + rng.normal(size=(900, 10)), centres[yt] + rng.normal(size=(900, 10))
    workspace = Workspace.resolve(tmp_path_factory.mktemp("label_shift"))
    source = save_upload(workspace, "balanced.npz", _npz(Xs, ys))
    target = save_upload(workspace, "shifted.npz", _npz(Xt, yt))
    return workspace, f"upload:{source}", f"upload:{target}"


@pytest.mark.parametrize("estimator", ["em", "bbse"])
def test_source_only_plus_prior_correction_beats_source_only_on_a_label_shifted_pair(
    estimator, label_shifted, monkeypatch
):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 30)
    workspace, source, target = label_shifted
    cfg = AdaptConfig(
        source=source,
        target=target,
        methods=("source_only", "prior_correction"),
        params={"prior_correction": {"estimator": estimator}},
        epochs=3,
    )
    result = run_adaptation(cfg, workspace)
    assert result.status == "done"
    assert result.target_accuracy > result.source_only_accuracy + 0.05
    info = result.info["transforms"]["prior_correction"]
    assert info["estimator"] == estimator and info["calibration"] is not None
    estimated = torch.tensor(info["target_prior"])
    assert total_variation(estimated, torch.tensor(TARGET_PRIOR)) < 0.1
    assert info["tv"] == pytest.approx(total_variation(estimated, torch.tensor(info["source_prior"])))
    assert result.gap_after == result.gap_before  # same features: only the head moved
    assert math.isclose(sum(info["target_prior"]), 1.0)


@pytest.mark.usefixtures("scratch_registry")
def test_a_transform_sees_a_copy_of_the_model_and_no_target_labels(label_shifted, monkeypatch):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 30)
    seen: list[TransformContext] = []

    def zero_head(params: NoParams, ctx: TransformContext) -> TransformOutcome:
        seen.append(ctx)
        with torch.no_grad():
            ctx.model.head.bias.zero_()
        return TransformOutcome(ctx.model, {"zeroed": True})

    register_transform("toy_transform", family="model-based", description="t", params=NoParams)(zero_head)
    workspace, source, target = label_shifted
    cfg = AdaptConfig(source=source, target=target, methods=("toy_transform",), epochs=3)
    result = run_adaptation(cfg, workspace)
    (ctx,) = seen
    assert ctx.target.y is None and ctx.source.y is not None and ctx.source_val.y is not None
    assert result.info["transforms"] == {"toy_transform": {"zeroed": True}}
    assert torch.count_nonzero(result.model.head.bias) == 0
    baseline = BaselineCache.of_workspace(workspace).get(
        baseline_key(cfg, pick_device().type, torch.get_num_threads())
    )
    assert baseline is not None and torch.count_nonzero(baseline.model.head.bias) == 3  # untouched
    assert "transform" in result.info["seconds_per_stage"]


def test_blank_target_images_are_left_out_of_the_estimated_priors(monkeypatch):
    """A model puts an empty scan in some class (here all in class 0): counted, 60 blank images among
    30 + 30 of ink would read the target as 75% class 0. Left out, as the diagnosis leaves them, the
    estimate is the ink images' 50 / 50."""

    def images(quadrants: list[int]) -> torch.Tensor:
        X = torch.zeros(len(quadrants), 1, 8, 8)
        for i, q in enumerate(quadrants):
            if q >= 0:  # ink in the top-left (class 0) or bottom-right (class 1) quadrant
                X[i, 0, 4 * q : 4 * q + 3, 4 * q : 4 * q + 3] = 1.0
        return X

    def outputs(model, X, device=None):  # a source-only model's reading: ink quadrant, blank -> 0
        top, bottom = X[:, 0, :4, :4].sum((1, 2)), X[:, 0, 4:, 4:].sum((1, 2))
        logits = torch.stack([top - bottom, bottom - top], 1) + 5.0 * (X.sum((1, 2, 3)) == 0)[
            :, None
        ] * torch.tensor([1.0, -1.0])
        return logits, logits

    monkeypatch.setattr(prior_correction_module, "model_outputs", outputs)
    val = Domain("val", images([0, 1] * 50), torch.tensor([0, 1] * 50), ("a", "b"))
    target = Domain("target", images([0, 1] * 30 + [-1] * 60), None, ("a", "b"))
    torch.manual_seed(0)
    model = build_model("mlp", (4,), 2)
    ctx = TransformContext(model, source=val, source_val=val, target=target, seed=0, device="cpu")
    spec = get_method("prior_correction")
    outcome = spec.builder.build(spec.parse_params({"calibrate": False}).params, ctx)
    assert outcome.info["target_prior"] == pytest.approx([0.5, 0.5], abs=1e-6)
    assert outcome.info["n_blank_target"] == 60 and outcome.info["n_blank_source_val"] == 0
