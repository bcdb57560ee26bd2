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
