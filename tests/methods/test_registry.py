"""The method contract: table-level term weights, Literal choices, one typed decorator per kind, and one
table entry (:mod:`tlcore.method_table`) per registered method."""

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Literal

import pytest
import torch

import tlcore.method_table as table_module
from tlcore.errors import TLError
from tlcore.method_params import NoParams
from tlcore.method_table import Method, declared_method, declared_methods
from tlcore.methods import Configured, StageOutcome, get_method, list_methods
from tlcore.methods import registry as registry_module
from tlcore.methods.dann import DANNParams
from tlcore.methods.finetune import FinetuneParams
from tlcore.methods.registry import (
    StageBuilder,
    TermBuilder,
    WeightsBuilder,
    add_method,
    builds,
    register_stage,
    register_term,
    register_weights,
)

TERM_WEIGHTS = {
    "deep_coral": 1.0,
    "dan": 1.0,
    "dann": 1.0,
    "cdan": 1.0,
    "im": 1.0,
    "pseudo_label": 1.0,
    "mcc": 1.0,
    "bnm": 1.0,
    "fixmatch": 1.0,
    "shot_pl": 0.3,
    "labelled_target": 1.0,
}


def test_term_weights_are_registered_defaults_listed_first():
    terms = {spec.name: spec for spec in list_methods() if spec.kind == "term"}
    assert set(terms) == set(TERM_WEIGHTS)
    for name, weight in TERM_WEIGHTS.items():
        spec = terms[name]
        assert "weight" not in {f.name for f in dataclasses.fields(spec.params)}
        assert isinstance(spec.builder, TermBuilder) and spec.weight == weight
        assert next(iter(spec.defaults())) == "weight" and spec.defaults()["weight"] == weight
        assert spec.describe()["params"]["weight"] == weight
        assert spec.parse_params(None) == spec.parse_params({}) and spec.parse_params({}).weight == weight


def test_a_term_weight_parses_beside_the_dataclass_fields():
    dann = get_method("dann")
    assert dann.parse_params({"weight": "0.3", "hidden": "8"}) == Configured(DANNParams(hidden=8), 0.3)
    assert dann.parse_params({"weight": 0}).weight == 0.0
    assert get_method("bnm").parse_params({"weight": 7}) == Configured(NoParams(), 7.0)
    with pytest.raises(TLError, match=r"^dann: weight must be >= 0, got -1.0$"):
        dann.parse_params({"weight": -1})
    with pytest.raises(TLError, match=r"^dann: weight must be a finite number, got nan$"):
        dann.parse_params({"weight": math.nan})
    with pytest.raises(TLError, match=r"known: weight, hidden, gamma$"):
        dann.parse_params({"wieght": 1})


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("dann", {"weight": "inf"}, "dann: weight must be a finite number, got inf"),
        ("dann", {"gamma": "nan"}, "dann: gamma must be a finite number, got nan"),
        ("dann", {"gamma": "-5"}, "dann: gamma must be > 0 (the reversal's ramp-up rate), got -5.0"),
        ("cdan", {"gamma": 0}, "cdan: gamma must be > 0 (the reversal's ramp-up rate), got 0.0"),
        ("dan", {"logits_weight": -0.1}, "dan: logits_weight must be >= 0 (0: the features alone), got -0.1"),
        ("im", {"diversity": "inf"}, "im: diversity must be a finite number, got inf"),
        ("im", {"diversity": -0.5}, "im: diversity must be >= 0 (0: entropy minimisation alone), got -0.5"),
        ("kmm", {"B": "nan"}, "kmm: B must be a finite number, got nan"),
        ("kmm", {"B": 1}, "kmm: B must be > 1 (the weights' mean is 1), got 1.0"),
        ("domain_weights", {"clip": "inf"}, "domain_weights: clip must be a finite number, got inf"),
        ("domain_weights", {"folds": 1}, "domain_weights: folds must be >= 2, got 1"),
        (
            "finetune",
            {"backbone_lr_mult": "inf"},
            "finetune: backbone_lr_mult must be a finite number, got inf",
        ),
        ("coral", {"max_iter": 0}, "coral: max_iter must be >= 1, got 0"),
        ("fixmatch", {"weight": "-inf"}, "fixmatch: weight must be a finite number, got -inf"),
    ],
)
def test_a_parameter_outside_its_range_is_refused_naming_it(name: str, raw: dict, message: str) -> None:
    with pytest.raises(TLError, match=f"^{re.escape(message)}$"):
        get_method(name).parse_params(raw)


def test_every_float_parameter_of_every_method_must_be_finite() -> None:
    floats = [(s, key) for s in list_methods() for key, v in s.defaults().items() if type(v) is float]
    assert ("dann", "gamma") in {(s.name, key) for s, key in floats} and len(floats) > 15
    for spec, key in floats:
        for value in (math.inf, -math.inf, math.nan, "inf", "nan"):
            with pytest.raises(TLError, match=rf"^{spec.name}: {key} must be a finite number, got "):
                spec.parse_params({key: value})


@pytest.mark.parametrize("name", ["source_only", "target_only", "finetune", "coral", "kmm", "domain_weights"])
def test_a_weight_for_a_method_that_is_no_term_is_refused(name):
    spec = get_method(name)
    assert spec.parse_params({}).weight is None and "weight" not in spec.defaults()
    with pytest.raises(TLError, match=rf"^{name}: weight applies to loss terms only, not to a {spec.kind}"):
        spec.parse_params({"weight": 1.0})


def test_choice_parameters_are_literals_validated_and_described():
    choices = {spec.name: spec.describe()["choices"] for spec in list_methods() if spec.describe()["choices"]}
    assert choices == {
        "finetune": {"mode": ["head", "all"]},
        "deep_coral": {"layer": ["features", "logits"]},
        "domain_weights": {"features": ["model", "raw"]},
        "kmm": {"features": ["model", "raw"]},
        "cdan": {"multilinear": ["auto", "full", "randomized"]},
        "prior_correction": {"estimator": ["em", "bbse"]},
    }
    for spec in list_methods():  # no free-text string parameter is left
        strings = {key for key, value in spec.defaults().items() if isinstance(value, str)}
        assert strings <= set(spec.choices()), spec.name
    assert get_method("finetune").parse_params({"mode": "head"}).params == FinetuneParams(mode="head")
    assert get_method("kmm").parse_params({"features": "raw"}).params.features == "raw"
    with pytest.raises(TLError, match=r"^finetune: parameter mode must be one of 'head', 'all', got 'some'$"):
        get_method("finetune").parse_params({"mode": "some"})
    with pytest.raises(TLError, match="features must be one of 'model', 'raw', got 1"):
        get_method("domain_weights").parse_params({"features": 1})


@dataclass(frozen=True)
class ToyParams:
    scale: float = 2.0
    side: Literal["left", "right"] = "left"


@pytest.mark.usefixtures("scratch_registry")
def test_each_kind_registers_through_its_own_decorator():
    def objective(params: ToyParams, ctx) -> torch.nn.Module:
        return torch.nn.Identity()

    def weights(params: ToyParams, ctx) -> torch.Tensor:
        return torch.full((3,), params.scale)

    def stage(params: NoParams, ctx) -> StageOutcome:
        return StageOutcome(ctx.baseline)

    decorate = register_term("toy_term", family="feature-based", description="", params=ToyParams, weight=0.5)
    assert decorate(objective) is objective
    register_weights("toy_weights", family="instance-based", description="w", params=ToyParams)(weights)
    register_stage("toy_stage", family="model-based", description="s", params=NoParams)(stage)
    term, weighting, staged = (get_method(n) for n in ("toy_term", "toy_weights", "toy_stage"))
    assert [term.kind, weighting.kind, staged.kind] == ["term", "weights", "stage"]
    assert term.builder == TermBuilder(objective) and term.weight == 0.5 and term.needs == frozenset()
    assert declared_method("toy_term") == Method("toy_term", "feature-based", "term", "", ToyParams, 0.5)
    assert weighting.builder == WeightsBuilder(weights) and staged.builder == StageBuilder(stage)
    assert term.defaults() == {"weight": 0.5, "scale": 2.0, "side": "left"}
    assert term.describe()["choices"] == {"side": ["left", "right"]}
    configured = weighting.parse_params({"scale": "4", "side": "right"})
    assert torch.equal(weighting.builder.build(configured.params, None), torch.full((3,), 4.0))
    with pytest.raises(TLError, match="must be one of 'left', 'right'"):
        term.parse_params({"side": "up"})


def test_fixmatch_needs_a_strong_target_view_and_its_teacher_labelled_target_the_labelled_samples():
    terms = [spec for spec in list_methods() if isinstance(spec.builder, TermBuilder)]
    needs = {spec.name: spec.needs for spec in terms if spec.needs}
    fixmatch = {"strong_target_view", "target_teacher"}
    assert needs == {"fixmatch": fixmatch, "labelled_target": {"labelled_target"}}
    assert [spec.name for spec in terms if spec.needs_target_labels] == ["labelled_target"]
    fixmatch_spec = get_method("fixmatch")
    assert fixmatch_spec.needs_of(fixmatch_spec.parse_params({}).params) == fixmatch
    without_teacher = fixmatch_spec.parse_params({"teacher": False}).params
    assert fixmatch_spec.needs_of(without_teacher) == {"strong_target_view"}
    labelled = get_method("labelled_target")  # its params switch nothing off (no unneeded())
    assert labelled.needs_of(labelled.parse_params({"shots": 3}).params) == {"labelled_target"}


@pytest.mark.usefixtures("scratch_registry")
def test_the_registry_refuses_duplicates_and_a_weight_field():
    with pytest.raises(ValueError, match="'im' is already registered"):
        register_term("im", family="self-training", description="again", params=NoParams, weight=1.0)(
            lambda p, c: torch.nn.Identity()
        )

    @dataclass(frozen=True)
    class Weighted:
        weight: float = 1.0

    with pytest.raises(TypeError, match="'weight' is the table's"):
        register_term("weighted", family="feature-based", description="w", params=Weighted, weight=1.0)(
            lambda p, c: torch.nn.Identity()
        )
    assert "weighted" not in {spec.name for spec in list_methods()}


def test_every_registered_method_is_one_table_entry_with_the_same_facts():
    assert list(table_module._METHODS) == [method.name for method in table_module.BUILT_IN]
    assert set(registry_module._REGISTRY) == set(table_module._METHODS)
    assert [spec.name for spec in list_methods()] == [method.name for method in declared_methods()]
    for spec in list_methods():
        facts = {field.name: getattr(spec, field.name) for field in dataclasses.fields(Method)}
        assert Method(**facts) == declared_method(spec.name)
        built = "baseline" if spec.builder is None else registry_module.KINDS[type(spec.builder)]
        assert spec.kind == built


@pytest.mark.usefixtures("scratch_registry")
def test_a_builder_registers_against_its_declared_kind_only():
    def stage(params: NoParams, ctx) -> StageOutcome:
        return StageOutcome(ctx.baseline)

    with pytest.raises(TypeError, match=r"^dann: declared a term method, built as a stage$"):
        add_method("dann", StageBuilder(stage))
    with pytest.raises(TypeError, match="source_only: a baseline has no builder"):
        builds("source_only")(stage)
    with pytest.raises(ValueError, match="'target_only' is already registered"):
        builds("target_only")(stage)
    with pytest.raises(TLError, match=r"^unknown method 'toy'; choose from: source_only, target_only, "):
        builds("toy")(stage)
    table_module.declare_method(Method("toy", "model-based", "stage", "t"))
    assert builds("toy")(stage) is stage and get_method("toy").builder == StageBuilder(stage)
    with pytest.raises(TypeError, match="a weight and needs belong to a term"):
        Method("toy_weights", "instance-based", "weights", "w", weight=1.0)
