"""Stopping once settled: the share of target predictions that changed, and the stage that stops on it."""

import pytest
import torch
from torch import nn

from tlcore.adapt.config import AdaptConfig
from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.models import build_model
from tlcore.stopping import PROBE_SIZE, SETTLED_EPOCHS, PredictionChange, Settling
from tlcore.training import TrainSettings, train

CLASSES = ("a", "b", "c")
CPU = torch.device("cpu")


class _Threshold(nn.Module):
    """Predicts class 1 where the first input exceeds ``cut``, class 0 elsewhere; features = inputs."""

    def __init__(self, cut: float) -> None:
        super().__init__()
        self.cut = cut

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        above = (x[:, 0] > self.cut).float()
        return torch.stack([1 - above, above], 1), x


def _line(n: int) -> Domain:
    return Domain(name="line", X=torch.arange(n, dtype=torch.float32)[:, None], y=None, classes=("lo", "hi"))


def test_the_share_of_changed_predictions_on_a_hand_counted_case():
    change = PredictionChange(_line(10), seed=0, device=CPU)  # inputs 0..9, all of them probed
    assert change.update(_Threshold(4.5)) is None  # nothing to compare with yet: 5 and 5
    assert change.update(_Threshold(6.5)) == pytest.approx(2 / 10)  # 5 and 6 move to class 0
    assert change.update(_Threshold(6.5)) == 0.0
    assert change.update(_Threshold(-1.0)) == pytest.approx(7 / 10)  # 0..6 move to class 1


def test_a_large_target_is_probed_on_a_seeded_subset():
    domain = _line(PROBE_SIZE + 500)
    probes = [PredictionChange(domain, seed=s, device=CPU).idx for s in (0, 0, 1)]
    assert probes[0].shape == (PROBE_SIZE,) and probes[0].unique().numel() == PROBE_SIZE
    assert torch.equal(probes[0], probes[1]) and not torch.equal(probes[0], probes[2])


def test_settling_needs_consecutive_epochs_under_the_tolerance():
    assert SETTLED_EPOCHS == 2
    settling = Settling(0.01)
    assert [settling.should_stop(c) for c in (None, 0.2, 0.005, 0.03, 0.01, 0.0)] == [
        False, False, False, False, False, True,
    ]  # fmt: skip


def _blobs(n: int, shift: float, seed: int, labelled: bool = True) -> Domain:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.eye(3, 8)[y] * 3.0 + torch.randn(n, 8, generator=g) + shift
    return Domain(name=f"blobs{shift}", X=X, y=y if labelled else None, classes=CLASSES)


def _run(settle_tol: float) -> tuple[list[dict[str, float]], str, str]:
    source, target = _blobs(192, 0.0, 0), _blobs(96, 0.5, 1, labelled=False)
    torch.manual_seed(0)
    model = build_model("mlp", (8,), 3)
    settings = TrainSettings(epochs=8, batch_size=32, seed=4, log_every=0, lr=3e-3, settle_tol=settle_tol)
    history = train(model, source, target, settings=settings)
    return history.epochs, history.status, history.reason


def test_the_loop_records_the_change_and_stops_once_the_target_predictions_settle():
    full, status, _ = _run(0.0)
    assert status == "done" and len(full) == 8
    assert not any("target_changed" in e for e in full)  # no probe unless the stage may stop on it
    tol = 0.035
    settled, status, reason = _run(tol)
    stop = len(settled)
    assert status == "stopped_early" and f"stopped at epoch {stop}" in reason and "settled" in reason
    changed = [e.get("target_changed") for e in settled]
    assert changed[0] is None and all(0.0 <= c <= 1.0 for c in changed[1:])
    under = [c is not None and c <= tol for c in changed]
    assert under[-1] and under[-2] and not any(under[i] and under[i - 1] for i in range(1, stop - 1))
    assert 2 < stop < 8  # the blobs settle before the last epoch, not at once
    same = [{k: v for k, v in e.items() if k != "target_changed"} for e in settled]
    assert same == full[:stop]  # the same path up to the stop


def test_the_tolerance_is_checked_and_described():
    with pytest.raises(TLError, match="settling tolerance"):
        AdaptConfig(source="mnist5k", target="digits", settle_tol=1.0)
    text = AdaptConfig(source="mnist5k", target="digits", settle_tol=0.005).budget_text
    assert text.endswith("stopping once at most 0.5% of the target predictions change")
