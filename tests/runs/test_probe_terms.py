"""The estimate's probe times a paired step with the composition's own loss terms
(:mod:`tlcore.runs.probe`): FixMatch's strong view of the target batch and a semi-supervised term's
labelled target rows go through the forward pass, as in the run (the old probe timed a plain paired
step for every composition: FixMatch's cost 1.5-1.8 times DANN's on a loaded CPU, QA helper-123)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.stages import network
from tlcore.runs import probe
from tlcore.runs.estimate import Workload

B = 4  # the probes' batch size


def forwarded_rows(monkeypatch: pytest.MonkeyPatch, cfg: AdaptConfig) -> list[int]:
    """The rows of each forward pass of ``cfg``'s probe network (and of the copies made of it)."""
    rows: list[int] = []

    def recorded(*args: Any) -> Any:
        model = network(*args)
        model.register_forward_pre_hook(lambda _module, inputs: rows.append(len(inputs[0])))
        return model

    monkeypatch.setattr(probe, "network", recorded)
    probe.measure(cfg, (1, 28, 28), 3, torch.device("cpu"))
    return rows


@pytest.mark.parametrize(
    ("methods", "paired_rows"),
    [
        (("dann",), 2 * B),  # source + target batch
        (("fixmatch",), 3 * B),  # + the target batch's strong view
        (("labelled_target",), 3 * B),  # + B labelled target rows
        (("deep_coral", "im", "fixmatch"), 3 * B),
    ],
)
def test_a_probe_forwards_what_the_compositions_paired_step_forwards(
    monkeypatch: pytest.MonkeyPatch, methods: tuple[str, ...], paired_rows: int
) -> None:
    rows = forwarded_rows(monkeypatch, AdaptConfig("a", "b", methods, batch_size=B, augment=False))
    steps = 1 + probe.PROBE_STEPS  # a warm-up step, then the timed ones
    # single steps, paired steps (the old code: 2 * B rows for every composition), the evaluation of 2B
    assert rows == [B] * steps + [paired_rows] * steps + [2 * B]


def test_a_probe_of_an_averaged_stage_times_fixmatchs_teacher(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``ema_decay`` the paired steps update the weight average and, after the first, run the
    target batch through it for FixMatch's labels (the teacher, a copy of the network and its hook)."""
    cfg = AdaptConfig("a", "b", ("fixmatch",), batch_size=B, augment=False, ema_decay=0.99)
    rows = forwarded_rows(monkeypatch, cfg)
    steps = 1 + probe.PROBE_STEPS
    paired = [3 * B] + [3 * B, B] * probe.PROBE_STEPS  # no average before the first step's update
    assert rows == [B] * steps + paired + [2 * B]  # the single steps (source-only) keep no average


def test_a_probe_is_kept_per_compositions_terms() -> None:
    """Another term's probe is another cache entry; a term's parameters or weight, or a method with no
    term (its paired step a plain one), are not."""
    work = Workload("lenet_bn", (1, 28, 28), None, "cpu", 32, 10, 0, 10, 100)

    def key(methods: tuple[str, ...], params: dict[str, Any] | None = None) -> str:
        return probe.probe_key(AdaptConfig("a", "b", methods, params=params or {}), work, (1, 28, 28), 10)

    assert len({key(("dann",)), key(("deep_coral",)), key(("fixmatch",)), key(("deep_coral", "im"))}) == 4
    assert key(("dann",)) == key(("dann",), {"dann": {"weight": 0.3}})
    assert key(("kmm",)) == key(("domain_weights",)) == key(("source_only",))

    def averaged(params: dict[str, Any] | None = None) -> str:
        cfg = AdaptConfig("a", "b", ("fixmatch",), params=params or {}, ema_decay=0.99)
        return probe.probe_key(cfg, work, (1, 28, 28), 10)

    assert averaged() != key(("fixmatch",))
    assert averaged() == averaged({"fixmatch": {"threshold": 0.9, "align": False}})  # the same step's work
    assert averaged({"fixmatch": {"teacher": False}}) != averaged()  # no teacher pass: another step


def test_fixmatch_without_its_teacher_runs_no_teacher_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fixmatch.teacher=False`` switches the need off (``FixMatchParams.unneeded``): the averaged
    stage's paired steps forward the paired batch alone, as a stage without an average does."""
    params = {"fixmatch": {"teacher": False}}
    cfg = AdaptConfig("a", "b", ("fixmatch",), params=params, batch_size=B, augment=False, ema_decay=0.99)
    steps = 1 + probe.PROBE_STEPS
    assert forwarded_rows(monkeypatch, cfg) == [B] * steps + [3 * B] * steps + [2 * B]
