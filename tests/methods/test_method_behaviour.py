"""Behaviour on shifted pairs, through the public pipeline, fixed seed.

A toy vector pair (uploaded like a user's file) with a shortcut: in the source, besides the two
informative dimensions, eight more carry a weaker copy of the class (dims 2..5 half of dim 0's
offset, dims 6..9 half of dim 1's); in the target those eight carry no class, at +1.5 (dims 2..5,
class 1's source value) and -1.5 (dims 6..9). The informative dimensions are untouched, so a model
that reads them alone has the same accuracy on both domains and equal feature marginals; one that
also reads the shortcut sees "class 1" on every target sample. Per-column standardisation with the
source's statistics (inside every vector model) moves both domains alike and cannot undo it. The
source-only model (a plain MLP, no bottleneck) leans on the shortcut and loses on the target; every
feature-based method beats it, and the trained ones lower the feature-space MMD² (the adversarial
ones judged on their weights' moving average); the self-training terms that guard against collapse
(MCC, BNM, FixMatch with distribution alignment) and SHOT's clustering pseudo-labels beat it too.

The toy's budget is 10 epochs (23 steps each): the source cross-entropy rewards the shortcut, so an
adapted model has to unlearn it against that loss, with Adam moving a weight by about ``lr`` per
step; at 5 epochs DANN and FixMatch had not yet done so (measured). On the real pair
mnist5k -> digits (slow), the default compositions (alignment term + IM), closed-form CORAL and
fine-tuning with 5 labels per class beat the source-only baseline.
"""

import io

import numpy as np
import pytest
import torch

from tlcore.adapt import evaluate as evaluate_stage
from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import load_run_pair
from tlcore.adapt.pipeline import run_adaptation
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.data import save_upload
from tlcore.workspace import Workspace

N, D = 900, 10
EPOCHS = 10  # the toy's budget (module docstring)
ADVERSARIAL = ("dann", "cdan")  # gradient-reversal games: judged on their weights' average
ADVERSARIAL_EMA_DECAY = 0.98  # about two epochs of 23 steps (see the feature-based test)


def _npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """``(workspace, source spec, target spec, cache)`` of the shortcut pair."""
    rng = np.random.default_rng(0)
    centres = np.zeros((3, D))
    centres[1, 0] = centres[2, 1] = 3.0  # informative dims 0 and 1
    centres[1, 2:6] = centres[2, 6:10] = 1.5  # the source's shortcut: half the offset, 4 columns each

    def blobs() -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(N) % 3
        return centres[y] + rng.normal(size=(N, D)), y

    (Xs, ys), (Xt, yt) = blobs(), blobs()
    Xt[:, 2:] -= centres[yt, 2:]  # the target's shortcut carries no class ...
    Xt[:, 2:6] += 1.5  # ... and reads class 1 on dims 2..5
    Xt[:, 6:10] -= 1.5  # and "not class 2" on dims 6..9
    workspace = Workspace.resolve(tmp_path_factory.mktemp("toy"))
    source = save_upload(workspace, "toy_source.npz", _npz(Xs, ys))
    target = save_upload(workspace, "toy_target.npz", _npz(Xt, yt))
    return workspace, f"upload:{source}", f"upload:{target}", BaselineCache()


@pytest.fixture(autouse=True)
def light_evaluation(monkeypatch):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 30)


def test_a_table_in_large_units_trains_on_the_source_split_z_scores(tmp_path):
    """Columns in the thousands (a wine's proline): the MLP standardises them with the source training
    split's statistics (not the target's, nor the whole source's), saved in the model, so two epochs
    are enough (1.0 over seeds 0-8; 0.33-0.35 on the raw columns, as before standardising)."""
    rng = np.random.default_rng(1)
    y = np.arange(300) % 3
    X = (np.eye(3)[y] * 5 + rng.normal(size=(300, 3))) * [1000.0, 1.0, 0.001] + [5000.0, 0.0, 0.0]
    workspace = Workspace.resolve(tmp_path)
    source = f"upload:{save_upload(workspace, 'wide_units.npz', _npz(X, y))}"
    target = f"upload:{save_upload(workspace, 'moved.npz', _npz(X * 2 + 100.0, y))}"  # not its statistics
    cfg = AdaptConfig(source=source, target=target, methods=("source_only",), epochs=2, seed=0)
    result = run_adaptation(cfg, workspace, baseline_cache=BaselineCache())
    train = load_run_pair(cfg, workspace).source_train.X.double()
    torch.testing.assert_close(result.model.standardize.mean, train.mean(0).float())
    torch.testing.assert_close(result.model.standardize.scale, train.std(0, correction=0).float())
    assert result.source_accuracy > 0.9


@pytest.mark.parametrize("method", ["deep_coral", "dan", "dann", "cdan", "coral"])
def test_feature_based_methods_beat_source_only_and_close_the_gap(method, toy):
    """Judged over seeds 0-2: one seed's margin moves with the CPU's floating-point arithmetic (DAN's,
    at seed 0, cleared a per-seed bar on one machine and missed it on another).

    The adversarial terms (DANN, CDAN) are judged on the moving average of their weights. Through
    the gradient reversal layer the features and the domain discriminator play a minimax game that
    does not settle in the toy's budget: the discriminator's accuracy swings between about 0.7 and
    0.95 every two or three epochs, so the last step's weights stop at a random point of a swing,
    and their feature gap with it (DANN's MMD² after / before, last weights, ran from 0.23 to 1.29
    over seeds 0-8). Averaging the iterates damps a game's oscillation; it is the engine's own
    remedy (``ema_decay``, kept by the recommended recipe). At 0.98 the average spans about
    1 / (1 - 0.98) = 50 steps, two epochs (one swing), and puts 3/4 of its weight on the last three
    epochs, after the shortcut is unlearned; at the recipe's 0.99 half of it lies before them, and
    the averaged model's target accuracy lags the last weights'. The moment-matching terms (Deep
    CORAL, DAN) descend their distance directly, in no game, so their last weights are judged."""
    workspace, source, target, cache = toy
    ema_decay = ADVERSARIAL_EMA_DECAY if method in ADVERSARIAL else 0.0
    results = [
        run_adaptation(
            AdaptConfig(
                source=source,
                target=target,
                methods=(method,),
                epochs=EPOCHS,
                bottleneck=0,
                seed=seed,
                ema_decay=ema_decay,
            ),
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
        source=source,
        target=target,
        methods=methods,
        params=params or {},
        epochs=EPOCHS,
        bottleneck=bottleneck,
    )
    return run_adaptation(cfg, workspace, baseline_cache=cache)


@pytest.mark.parametrize("method", ["mcc", "bnm", "fixmatch", "shot_pl"])
def test_self_training_terms_beat_source_only(method, toy):
    result = _toy_run(toy, (method,))
    assert result.source_only_accuracy < 0.6
    assert result.target_accuracy > result.source_only_accuracy + 0.1


def test_fixmatch_without_distribution_alignment_collapses_on_the_toy_shift(toy):
    """Why ``fixmatch.align`` defaults to on: the shortcut reads class 1 on every target sample, so the
    source model's confident target predictions fall mostly in class 1, and plain FixMatch trains
    that class onto the whole target."""
    plain = _toy_run(toy, ("fixmatch",), {"fixmatch": {"align": False}})
    assert plain.target_accuracy < plain.source_only_accuracy
    predicted = np.array(plain.confusion).sum(0)  # rows: true class, columns: predicted
    assert predicted.max() > 0.6 * predicted.sum()


def test_labelled_target_samples_beat_source_only_and_lift_a_composition(toy):
    """Labelled target samples trained beside the source (S+T: 2 per class) or beside Deep CORAL
    (20 per class).

    The lift is shown on Deep CORAL, not on information maximisation: on this toy IM's diversity term
    undoes the shortcut's "class 1 everywhere" by itself, and IM alone ends within a few points of
    the accuracy of the nearest true centre on the informative dimensions (0.91 on the whole target),
    so labels have almost nothing left to lift and the lift, a few of the 180 target test samples,
    drowns in IM's own spread between seeds however many labels are given (measured with 10, 20 and
    30 per class). Deep CORAL aligns the covariances of the whole domains' logits, not of each
    class's, and stops well below that ceiling, by an amount that varies from seed to seed; 20
    labels per class (a twelfth of each class's target train split) anchor each class to its own
    target samples, the term's purpose, and bring every seed close to the ceiling, so the lift is
    about the headroom rather than the noise. Judged over seeds 0-2 (5 points: 9 test samples)."""
    workspace, source, target, cache = toy

    def run(methods: tuple[str, ...], k: int, seed: int = 0):
        cfg = AdaptConfig(
            source=source,
            target=target,
            methods=methods,
            epochs=EPOCHS,
            bottleneck=0,
            target_labels=k,
            seed=seed,
        )
        return run_adaptation(cfg, workspace, baseline_cache=cache)

    alone = run(("labelled_target",), 2)
    assert alone.info["n_target_labels"] == 6  # 2 per class, 3 classes
    assert alone.source_only_accuracy < 0.6
    assert alone.target_accuracy > alone.source_only_accuracy + 0.1
    lift = [
        run(("deep_coral", "labelled_target"), 20, seed).target_accuracy
        - run(("deep_coral",), 0, seed).target_accuracy
        for seed in (0, 1, 2)
    ]
    assert np.mean(lift) > 0.05


@pytest.fixture(scope="module")
def real_cache():
    return BaselineCache()


REAL_PAIR = {"source": "mnist5k:n=2000", "target": "digits", "epochs": 3, "seed": 0}


@pytest.mark.slow
@pytest.mark.parametrize(
    "methods",
    [RECOMMENDED.methods, ("dan", "im"), ("dann", "im"), ("cdan", "im"), ("mcc", "im"), ("coral",)],
)
def test_real_pair_compositions_beat_source_only_and_close_the_gap(methods, real_cache, loaded_pair):
    """On mnist5k -> digits each alignment term in the default composition (term + information
    maximisation) and closed-form CORAL beat source-only; the trained alignments lower the MMD².

    Alone, at this 3-epoch budget, deep_coral / dan / dann move target accuracy by only a point or
    two either way on this pair (measured), so the real pair pins the compositions users run.
    """
    cfg = AdaptConfig(methods=methods, **REAL_PAIR)
    result = run_adaptation(cfg, baseline_cache=real_cache, pair=loaded_pair(cfg))
    assert result.status == "done"
    assert result.target_accuracy > result.source_only_accuracy + 0.02
    if methods != ("coral",):  # closed-form CORAL keeps the baseline's features: its gap is unchanged
        assert result.gap_after.mmd2 < 0.75 * result.gap_before.mmd2


@pytest.mark.slow
def test_real_pair_finetuning_with_k_labels_beats_source_only(real_cache, loaded_pair):
    cfg = AdaptConfig(methods=("finetune",), target_labels=5, **REAL_PAIR)
    result = run_adaptation(cfg, baseline_cache=real_cache, pair=loaded_pair(cfg))
    assert result.info["n_target_labels"] == 50
    assert result.target_accuracy > result.source_only_accuracy + 0.05


def test_adabn_beats_source_only_on_the_toy_shift(toy):
    """Target statistics in the bottleneck's BatchNorm re-standardise the shifted target (a network
    with a 64-wide bottleneck: the shortcut's shift moves the bottleneck's statistics)."""
    result = _toy_run(toy, ("source_only", "adabn"), bottleneck=64)
    assert result.target_accuracy > result.source_only_accuracy + 0.01
