"""The accuracy section's labels: a named recipe shows its methods, parameters and budget."""

from bench.report_accuracy import _inert_discriminator, _recipe_label
from tlcore.adapt.recipe import RECOMMENDED


def test_a_named_recipe_is_labelled_with_its_parameters_and_budget():
    config = RECOMMENDED.config("mnist5k", "digits")
    label = _recipe_label("recommended", {"config": config.to_dict()})
    params = (
        "deep_coral.layer=features, deep_coral.weight=100, "
        "fixmatch.weight=0.3, fixmatch.align=False, fixmatch.threshold=0.9, fixmatch.teacher=True"
    )
    assert label == f"recipe `recommended`: {config.method_label} ({params}), {config.budget_text}"
    assert _recipe_label("deep_coral+im", {"config": config.to_dict()}) == "recipe `deep_coral+im`"


def test_an_inert_skada_discriminator_is_reported_only_when_probed_so():
    probe = {"version": "0.6.0", "constant_output": True, "output": 1.0, "feature_gradient_norm": 0.0}
    (line, blank) = _inert_discriminator(probe)
    assert line.startswith("skada 0.6.0's default domain classifier") and "outputs 1 for every input" in line
    assert "gradient of norm 0 back" in line and blank == ""
    assert _inert_discriminator({**probe, "constant_output": False}) == []
    assert _inert_discriminator(None) == []


def test_the_repaired_skada_classifier_is_described_with_what_its_probe_saw():
    working = {"constant_output": False, "output": 0.41, "feature_gradient_norm": 0.0768}
    probe = {"version": "0.6.0", "constant_output": True, "output": 1.0, "feature_gradient_norm": 0.0}
    (line, _) = _inert_discriminator({**probe, "working": working})
    assert line.endswith(
        "with that classifier's softmax replaced by a sigmoid "
        "(`bench.skada_methods.working_domain_classifier`: on the same probe it outputs varying values "
        "and sends a gradient of norm 0.0768 back)."
    )
