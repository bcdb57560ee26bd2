"""AdaBN normalises each domain by its own statistics: the run's source splits are scored with the
source statistics the model had before the transform, every target output with the target's."""

import io
from dataclasses import replace

import numpy as np
import pytest
import torch

from tlcore.adapt import evaluate as evaluate_stage
from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.evaluate import evaluate_model
from tlcore.adapt.pair import load_run_pair
from tlcore.adapt.pipeline import run_adaptation
from tlcore.data import save_upload
from tlcore.features import model_outputs
from tlcore.methods.adabn import batch_norm_layers
from tlcore.workspace import Workspace

N, D = 300, 4


def _npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    """``(workspace, config of an adabn run, cache)``: three blobs; the target is the source's
    distribution scaled by 3 and moved by +4 in every column, so the BatchNorm statistics of the two
    domains differ far."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0, 0, 0], [3, 0, 0, 0], [0, 3, 0, 0]])
    y = np.arange(N) % 3
    Xs = centres[y] + rng.normal(size=(N, D))
    Xt = 3.0 * (centres[y] + rng.normal(size=(N, D))) + 4.0
    workspace = Workspace.resolve(tmp_path_factory.mktemp("scaled"))
    source = save_upload(workspace, "scaled_source.npz", _npz(Xs, y))
    target = save_upload(workspace, "scaled_target.npz", _npz(Xt, y))
    cfg = AdaptConfig(
        source=f"upload:{source}", target=f"upload:{target}", methods=("adabn",), epochs=3, bottleneck=16
    )
    return workspace, cfg, BaselineCache()


@pytest.fixture(autouse=True)
def light_evaluation(monkeypatch):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 30)


def _accuracy(model, domain) -> float:
    logits, _ = model_outputs(model, domain.X, device="cpu")
    return float((logits.argmax(1) == domain.y).float().mean())


def test_the_source_split_is_scored_with_the_source_statistics(scaled):
    workspace, cfg, cache = scaled
    baseline = run_adaptation(replace(cfg, methods=("source_only",)), workspace, baseline_cache=cache)
    adapted = run_adaptation(cfg, workspace, baseline_cache=cache)
    pair = load_run_pair(cfg, workspace, False)
    # the same weights: only the BatchNorm statistics differ (adabn alone transforms the baseline)
    (bn_source,), (bn_target,) = batch_norm_layers(baseline.model), batch_norm_layers(adapted.model)
    assert not torch.allclose(bn_source.running_mean, bn_target.running_mean)
    with_source_statistics = _accuracy(baseline.model, pair.source_val)
    with_target_statistics = _accuracy(adapted.model, pair.source_val)
    assert with_source_statistics == pytest.approx(53 / 60)
    assert with_target_statistics == pytest.approx(20 / 60)  # what the old evaluation reported
    assert adapted.source_accuracy == pytest.approx(with_source_statistics)
    after = adapted.validators.after
    assert after.source_accuracy == pytest.approx(with_source_statistics)  # what the guardrail reads
    assert adapted.validators.before.source_accuracy == pytest.approx(with_source_statistics)
    # the target is scored with the target statistics, as before (63.3% -> 83.3%)
    assert adapted.target_accuracy == pytest.approx(50 / 60)
    assert adapted.target_accuracy == pytest.approx(_accuracy(adapted.model, pair.target_test))
    probabilities = model_outputs(adapted.model, pair.target.X, device="cpu")[0].softmax(1).numpy()
    assert np.allclose(adapted.predictions.after, probabilities, atol=1e-6)


def test_a_source_model_changes_no_target_output(scaled):
    workspace, cfg, cache = scaled
    adapted = run_adaptation(cfg, workspace, baseline_cache=cache)
    baseline = run_adaptation(replace(cfg, methods=("source_only",)), workspace, baseline_cache=cache)
    pair = load_run_pair(cfg, workspace, False)
    alone = evaluate_model(adapted.model, pair, seed=0, device="cpu")
    split = evaluate_model(adapted.model, pair, seed=0, device="cpu", source_model=baseline.model)
    assert split.description["target"] == alone.description["target"]
    assert np.array_equal(split.target_probabilities, alone.target_probabilities)
    for name in ("im", "bnm", "snd", "entropy", "effective_classes", "ice_inter", "ice_intra"):
        assert getattr(split.validators, name) == getattr(alone.validators, name), name
    assert split.description["source"]["accuracy"] > alone.description["source"]["accuracy"] + 0.5
