"""The Adapt page quotes a recipe's benchmark only where it ran with exactly the config it launches."""

import json
from dataclasses import replace

from app_support.benchmarks import recipe_quote
from tlcore.adapt.recipe import RECOMMENDED


def _row(config: dict, mean: float) -> dict:
    config = {k: v for k, v in config.items() if k != "seed"}
    return {"mean": mean, "std": 0.01, "runs": [{}, {}, {}], "config": config}


def test_quotes_only_rows_measured_with_the_launched_config(tmp_path):
    same = RECOMMENDED.config("mnist5k", "digits", seed=2).to_dict()
    other = replace(RECOMMENDED.config("digits", "mnist5k"), epochs=1).to_dict()
    tasks = [
        {"source": "mnist5k", "target": "digits", "recipes": {RECOMMENDED.name: _row(same, 0.981)}},
        {"source": "digits", "target": "mnist5k", "recipes": {RECOMMENDED.name: _row(other, 0.9)}},
        {"source": "a", "target": "b", "recipes": {RECOMMENDED.label: _row(same, 0.5)}},  # a composition row
    ]
    path = tmp_path / "benchmarks.json"
    path.write_text(json.dumps({"accuracy": {"tasks": tasks}}))
    assert recipe_quote(RECOMMENDED, path) == ["98.1 ± 1.0% on mnist5k → digits (3 seeds)"]
    assert recipe_quote(RECOMMENDED, tmp_path / "missing.json") == []
