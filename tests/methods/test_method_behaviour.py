"""Behaviour on shifted pairs, through the public pipeline, fixed seed.

A toy vector pair (uploaded like a user's file) whose target differs only in nuisance dimensions
(rescaled and moved; the two informative dimensions are untouched): the source-only model leans on
the nuisance dimensions and loses on the target (a plain MLP, no bottleneck), every feature-based
method beats it, and the trained ones lower the feature-space MMD²; the self-training terms that
guard against collapse (MCC, BNM, FixMatch with distribution alignment) and SHOT's clustering
pseudo-labels beat it too. On the real pair mnist5k -> digits
(slow), the default compositions (alignment term + IM), closed-form CORAL and fine-tuning with 5
labels per class beat the source-only baseline.
"""

import io

import numpy as np
import pytest

from tlcore.adapt import evaluate as evaluate_stage
from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.data import save_upload
from tlcore.workspace import Workspace

N, D = 900, 10


def _npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """``(workspace, source spec, target spec, cache)`` of the nuisance-shift pair."""
    rng = np.random.default_rng(0)
    centres = np.zeros((3, D))
    centres[1, 0] = centres[2, 1] = 3.0

    def blobs() -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(N) % 3
        return centres[y] + rng.normal(size=(N, D)), y

    (Xs, ys), (Xt, yt) = blobs(), blobs()
    Xt[:, 2:] = Xt[:, 2:] * 3.0 + 2.0  # nuisance dimensions: scale x3, shift +2
    workspace = Workspace.resolve(tmp_path_factory.mktemp("toy"))
    source = save_upload(workspace, "toy_source.npz", _npz(Xs, ys))
    target = save_upload(workspace, "toy_target.npz", _npz(Xt, yt))
    return workspace, f"upload:{source}", f"upload:{target}", BaselineCache()


@pytest.fixture(autouse=True)
def light_evaluation(monkeypatch):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 30)


@pytest.mark.parametrize("method", ["deep_coral", "dan", "dann", "cdan", "coral"])
def test_feature_based_methods_beat_source_only_and_close_the_gap(method, toy):
    """Judged over seeds 0-2: one seed's margin moves with the CPU's floating-point arithmetic (DAN's,
    at seed 0, cleared a per-seed bar on one machine and missed it on another)."""
    workspace, source, target, cache = toy
    results = [
        run_adaptation(
            AdaptConfig(source=source, target=target, methods=(method,), epochs=5, bottleneck=0, seed=seed),
            workspace,
            baseline_cache=cache,
        )
        for seed in (0, 1, 2)
    ]
    assert {r.info["model"]["name"] for r in results} == {"mlp"}
    assert max(r.source_only_accuracy for r in results) < 0.6
    assert np.mean([r.target_accuracy - r.source_only_accuracy for r in results]) > 0.1
    if method != "coral":  # closed-form CORAL keeps the baseline's features, so their gap stays
        assert np.mean([r.gap_after.mmd2 / r.gap_before.mmd2 for r in results]) < 0.7


def _toy_run(toy, methods: tuple[str, ...], params: dict | None = None, bottleneck: int = 0):
    workspace, source, target, cache = toy
    cfg = AdaptConfig(
        source=source, target=target, methods=methods, params=params or {}, epochs=5, bottleneck=bottleneck
    )
    return run_adaptation(cfg, workspace, baseline_cache=cache)


@pytest.mark.parametrize("method", ["mcc", "bnm", "fixmatch", "shot_pl"])
def test_self_training_terms_beat_source_only(method, toy):
    result = _toy_run(toy, (method,))
    assert result.source_only_accuracy < 0.6
    assert result.target_accuracy > result.source_only_accuracy + 0.1


def test_fixmatch_without_distribution_alignment_collapses_on_the_toy_shift(toy):
    """Why ``fixmatch.align`` defaults to on: the shifted source model's confident target predictions
    fall mostly in one class, and plain FixMatch trains that class onto the whole target."""
    plain = _toy_run(toy, ("fixmatch",), {"fixmatch": {"align": False}})
    assert plain.target_accuracy < plain.source_only_accuracy
    predicted = np.array(plain.confusion).sum(0)  # rows: true class, columns: predicted
    assert predicted.max() > 0.6 * predicted.sum()


def test_labelled_target_samples_beat_source_only_and_lift_a_composition(toy):
    """Labelled target samples trained beside the source (S+T: 2 per class) or beside IM (10)."""
    workspace, source, target, cache = toy

    def run(methods: tuple[str, ...], k: int):
        cfg = AdaptConfig(
            source=source, target=target, methods=methods, epochs=5, bottleneck=0, target_labels=k
        )
        return run_adaptation(cfg, workspace, baseline_cache=cache)

    alone = run(("labelled_target",), 2)
    assert alone.info["n_target_labels"] == 6  # 2 per class, 3 classes
    assert alone.source_only_accuracy < 0.6
    assert alone.target_accuracy > alone.source_only_accuracy + 0.1
    assert run(("im", "labelled_target"), 10).target_accuracy > run(("im",), 0).target_accuracy + 0.02


@pytest.fixture(scope="module")
def real_cache():
    return BaselineCache()


REAL_PAIR = {"source": "mnist5k:n=2000", "target": "digits", "epochs": 3, "seed": 0}


@pytest.mark.slow
@pytest.mark.parametrize(
    "methods",
    [RECOMMENDED.methods, ("dan", "im"), ("dann", "im"), ("cdan", "im"), ("mcc", "im"), ("coral",)],
)
def test_real_pair_compositions_beat_source_only_and_close_the_gap(methods, real_cache):
    """On mnist5k -> digits each alignment term in the default composition (term + information
    maximisation) and closed-form CORAL beat source-only; the trained alignments lower the MMD².

    Alone, at this 3-epoch budget, deep_coral / dan / dann move target accuracy by only a point or
    two either way on this pair (measured), so the real pair pins the compositions users run.
    """
    result = run_adaptation(AdaptConfig(methods=methods, **REAL_PAIR), baseline_cache=real_cache)
    assert result.status == "done"
    assert result.target_accuracy > result.source_only_accuracy + 0.02
    if methods != ("coral",):  # closed-form CORAL keeps the baseline's features: its gap is unchanged
        assert result.gap_after.mmd2 < 0.75 * result.gap_before.mmd2


@pytest.mark.slow
def test_real_pair_finetuning_with_k_labels_beats_source_only(real_cache):
    cfg = AdaptConfig(methods=("finetune",), target_labels=5, **REAL_PAIR)
    result = run_adaptation(cfg, baseline_cache=real_cache)
    assert result.info["n_target_labels"] == 50
    assert result.target_accuracy > result.source_only_accuracy + 0.05


def test_adabn_beats_source_only_on_the_toy_shift(toy):
    """Target statistics in the bottleneck's BatchNorm re-standardise the shifted target (a network
    with a bottleneck: the source-only model is stronger there, AdaBN still adds to it)."""
    result = _toy_run(toy, ("source_only", "adabn"), bottleneck=64)
    assert result.target_accuracy > result.source_only_accuracy + 0.01
