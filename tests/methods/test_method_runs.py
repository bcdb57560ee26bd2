"""Every method through the pipeline on a small shifted task; composition rules; weights on a toy."""

import itertools
import json
import re
from dataclasses import replace

import pytest
import torch

from tlcore import training
from tlcore.adapt import evaluate as evaluate_stage
from tlcore.adapt.cache import BaselineCache, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.cli import main as cli_main
from tlcore.data.domain import Domain
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.methods import (
    WeightsContext,
    check_combination,
    get_method,
    list_methods,
    parse_methods,
    run_order,
)
from tlcore.methods.context import cap_mean_one
from tlcore.methods.registry import WeightsBuilder
from tlcore.models import Classifier
from tlcore.workspace import Workspace

SMALL = {"source": "mnist5k:n=600", "target": "digits:n=300", "epochs": 1, "batch_size": 32}
FAMILIES = {"baseline", "model-based", "instance-based", "feature-based", "self-training"}


@pytest.fixture(scope="module")
def cache():
    return BaselineCache()


@pytest.fixture(autouse=True)
def small_umap(monkeypatch):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 40)


def test_registry_lists_every_family_with_defaults():
    specs = list_methods()
    names = [s.name for s in specs]
    assert set(names) == {
        "source_only",
        "target_only",
        "finetune",
        "labelled_target",
        "domain_weights",
        "kmm",
        "coral",
        "deep_coral",
        "dan",
        "dann",
        "cdan",
        "im",
        "pseudo_label",
        "mcc",
        "bnm",
        "fixmatch",
        "shot_pl",
        "prior_correction",
        "adabn",
    }
    assert {s.family for s in specs} == FAMILIES
    for spec in specs:
        row = spec.describe()
        json.dumps(row)
        assert row["description"] and row["kind"] in ("baseline", "stage", "weights", "term", "transform")
        if spec.kind == "term":
            assert next(iter(row["params"])) == "weight"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("coral+im", "must run alone"),
        ("source_only+dann", "must run alone"),
        ("kmm+domain_weights", "one source-weighting method"),
        ("im+im", "twice"),
        ("deep_coral+magic", "unknown method"),
        ("", "at least one"),
    ],
)
def test_impossible_combinations_are_refused(text, message):
    with pytest.raises(TLError, match=message):
        parse_methods(text)


def test_a_refused_composition_suggests_one_that_passes_in_one_step():
    """The QA case: deep_coral+adabn+finetune once said "write adabn after finetune", and doing so was
    refused next ("finetune must run alone"). Every refused pair and triple's suggestion now passes."""
    with pytest.raises(TLError) as refused:
        check_combination(["deep_coral", "adabn", "finetune"])
    assert str(refused.value) == (
        "finetune (stage) must run alone, only transforms after it; it cannot be combined with deep_coral "
        "(e.g. finetune+adabn)"
    )
    names = [spec.name for spec in list_methods()]
    suggested = 0
    for size in (2, 3):
        for combo in itertools.permutations(names, size):
            try:
                check_combination(combo)
            except TLError as exc:
                suggestion = re.search(r"\((?:e\.g\.|write) ([\w+]+)\)$", str(exc))
                assert suggestion is not None, str(exc)
                assert check_combination(suggestion[1].split("+")), str(exc)
                suggested += 1
    assert suggested > 3000  # 3974 of the 6156 with the 19 built-in methods


def test_run_order_puts_transforms_last_keeping_the_click_order():
    assert run_order(["adabn", "deep_coral", "prior_correction", "im"]) == (
        "deep_coral",
        "im",
        "adabn",
        "prior_correction",
    )
    assert run_order(["finetune"]) == ("finetune",)


def test_valid_combinations_and_params():
    assert parse_methods("kmm+deep_coral+im") == ("kmm", "deep_coral", "im")
    assert [s.kind for s in check_combination(["domain_weights", "dann"])] == ["weights", "term"]
    params = get_method("finetune").parse_params({"mode": "head", "shots": "5"}).params
    assert (params.mode, params.shots) == ("head", 5)
    with pytest.raises(TLError, match="unknown parameter"):
        get_method("dann").parse_params({"lambda": 1})
    with pytest.raises(TLError, match="must be float"):
        get_method("im").parse_params({"weight": "lots"})
    with pytest.raises(TLError, match="must be int"):
        get_method("finetune").parse_params({"shots": 2.5})


def _toy_weights_context() -> WeightsContext:
    """Half the source looks like the target (mean 3), half does not (mean 0)."""
    g = torch.Generator().manual_seed(0)
    Fs = torch.cat([torch.randn(200, 5, generator=g), torch.randn(200, 5, generator=g) + 3.0])
    Ft = torch.randn(300, 5, generator=g) + 3.0
    source = Domain("toy_s", Fs, torch.zeros(400, dtype=torch.long), ("c",))
    target = Domain("toy_t", Ft, None, ("c",))
    return WeightsContext(source, target, (Fs, Ft), lambda: (Fs, Ft), seed=0)


@pytest.mark.parametrize("name", ["domain_weights", "kmm"])
def test_instance_weights_favour_target_like_source_samples(name):
    spec = get_method(name)
    params = spec.parse_params({}).params
    assert isinstance(spec.builder, WeightsBuilder)
    weights = spec.builder.build(params, _toy_weights_context())
    assert weights.shape == (400,)
    assert weights.mean().item() == pytest.approx(1.0, abs=1e-5)
    assert weights.min() >= 0 and weights.max() <= getattr(params, "clip", getattr(params, "B", None)) + 1e-6
    assert weights[200:].mean() > 5 * weights[:200].mean()


def test_weight_normalisation_caps_and_keeps_class_priors():
    ctx = _toy_weights_context()
    capped = cap_mean_one(torch.tensor([0.0, 1e-6, 1e-3, 1.0, 100.0], dtype=torch.float64), 3.0)
    assert capped.mean().item() == pytest.approx(1.0) and capped.max().item() == pytest.approx(3.0)
    labels = torch.arange(400) % 2  # two classes, each half target-like
    two_class = WeightsContext(replace(ctx.source, classes=("a", "b"), y=labels), *ctx_tail(ctx))
    raw = torch.linspace(0.01, 10.0, 400, dtype=torch.float64) * (1 + labels * 9)
    per_class = two_class.normalise(raw, clip=5.0, per_class=True)
    assert per_class[labels == 0].mean().item() == pytest.approx(1.0, abs=1e-5)
    assert per_class[labels == 1].mean().item() == pytest.approx(1.0, abs=1e-5)
    pooled = two_class.normalise(raw, clip=5.0, per_class=False)
    assert pooled[labels == 1].mean() > 1.5 * pooled[labels == 0].mean()


def ctx_tail(ctx: WeightsContext) -> tuple:
    return ctx.target, ctx.model_features, ctx.raw_features, ctx.seed


@pytest.mark.parametrize(
    "method", [s.name for s in list_methods()] + ["domain_weights+deep_coral+im", "cdan+fixmatch"]
)
def test_every_method_runs_on_a_small_shifted_task(method, cache, loaded_pair):
    methods = parse_methods(method)
    labels = 3 if any(get_method(name).needs_target_labels for name in methods) else 0  # else refused
    cfg = AdaptConfig(methods=methods, target_labels=labels, **SMALL)
    result = run_adaptation(cfg, baseline_cache=cache, pair=loaded_pair(cfg))
    assert result.status == "done", result.reason
    payload = json.loads(json.dumps(result.to_dict()))
    assert "model" not in payload and payload["config"]["methods"] == list(cfg.methods)
    assert 0.0 <= result.target_accuracy <= 1.0 and 0.0 <= result.source_only_accuracy <= 1.0
    assert payload["gap_after"] == result.gap_after.to_dict()
    assert result.gap_before.n_target == result.gap_after.n_target == result.info["n_target_test"]
    assert len(result.confusion) == 10 and sum(map(sum, result.confusion)) == result.info["n_target_test"]
    assert {r["stage"] for r in result.history} <= {"baseline", "adapt"}
    assert result.history[0]["stage"] == "baseline"
    umap = result.umap_after
    assert len(umap["x"]) == len(umap["domain"]) == len(umap["label"]) == len(umap["prediction"]) == 80
    assert isinstance(result.model, Classifier)


def test_pipeline_refuses_params_of_other_methods_and_cancels(cache):
    with pytest.raises(TLError, match="not among the methods"):
        run_adaptation(
            AdaptConfig(methods=("im",), params={"dann": {"weight": 1.0}}, **SMALL), baseline_cache=cache
        )
    events: list = []
    checks = iter(range(10**6))
    result = run_adaptation(
        AdaptConfig(methods=("dann",), seed=7, **SMALL),
        baseline_cache=False,
        on_event=events.append,
        should_stop=lambda: next(checks) >= 15,  # stops part-way through
    )
    assert result.status == "cancelled"
    assert result.model is None and result.target_accuracy is None
    # the last event closes the run where it stood (a run list shows that, not 100%)
    assert events[-1].kind == "done" and 0 < events[-1].fraction == events[-2].fraction < 1


def test_baseline_is_cached_on_disk_and_reused(tmp_path):
    workspace = Workspace.resolve(tmp_path / "ws")
    cfg = AdaptConfig(methods=("source_only",), seed=3, **SMALL)
    first = run_adaptation(cfg, workspace)
    assert list((workspace.root / "cache" / "baselines").glob("*.pt"))
    events = []
    second = run_adaptation(AdaptConfig(methods=("im",), seed=3, **SMALL), workspace, on_event=events.append)
    assert any("reused" in e.message for e in events if e.kind == "stage")
    assert (first.info["baseline_cached"], second.info["baseline_cached"]) == (False, True)  # on Compare
    assert first.info["torch_threads"] == torch.get_num_threads() >= 1  # the seed reproduces it at this count
    assert second.source_only_accuracy == first.source_only_accuracy
    assert [r for r in second.history if r["stage"] == "baseline"] == first.history
    assert second.gap_before == first.gap_before and second.umap_before == first.umap_before


def test_finetune_head_mode_keeps_the_source_backbone(cache, loaded_pair):
    cfg = AdaptConfig(methods=("finetune",), params={"finetune": {"mode": "head"}}, target_labels=2, **SMALL)
    result = run_adaptation(cfg, baseline_cache=cache, pair=loaded_pair(cfg))
    assert result.status == "done" and result.info["n_target_labels"] == 20
    baseline = cache.get(baseline_key(cfg, pick_device().type, torch.get_num_threads())).model
    for name, value in baseline.backbone.state_dict().items():
        assert torch.equal(value, result.model.backbone.state_dict()[name]), name
    assert not torch.equal(baseline.head.weight, result.model.head.weight)


def test_warm_start_adapts_a_copy_of_the_trained_baseline_for_adapt_epochs(cache, monkeypatch):
    started: list[dict[str, torch.Tensor]] = []

    def spy(model, *args, settings, **kwargs):
        if settings.stage == "adapt":
            started.append({k: v.clone() for k, v in model.state_dict().items()})
        return training.train(model, *args, settings=settings, **kwargs)

    monkeypatch.setattr("tlcore.adapt.stages.train", spy)
    fresh = AdaptConfig(methods=("im",), seed=5, **SMALL)
    warm = replace(fresh, warm_start=True, adapt_epochs=2)
    assert baseline_key(warm, "cpu", None) == baseline_key(fresh, "cpu", None)  # one baseline serves both
    results = [run_adaptation(cfg, baseline_cache=cache) for cfg in (fresh, warm)]
    trained = cache.get(baseline_key(fresh, pick_device().type, torch.get_num_threads())).model.state_dict()
    weight = "head.weight"
    assert not torch.equal(started[0][weight], trained[weight])  # fresh: a new network
    assert all(torch.equal(started[1][k], v) for k, v in trained.items())  # warm: the baseline itself
    stages = [[r["stage"] for r in result.history] for result in results]
    assert stages == [["baseline", "adapt"], ["baseline", "adapt", "adapt"]]
    with pytest.raises(TLError, match="adapt epochs"):
        replace(fresh, adapt_epochs=0)


def test_steps_per_epoch_caps_every_stage_of_a_run():
    steps: dict[str, list[int]] = {}

    def record(event):
        if event.kind == "epoch":
            steps.setdefault(event.stage, []).append(event.step)

    cfg = AdaptConfig(methods=("deep_coral",), steps_per_epoch=3, **{**SMALL, "epochs": 2})
    result = run_adaptation(cfg, on_event=record, baseline_cache=False)
    assert result.status == "done"
    assert steps == {"baseline": [3, 6], "adapt": [3, 6]}  # 480 source samples: 15 steps uncapped
    with pytest.raises(TLError, match="steps per epoch"):
        replace(cfg, steps_per_epoch=0)


def test_same_config_same_seed_same_run():
    cfg = AdaptConfig(methods=("deep_coral", "im"), seed=11, **SMALL)
    first, second = (run_adaptation(cfg, baseline_cache=False) for _ in range(2))
    assert first.history == second.history
    assert first.target_accuracy == second.target_accuracy and first.confusion == second.confusion


def test_methods_cli_lists_every_method_as_json(capsys):
    assert cli_main(["methods", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["methods"]
    assert [row["name"] for row in rows] == [spec.name for spec in list_methods()]
    finetune = next(row for row in rows if row["name"] == "finetune")
    assert finetune["family"] == "model-based" and finetune["params"]["mode"] == "all"
    assert finetune["choices"] == {"mode": ["head", "all"]}
    dann = next(row for row in rows if row["name"] == "dann")
    assert dann["params"] == {"weight": 1.0, "hidden": 1024, "gamma": 10.0} and dann["choices"] == {}
    new = {row["name"]: row for row in rows if row["name"] in ("cdan", "mcc", "bnm", "fixmatch", "shot_pl")}
    assert {name: row["family"] for name, row in new.items()} == {
        "cdan": "feature-based",
        "mcc": "self-training",
        "bnm": "self-training",
        "fixmatch": "self-training",
        "shot_pl": "self-training",
    }
    assert new["cdan"]["params"]["entropy"] is True and new["fixmatch"]["params"]["threshold"] == 0.95
    assert new["shot_pl"]["params"] == {"weight": 0.3, "momentum": 0.9, "ramp": True}
    assert cli_main(["methods"]) == 0
    out = capsys.readouterr().out
    assert "deep_coral" in out and "features=model [model|raw]" in out


def test_a_loss_that_turns_infinite_fails_the_run_with_its_reason(cache, loaded_pair):
    weight = 1e39  # finite (an infinite weight is refused), beyond float32's 3.4e38: the loss overflows
    cfg = AdaptConfig(methods=("dann",), params={"dann": {"weight": weight}}, **SMALL)
    result = run_adaptation(cfg, baseline_cache=cache, pair=loaded_pair(cfg))
    assert result.status == "failed"
    assert result.reason.startswith("adapt: loss") and "epoch 1, step 0" in result.reason
    assert result.model is None and result.target_accuracy is None
    json.dumps(result.to_dict())
