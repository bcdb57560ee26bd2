"""The weight average: the recursion it states, and the loop scoring and keeping it."""

import pytest
import torch
from torch import nn

from tlcore.data.domain import Domain
from tlcore.models import build_model
from tlcore.training import StepInputs, Term, TrainSettings, evaluate, train
from tlcore.weight_average import WeightAverage


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))


def _set(model: nn.Module, value: float) -> None:
    with torch.no_grad():
        for tensor in [*model.parameters(), model[1].running_mean]:
            tensor.fill_(value)


def test_the_average_follows_its_recursion_from_the_first_weights():
    model, average = _net(), WeightAverage(0.9)
    for value in (1.0, 3.0, 7.0):
        _set(model, value)
        model[1].num_batches_tracked += 1
        average.update(model)
    expected = 0.9 * (0.9 * 1.0 + 0.1 * 3.0) + 0.1 * 7.0  # the first update copies the weights
    kept = average.averaged(model)
    for name, tensor in kept.state_dict().items():
        if name.endswith("num_batches_tracked"):
            assert tensor == 3  # integer buffers are the live model's
        elif name.endswith("running_var"):
            assert torch.equal(tensor, torch.ones(2))  # never moved: its average is itself
        else:
            assert torch.allclose(tensor, torch.full_like(tensor, expected)), name
    assert torch.equal(model[0].weight, torch.full((2, 3), 7.0))  # the live model is left alone


def test_decay_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(1.0)


def _blobs(n: int, shift: float, seed: int, labelled: bool = True) -> Domain:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.eye(3, 8)[y] * 3.0 + torch.randn(n, 8, generator=g) + shift
    return Domain(name=f"b{shift}", X=X, y=y if labelled else None, classes=("a", "b", "c"))


def test_the_loop_trains_the_same_path_and_keeps_and_scores_the_average():
    source, target, val = _blobs(128, 0.0, 0), _blobs(64, 0.5, 1, labelled=False), _blobs(64, 0.0, 2)
    seen: list[dict[str, torch.Tensor]] = []  # the weights each step starts from

    def record(model: nn.Module):
        def objective(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
            seen.append({k: v.detach().clone() for k, v in model.state_dict().items()})
            return step.logits_t.sum() * 0.0, {}  # type: ignore[union-attr]

        return objective

    def run(decay: float) -> tuple[nn.Module, list[dict[str, float]]]:
        torch.manual_seed(0)
        model = build_model("mlp", (8,), 3)
        settings = TrainSettings(epochs=2, batch_size=32, seed=3, log_every=0, ema_decay=decay)
        terms = [Term("r", record(model))]
        history = train(model, source, target, settings=settings, terms=terms, source_val=val)
        return model, history.epochs

    live, live_epochs = run(0.0)
    steps = [*seen[1:], live.state_dict()]  # the weights after each step
    seen.clear()
    kept, kept_epochs = run(0.8)
    assert [e["loss"] for e in kept_epochs] == [e["loss"] for e in live_epochs]  # same training path
    reference = {k: v.clone() for k, v in steps[0].items()}
    for state in steps[1:]:
        for k, v in state.items():
            if v.is_floating_point():
                reference[k] = 0.8 * reference[k] + 0.2 * v
    for k, v in kept.state_dict().items():
        assert torch.allclose(v, reference[k], atol=1e-6), k
    assert not torch.allclose(kept.state_dict()["backbone.0.weight"], live.state_dict()["backbone.0.weight"])
    scored = evaluate(kept, val)  # the last epoch scored the model it ends with
    assert kept_epochs[-1]["source_val_loss"] == pytest.approx(scored["loss"], abs=1e-6)
    assert kept_epochs[-1]["source_val_loss"] != pytest.approx(live_epochs[-1]["source_val_loss"], abs=1e-6)


def test_the_teacher_is_the_average_itself_and_moves_with_it():
    model, average = _net(), WeightAverage(0.5)
    assert average.teacher(model) is None  # nothing to teach before the first update
    _set(model, 1.0)
    average.update(model)
    teacher = average.teacher(model)
    assert teacher is not None and not teacher.training and teacher is not model
    assert not any(p.requires_grad for p in teacher.parameters())
    _set(model, 3.0)
    average.update(model)
    assert average.teacher(model) is teacher  # one copy, moved in place by each update
    assert torch.equal(teacher[0].weight, torch.full((2, 3), 2.0))  # 0.5 * 1 + 0.5 * 3
    assert torch.equal(teacher[1].running_mean, torch.full((2,), 2.0))
    assert torch.equal(average.averaged(model)[0].weight, teacher[0].weight)
    assert torch.equal(model[0].weight, torch.full((2, 3), 3.0))  # the live model is left alone


def test_a_term_needing_the_teacher_reads_the_target_batch_under_the_average(monkeypatch):
    source, target = _blobs(128, 0.0, 0), _blobs(64, 0.5, 1, labelled=False)
    loops: list[WeightAverage] = []  # the loop's own average, caught at its updates
    update = WeightAverage.update
    monkeypatch.setattr(WeightAverage, "update", lambda self, m: (loops.append(self), update(self, m)))
    seen: list[tuple[torch.Tensor | None, torch.Tensor, torch.Tensor | None]] = []

    def objective(step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        average = loops[-1] if loops else None
        copy = None if average is None else average.averaged(model).eval()
        expected = None if copy is None else copy(step.x_t)[0].detach()
        seen.append((step.logits_t_teacher, step.teacher_target(), expected))
        return step.logits_t.sum() * 0.0, {}  # type: ignore[union-attr]

    def run(decay: float, needs: frozenset) -> list[dict[str, float]]:
        nonlocal model
        loops.clear(), seen.clear()
        torch.manual_seed(0)
        model = build_model("mlp", (8,), 3)
        settings = TrainSettings(epochs=1, batch_size=32, seed=3, log_every=0, ema_decay=decay)
        return train(
            model, source, target, settings=settings, terms=[Term("t", objective, 1.0, needs)]
        ).epochs

    model: nn.Module
    taught = run(0.9, frozenset({"target_teacher"}))
    assert seen[0][0] is None and seen[0][2] is None  # step 0: no average yet, the live model's stand in
    for given, used, expected in seen[1:]:
        assert given is not None and expected is not None and used is given and not given.requires_grad
        assert torch.allclose(given, expected, atol=1e-6)
    plain = run(0.9, frozenset())  # without the need: no teacher pass, the same training path
    assert len(seen) > 1 and all(given is None for given, _, _ in seen)
    assert [e["loss"] for e in plain] == [e["loss"] for e in taught]
    run(0.0, frozenset({"target_teacher"}))  # no average kept: the live model's logits, detached
    assert all(given is None and not used.requires_grad for given, used, _ in seen)
