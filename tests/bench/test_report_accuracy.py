"""The accuracy section's labels: a named recipe shows its methods, parameters and budget."""

from bench.report_accuracy import _recipe_label
from tlcore.adapt.recipe import RECOMMENDED


def test_a_named_recipe_is_labelled_with_its_parameters_and_budget():
    config = RECOMMENDED.config("mnist5k", "digits")
    label = _recipe_label("recommended", {"config": config.to_dict()})
    assert label == f"recipe `recommended`: {config.method_label} (fixmatch.weight=0.3), {config.budget_text}"
    assert _recipe_label("deep_coral+im", {"config": config.to_dict()}) == "recipe `deep_coral+im`"
