"""THE training loop: seeded, callbacks (events, early stopping, NaN guard, cancellation), weights."""

import math
from pathlib import Path

import pytest
import torch

from tlcore.data.augment import random_affine, strong_augment
from tlcore.data.domain import Domain
from tlcore.events import Callbacks, ProgressEvent, progress_words
from tlcore.models import build_model
from tlcore.training import StepInputs, Term, TrainSettings, train

CLASSES = ("a", "b", "c")
STRONG = frozenset({"strong_target_view"})
LABELLED = frozenset({"labelled_target"})


def _blobs(n: int, shift: float, seed: int, labelled: bool = True) -> Domain:
    """Three Gaussian classes in 8-d, moved by ``shift``."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.eye(3, 8) * 3.0
    X = centres[y] + torch.randn(n, 8, generator=g) + shift
    return Domain(name=f"blobs{shift}", X=X, y=y if labelled else None, classes=CLASSES)


@pytest.fixture(scope="module")
def task():
    return _blobs(192, 0.0, 0), _blobs(96, 0.5, 1, labelled=False), _blobs(64, 0.0, 2), _blobs(64, 0.5, 3)


def _model(seed: int = 0):
    torch.manual_seed(seed)
    return build_model("mlp", (8,), 3)


def _mean_feature_norm(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
    _, feats_t = step.target()
    return feats_t.pow(2).mean() * 0.0, {"progress": step.progress}


def test_same_seed_gives_the_same_history(task):
    source, target, val, test = task
    settings = TrainSettings(epochs=2, batch_size=32, seed=5, log_every=0)
    runs = [
        train(
            _model(),
            source,
            target,
            settings=settings,
            terms=[Term("zero", _mean_feature_norm)],
            source_val=val,
            target_test=test,
        )
        for _ in range(2)
    ]
    assert runs[0].epochs == runs[1].epochs
    assert runs[0].status == "done"
    other = train(
        _model(), source, target, settings=TrainSettings(epochs=2, batch_size=32, seed=6), source_val=val
    )
    assert other.epochs[0]["loss_source"] != runs[0].epochs[0]["loss_source"]


def test_training_learns_and_reports_events(task):
    source, target, val, test = task
    events: list[ProgressEvent] = []
    history = train(
        _model(),
        source,
        target,
        settings=TrainSettings(epochs=3, batch_size=32, lr=3e-3, log_every=2, span=(0.5, 1.0), stage="adapt"),
        terms=[Term("zero", _mean_feature_norm, weight=2.0)],
        source_val=val,
        target_test=test,
        callbacks=Callbacks(on_event=events.append),
    )
    assert [e["epoch"] for e in history.epochs] == [1.0, 2.0, 3.0]
    assert history.epochs[-1]["source_accuracy"] > 0.9
    assert {"loss", "loss_source", "loss_zero", "zero_progress", "target_accuracy", "source_val_loss"} <= set(
        history.epochs[-1]
    )
    kinds = {e.kind for e in events}
    assert kinds == {"step", "epoch"}
    assert all(e.stage == "adapt" and 0.5 <= e.fraction <= 1.0 for e in events)
    assert [e.fraction for e in events if e.kind == "epoch"][-1] == pytest.approx(1.0)
    assert "target_accuracy" in [e for e in events if e.kind == "epoch"][-1].metrics
    # QA: a run card read "adapt" the whole run long; each step and epoch end now says which epoch of how many
    said = sorted({(e.epoch, e.message) for e in events})
    assert said == [(1, "epoch 1 of 3"), (2, "epoch 2 of 3"), (3, "epoch 3 of 3")]
    assert progress_words("adapt", events[-1].message) == "adapt: epoch 3 of 3"
    assert progress_words("queued", "") == "queued"
    assert progress_words("done", "done") == "done"  # QA helper-250: the bar ended on "done: done"


def test_nan_loss_stops_the_run_with_a_reason(task):
    source, target, *_ = task

    def poison(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        value = torch.tensor(math.nan) if step.step == 3 else torch.tensor(0.0)
        return value, {}

    history = train(
        _model(),
        source,
        target,
        settings=TrainSettings(epochs=2, batch_size=32),
        terms=[Term("poison", poison)],
    )
    assert history.status == "failed"
    assert "loss_poison" in history.reason and "nan" in history.reason and "step 3" in history.reason


def test_should_stop_cancels_cleanly(task):
    source, target, *_ = task
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 4

    history = train(
        _model(),
        source,
        target,
        settings=TrainSettings(epochs=3, batch_size=32),
        callbacks=Callbacks(should_stop=should_stop),
    )
    assert history.status == "cancelled"
    assert "step 4" in history.reason
    assert history.epochs == []


def test_early_stopping_on_the_source_validation_loss(task):
    source, _, val, _ = task
    history = train(
        _model(), source, settings=TrainSettings(epochs=6, batch_size=32, lr=0.0, patience=2), source_val=val
    )
    assert history.status == "stopped_early"
    assert len(history.epochs) == 3  # epoch 1 is the best; two more without improvement
    assert "kept epoch 1" in history.reason


def test_frozen_backbone_only_trains_the_head(task):
    source, *_ = task
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    train(model, source, settings=TrainSettings(epochs=1, batch_size=32, backbone_lr_mult=0.0))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("backbone"))
    assert not torch.equal(before["head.weight"], after["head.weight"])
    assert all(p.requires_grad for p in model.parameters())


def test_source_weights_reach_the_loss(task):
    source, *_ = task
    weights = (source.y == 0).float() * 3.0  # only class "a" counts
    model = _model()
    train(model, source, settings=TrainSettings(epochs=3, batch_size=32, lr=3e-3), source_weights=weights)
    predictions = model(source.X)[0].argmax(1)
    assert (predictions == 0).float().mean() > 0.9


def test_random_affine_is_seeded_and_keeps_the_shape():
    x = torch.zeros(4, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1.0
    a = random_affine(x, torch.Generator().manual_seed(0))
    b = random_affine(x, torch.Generator().manual_seed(0))
    c = random_affine(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    assert a.sum(dim=(1, 2, 3)).sub(x.sum(dim=(1, 2, 3))).abs().max() < 12  # mass roughly kept
    identity = random_affine(x, torch.Generator().manual_seed(0), degrees=0.0, scale=(1.0, 1.0), shift_px=0.0)
    assert torch.allclose(identity, x, atol=1e-5)


def test_strong_augment_is_seeded_and_keeps_images_in_range():
    x = torch.zeros(6, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0
    a = strong_augment(x, torch.Generator().manual_seed(0))
    b = strong_augment(x, torch.Generator().manual_seed(0))
    c = strong_augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert (a - x).abs().mean() > (random_affine(x, torch.Generator().manual_seed(0)) - x).abs().mean()


def test_strong_augment_of_vectors_adds_noise_and_drops_features_to_their_mean():
    x = torch.randn(400, 8, generator=torch.Generator().manual_seed(0)) * 5 + 3
    a = strong_augment(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, strong_augment(x, torch.Generator().manual_seed(0)))
    dropped = a == x.mean(0)
    assert 0.07 < dropped.float().mean() < 0.13
    noise = (a - x)[~dropped] / x.std(0, correction=0).expand_as(x)[~dropped]
    assert noise.std().item() == pytest.approx(0.1, rel=0.1)


def test_a_term_that_needs_the_strong_view_gets_it_in_the_same_forward_pass(task):
    source, target, *_ = task
    seen: list[StepInputs] = []

    def consistency(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        seen.append(step)
        logits_strong, _ = step.target_strong()
        return (logits_strong - step.target()[0]).pow(2).mean(), {}

    def blind(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        assert step.x_t_strong is None
        with pytest.raises(ValueError, match="needs=\\('strong_target_view',\\)"):
            step.target_strong()
        return torch.tensor(0.0), {}

    settings = TrainSettings(epochs=1, batch_size=32, steps_per_epoch=3, seed=2)
    train(_model(), source, target, settings=settings, terms=[Term("blind", blind)])
    model, batches = _model(), []
    model.register_forward_hook(lambda module, args, out: batches.append(len(args[0])))
    terms = [Term("blind_too", lambda step: (torch.tensor(0.0), {})), Term("c", consistency, 1.0, STRONG)]
    history = train(model, source, target, settings=settings, terms=terms)
    assert history.status == "done" and batches == [32 + 32 + 32] * 3  # one forward per step
    first = seen[0]
    assert first.logits_t_strong.shape == first.logits_t.shape == (32, 3)
    assert first.x_t_strong.shape == first.x_t.shape and not torch.equal(first.x_t_strong, first.x_t)
    again: list[StepInputs] = []
    record = Term("c", lambda step: again.append(step) or consistency(step), 1.0, STRONG)
    train(_model(), source, target, settings=settings, terms=[record])
    assert torch.equal(again[0].x_t_strong, first.x_t_strong)  # seeded


def test_a_term_that_needs_labelled_target_samples_gets_a_batch_of_them_in_the_same_forward_pass(task):
    source, target, *_ = task
    labelled = _blobs(12, 0.5, 4)  # 4 per class: fewer than a batch, so each step draws all 12
    seen: list[StepInputs] = []

    def supervised(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        seen.append(step)
        logits, y = step.labelled_target()
        return torch.nn.functional.cross_entropy(logits, y), {}

    def blind(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        assert step.x_tl is None and step.y_tl is None
        with pytest.raises(ValueError, match="needs=\\('labelled_target',\\)"):
            step.labelled_target()
        return torch.tensor(0.0), {}

    settings = TrainSettings(epochs=1, batch_size=32, steps_per_epoch=3, seed=2)
    train(_model(), source, target, settings=settings, terms=[Term("blind", blind)], target_labelled=labelled)
    term = Term("s+t", supervised, 1.0, LABELLED)
    with pytest.raises(ValueError, match=r"pass train\(target_labelled=\.\.\.\)"):
        train(_model(), source, target, settings=settings, terms=[term])
    model, batches = _model(), []
    model.register_forward_hook(lambda module, args, out: batches.append(len(args[0])))
    history = train(model, source, target, settings=settings, terms=[term], target_labelled=labelled)
    assert history.status == "done" and batches == [32 + 32 + 12] * 3  # one forward per step
    first = seen[0]
    assert first.logits_tl.shape == (12, 3)
    order = torch.argsort(first.x_tl[:, 0] * 1000 + first.x_tl[:, 1])
    expected = torch.argsort(labelled.X[:, 0] * 1000 + labelled.X[:, 1])
    assert torch.equal(first.x_tl[order], labelled.X[expected])  # the labelled samples themselves
    assert torch.equal(first.y_tl[order], labelled.y[expected])  # with their own labels
    assert not torch.equal(seen[0].x_tl, seen[1].x_tl)  # drawn afresh each step
    big = _blobs(60, 0.5, 5)
    seen.clear()
    train(_model(), source, target, settings=settings, terms=[term], target_labelled=big)
    assert [len(step.y_tl) for step in seen] == [32] * 3  # a batch at most
    assert all(len(set(step.x_tl[:, 0].tolist())) == 32 for step in seen)  # without replacement
    again: list[StepInputs] = []
    record = Term("s+t", lambda step: again.append(step) or supervised(step), 1.0, LABELLED)
    train(_model(), source, target, settings=settings, terms=[record], target_labelled=big)
    assert torch.equal(again[0].x_tl, seen[0].x_tl)  # seeded


def test_one_training_loop_trains_every_method():
    """Only the loop (tlcore/training/loop.py) steps an optimizer, in one place, and only
    tlcore/training/optimizer.py builds one: methods add terms, never loops."""
    root = Path(__file__).resolve().parents[2] / "tlcore"
    stepping = {}
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if ".backward(" in text or "optim." in text:
            stepping[path.relative_to(root).as_posix()] = text.count(".backward(")
    assert stepping == {"training/loop.py": 1, "training/optimizer.py": 0}


def test_an_epoch_passes_over_the_larger_domain_so_every_target_sample_is_drawn(task):
    """96 source vs 192 target samples, batch 32: 6 steps an epoch (the target's), 3 without a target."""
    big_target, small_source = task[0], task[1]
    small_source = Domain(name="src", X=small_source.X, y=torch.arange(96) % 3, classes=CLASSES)
    last_steps = []
    for target in (big_target, None):
        events: list[ProgressEvent] = []
        train(
            _model(),
            small_source,
            target,
            settings=TrainSettings(epochs=2, batch_size=32, log_every=1),
            callbacks=Callbacks(on_event=events.append),
        )
        last_steps.append([e.step for e in events if e.kind == "epoch"])
    assert last_steps == [[6, 12], [3, 6]]
