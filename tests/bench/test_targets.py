"""Target rows judge the measured figures: met, missed, or not measured when the run was too small."""

from bench.plan import DEFAULT_PAIR
from bench.targets import BARE_METHODS, bare_methods_help
from tlcore.models import resolve_model_name

IMAGE = (1, 28, 28)
DEFAULT = resolve_model_name("auto", IMAGE)
OTHER = next(name for name in ("lenet", "lenet_bn") if name != DEFAULT)


def _task(gain: float, network: str = DEFAULT) -> dict:
    means = {"source_only": 0.80} | {m: 0.80 + gain for m in BARE_METHODS}
    runs = [{"network": {"name": network, "input_shape": list(IMAGE)}}]
    methods = {name: {"tlcore": {"mean": mean, "runs": runs}} for name, mean in means.items()}
    return {"source": DEFAULT_PAIR[0], "target": DEFAULT_PAIR[1], "model": network, "methods": methods}


def _accuracy(*tasks: dict, seeds: int = 3) -> dict:
    return {"tasks": list(tasks), "seeds": list(range(seeds)), "epochs": 10}


def test_bare_methods_are_judged_on_their_gain_over_source_only():
    assert bare_methods_help(_accuracy(_task(0.06)))["status"] == "met"
    missed = bare_methods_help(_accuracy(_task(0.04)))
    assert missed["status"] == "missed" and "deep_coral +4.0" in missed["measured"]
    assert bare_methods_help(_accuracy(_task(0.06), seeds=1))["status"] == "not measured"
    assert bare_methods_help({})["status"] == "not measured"


def test_targets_judge_only_the_rows_of_the_engines_default_network():
    """Rows measured with ``bench --model`` on another network sit beside the default's, unjudged."""
    assert bare_methods_help(_accuracy(_task(0.04, OTHER), _task(0.06)))["status"] == "met"
    assert bare_methods_help(_accuracy(_task(0.06, OTHER), _task(0.04)))["status"] == "missed"
    assert bare_methods_help(_accuracy(_task(0.06, OTHER)))["status"] == "not measured"
