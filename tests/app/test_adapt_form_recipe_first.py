"""The Adapt form opens on the recommended recipe as a whole (methods, parameters, budget, read from the
engine): Launch untouched stores exactly the recipe's config; the line lists only what the user changed;
an untouched form follows the recipe's labelled target samples; a recipe setting the form has no field
for is said and kept; source_only and single methods launch as from the recipe's button."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import click, number, plain
from tlcore.adapt import recipe as recipes
from tlcore.adapt.cache import baseline_key
from tlcore.adapt.checks import check_config
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"
UNCHANGED = (
    "Started from the recommended recipe, unchanged: Launch starts the recommended recipe's run, its "
    "config exactly."
)
QUOTED = "The accuracy quoted for the recipe does not apply to these runs."  # docs/benchmarks.md quotes it


def said(at: AppTest) -> list[str]:
    """The form's start line, in whichever box it shows."""
    boxes = [*at.success, *at.warning, *at.caption]
    return [plain(b.value) for b in boxes if plain(b.value).startswith("Started from")]


def test_the_untouched_form_launches_a_run_that_stores_the_recipes_config(
    app: OpenApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "spawn", lambda *args, **kwargs: None)  # the run is created, not trained
    at = app("adapt", source=SOURCE, target=TARGET)
    recipe = RECOMMENDED.config(SOURCE, TARGET)
    assert at.multiselect[0].value == list(recipe.methods)
    assert (number(at, "Epochs"), number(at, "Adapt epochs")) == (4, 10)
    assert number(at, "Weight average") == 0.99
    assert next(w for w in at.checkbox if w.label == "Warm start").value is True
    assert (at.number_input(key="param_deep_coral_weight").value, number(at, "Seed")) == (100.0, 0)
    assert at.selectbox(key="param_deep_coral_layer").value == "features"
    assert at.number_input(key="param_fixmatch_threshold").value == 0.9
    assert said(at) == [UNCHANGED] and [plain(s.value) for s in at.success] == [UNCHANGED]
    click(at, "Launch")
    (record,) = RunStore(Workspace.resolve()).list()
    assert record.config == recipe.to_dict()  # as stored beside the run: every field, parameters included
    at.number_input(key="adapt_seed").set_value(3).run()
    assert said(at) == [f"Started from the recommended recipe; changed: seed 3 (recipe: 0). {QUOTED}"]


def test_an_untouched_form_follows_the_recipes_labelled_targets_a_changed_one_stays(
    app: OpenApp, launched: list[AdaptConfig]
) -> None:
    """A user who sets the recipe's labelled target samples, then looks at the form, is told of no
    change they did not make; once they changed the form, the recipe's count no longer moves it."""
    at = app("adapt", source=SOURCE, target=TARGET)
    at.number_input(key="recipe_target_labels").set_value(2).run()
    labelled = RECOMMENDED.config(SOURCE, TARGET, target_labels=2)
    assert at.multiselect[0].value == list(labelled.methods)
    assert number(at, "Labelled target samples per class (0 = the method's default)") == 2
    assert said(at) == [UNCHANGED]
    click(at, "Launch")
    assert launched == [labelled]
    at.number_input(key="adapt_seed").set_value(1).run()
    at.number_input(key="recipe_target_labels").set_value(0).run()
    assert at.multiselect[0].value == list(labelled.methods)  # as the user left it
    assert said(at) == [
        f"Started from the recommended recipe; changed: methods {labelled.method_label} (recipe: "
        f"{RECOMMENDED.label}); seed 1 (recipe: 0); target_labels 2 (recipe: 0). {QUOTED}"
    ]


def test_a_recipe_setting_the_form_has_no_field_for_is_said_and_kept(
    app: OpenApp, launched: list[AdaptConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recipe with early stopping (the form has no patience field): the line names it, Launch keeps it."""
    patient = replace(RECOMMENDED, budget={**RECOMMENDED.budget, "patience": 3})
    monkeypatch.setattr(recipes, "RECOMMENDED", patient)
    at = app("adapt", source=SOURCE, target=TARGET)
    assert said(at) == [f"{UNCHANGED} The form does not show the recipe's patience 3; Launch keeps it."]
    click(at, "Launch")
    assert launched == [patient.config(SOURCE, TARGET)] and launched[0].patience == 3


def test_source_only_and_a_single_method_start_from_the_recipe_too(
    app: OpenApp, launched: list[AdaptConfig]
) -> None:
    """source_only trains the recipe's baseline (helper-216's line); dann alone runs on the recipe's
    budget, the line naming only the methods."""
    at = app("adapt", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value(["source_only"]).run()
    assert said(at) == [
        "Started from the recommended recipe; source_only trains the recipe's baseline: the model its run "
        "is compared against."
    ]
    at.multiselect[0].set_value(["dann"]).run()
    assert said(at) == [
        f"Started from the recommended recipe; changed: methods dann (recipe: {RECOMMENDED.label}). {QUOTED}"
    ]
    click(at, "Launch")
    at.multiselect[0].set_value(["source_only"]).run()
    click(at, "Launch")
    dann, baseline = launched
    recipe = RECOMMENDED.config(SOURCE, TARGET)
    assert dann == replace(recipe, methods=("dann",), params={})
    assert baseline_key(baseline, "cpu", None) == baseline_key(recipe, "cpu", None)
    for config in launched:
        check_config(config)
