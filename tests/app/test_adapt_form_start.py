"""The Adapt form started from the recommended recipe: it shows the recipe's settings, read from the
engine; left unchanged it launches the one-click recipe's config (and baseline); one change keeps the
rest and says the quoted accuracy no longer applies; "Back to the defaults" returns to the defaults.
The launches are captured: no run starts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from app_support import benchmarks
from tests.app.helpers import click, number, plain
from tlcore.adapt.cache import baseline_key
from tlcore.adapt.checks import check_config
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"
QUOTED = "The accuracy quoted for the recipe does not apply to these runs."


@pytest.mark.parametrize("labels", [0, 2])
def test_the_unchanged_form_from_the_recipe_launches_the_one_click_config(
    app: OpenApp, launched: list[AdaptConfig], labels: int
) -> None:
    at = app("adapt", source=SOURCE, target=TARGET)
    at.number_input(key="recipe_target_labels").set_value(labels).run()
    click(at, "Start from the recommended recipe")
    recipe = RECOMMENDED.config(SOURCE, TARGET, target_labels=labels)
    assert at.multiselect[0].value == list(recipe.methods)
    assert (number(at, "Epochs"), number(at, "Adapt epochs")) == (4, 10)
    assert number(at, "Weight average") == 0.99
    assert next(w for w in at.checkbox if w.label == "Warm start").value is True
    assert at.number_input(key="param_deep_coral_weight").value == 100.0
    assert at.selectbox(key="param_deep_coral_layer").value == "features"
    assert at.number_input(key="param_fixmatch_threshold").value == 0.9
    assert at.checkbox(key="param_fixmatch_align").value is False
    assert [plain(s.value) for s in at.success] == [
        "Started from the recommended recipe, unchanged: Launch starts the recommended recipe's run, "
        "its config exactly."
    ]
    click(at, "Launch")
    click(at, "Launch the recommended recipe")
    form, one_click = launched
    assert form == one_click == recipe
    assert form.to_dict() == recipe.to_dict()  # as the run store records it
    assert baseline_key(form, "cpu", None) == baseline_key(one_click, "cpu", None)


def test_one_change_keeps_the_rest_of_the_recipe_and_says_the_quote_no_longer_applies(
    app: OpenApp, launched: list[AdaptConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(benchmarks, "recipe_quote", lambda recipe: ["97.0 ± 0.9% on a → b (3 seeds)"])
    at = click(app("adapt", source=SOURCE, target=TARGET), "Start from the recommended recipe")
    at.number_input(key="adapt_seed").set_value(3)
    at.number_input(key="param_fixmatch_weight").set_value(0.5).run()
    assert not at.success
    assert [plain(w.value) for w in at.warning] == [
        "Started from the recommended recipe; changed: seed 3 (recipe: 0); fixmatch.weight 0.5 (recipe: "
        f"0.3). {QUOTED}"
    ]
    click(at, "Launch")
    (config,) = launched
    expected = RECOMMENDED.config(SOURCE, TARGET, seed=3)
    expected.params["fixmatch"]["weight"] = 0.5
    assert config == expected
    assert config.params == {
        "deep_coral": {"layer": "features", "weight": 100.0},
        "fixmatch": {"weight": 0.5, "align": False, "threshold": 0.9, "teacher": True},
    }  # the recipe's parameters kept, the other methods' defaults not stored (as `adapt --recipe` does)
    assert baseline_key(config, "cpu", None) != baseline_key(
        RECOMMENDED.config(SOURCE, TARGET), "cpu", None
    )  # seed


def test_separate_runs_from_the_recipe_are_named_as_such(app: OpenApp) -> None:
    at = click(app("adapt", source=SOURCE, target=TARGET), "Start from the recommended recipe")
    next(t for t in at.toggle if t.label.startswith("Combine the selected methods")).set_value(False).run()
    assert plain(at.warning[0].value).startswith(
        "Started from the recommended recipe; changed: 5 separate runs, not the recipe's one composed run."
    )


def test_back_to_the_defaults_and_the_form_says_so(app: OpenApp, launched: list[AdaptConfig]) -> None:
    at = click(app("adapt", source=SOURCE, target=TARGET), "Start from the recommended recipe")
    at.number_input(key="adapt_seed").set_value(5).run()
    at.switch_page("app_pages/compare.py").run()
    at.switch_page("app_pages/adapt.py").run()
    assert plain(at.warning[0].value).startswith("Started from the recommended recipe; changed: seed 5")
    click(at, "Back to the defaults")
    defaults = AdaptConfig.defaults()
    assert (number(at, "Epochs"), number(at, "Seed")) == (defaults["epochs"], defaults["seed"])
    assert number(at, "Adapt epochs") == 0
    assert next(w for w in at.checkbox if w.label == "Warm start").value is defaults["warm_start"]
    assert at.number_input(key="param_deep_coral_weight").value == 1.0  # the registry's default
    assert at.selectbox(key="param_deep_coral_layer").value == "logits"
    start = "Started from the defaults; differs from the recommended recipe in: epochs 10 (recipe: 4)"
    said = next(plain(c.value) for c in at.caption if plain(c.value).startswith(start))
    assert "deep_coral.weight 1 (recipe: 100)" in said and not at.warning and not at.success
    click(at, "Launch")
    assert launched == [AdaptConfig(SOURCE, TARGET, methods=RECOMMENDED.methods)]  # no parameter stored


def test_separate_runs_give_the_target_labels_only_to_the_methods_trained_on_them(
    app: OpenApp, launched: list[AdaptConfig]
) -> None:
    """The recipe with 2 labels per class as one run per method: the runs of methods trained on no
    target labels get none (a run refuses them, as ``adapt --target-labels`` does), labelled_target 2."""
    at = app("adapt", source=SOURCE, target=TARGET)
    at.number_input(key="recipe_target_labels").set_value(2).run()
    click(at, "Start from the recommended recipe")
    next(t for t in at.toggle if t.label.startswith("Combine the selected methods")).set_value(False).run()
    click(at, "Launch")
    recipe = RECOMMENDED.config(SOURCE, TARGET, target_labels=2)
    assert [(c.methods, c.target_labels) for c in launched] == [
        ((name,), 2 if name == "labelled_target" else 0) for name in recipe.methods
    ]
    for config in launched:
        check_config(config)


def test_a_composed_run_puts_the_transforms_last_whatever_the_click_order(
    app: OpenApp, launched: list[AdaptConfig]
) -> None:
    """Clicked adabn first, then deep_coral: the one composed run is deep_coral+adabn (the form orders it;
    a clicking user is never told to reorder), and nothing is refused."""
    at = app("adapt", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value(["adabn", "deep_coral"]).run()
    assert not at.error, [e.value for e in at.error]
    click(at, "Launch")
    (config,) = launched
    assert config.methods == ("deep_coral", "adabn")
    check_config(config)


@pytest.mark.parametrize(
    ("method", "key", "value", "message"),
    [
        ("dann", "param_dann_gamma", -5.0, "dann: gamma must be > 0 (the reversal's ramp-up rate), got -5.0"),
        ("dann", "param_dann_gamma", 0.0, "dann: gamma must be > 0 (the reversal's ramp-up rate), got 0.0"),
        (
            "dan",
            "param_dan_logits_weight",
            -0.5,
            "dan: logits_weight must be >= 0 (0: the features alone), got -0.5",
        ),
        ("im", "param_im_weight", -0.5, "im: weight must be >= 0, got -0.5"),  # a method of the recipe
    ],
)
def test_the_form_refuses_a_parameter_outside_its_range_before_any_run(
    app: OpenApp, method: str, key: str, value: float, message: str
) -> None:
    """The form shows the one-line refusal naming the method, parameter and value (a gamma <= 0 once
    started a run with a reversed or no gradient reversal), as it does for a config field out of
    range, and Launch is off: no run starts. A method the recipe runs too (im) once raised it as a
    traceback (the form's comparison with the recipe parsed the value), the others only on Launch."""
    at = app("adapt", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value([method]).run()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(e.value) for e in at.error] == [message]
    assert next(b for b in at.button if b.label == "Launch").disabled
    assert RunStore(Workspace.resolve()).list() == []


def test_a_source_only_run_is_said_to_be_the_baseline_not_listed_against_the_recipe(
    app: OpenApp, launched: list[AdaptConfig]
) -> None:
    """QA: source_only from the recipe listed "methods source_only (recipe: deep_coral+...)", and from
    the defaults adapt_epochs, warm_start and ema_decay too: a baseline has no adapt stage. Only what
    makes it another baseline than the recipe's is said."""
    at = click(app("adapt", source=SOURCE, target=TARGET), "Start from the recommended recipe")
    at.multiselect[0].set_value(["source_only"]).run()
    assert [plain(s.value) for s in at.success] == [
        "Started from the recommended recipe; source_only trains the recipe's baseline: the model its run "
        "is compared against."
    ]
    assert not at.warning
    click(at, "Launch")
    recipe = RECOMMENDED.config(SOURCE, TARGET)
    assert baseline_key(launched[0], "cpu", None) == baseline_key(
        recipe, "cpu", None
    )  # the same cached model
    click(at, "Back to the defaults")
    at.multiselect[0].set_value(["source_only"]).run()
    assert [plain(c.value) for c in at.caption if plain(c.value).startswith("Started")] == [
        "Started from the defaults; source_only trains a baseline other than the recipe's: epochs 10 "
        "(recipe: 4)."
    ]
    at.multiselect[0].set_value(["source_only", "dann"]).run()  # with an adapting method: the list
    assert any(plain(c.value).startswith("Started from the defaults; differs from") for c in at.caption)
