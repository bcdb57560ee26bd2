"""Target rows judge the measured figures: met, missed, or not measured when the run was too small."""

from bench.plan import DEFAULT_PAIR
from bench.targets import BARE_METHODS, bare_methods_help


def _accuracy(gain: float, seeds: int = 3) -> dict:
    means = {"source_only": 0.80} | {m: 0.80 + gain for m in BARE_METHODS}
    methods = {name: {"tlcore": {"mean": mean}} for name, mean in means.items()}
    task = {"source": DEFAULT_PAIR[0], "target": DEFAULT_PAIR[1], "methods": methods}
    return {"tasks": [task], "seeds": list(range(seeds)), "epochs": 10}


def test_bare_methods_are_judged_on_their_gain_over_source_only():
    assert bare_methods_help(_accuracy(0.06))["status"] == "met"
    missed = bare_methods_help(_accuracy(0.04))
    assert missed["status"] == "missed" and "deep_coral +4.0" in missed["measured"]
    assert bare_methods_help(_accuracy(0.06, seeds=1))["status"] == "not measured"
    assert bare_methods_help({})["status"] == "not measured"
