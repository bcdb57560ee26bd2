"""The Adapt page quotes a recipe's benchmark only where it ran with exactly the config it launches."""

import json
import os
from dataclasses import replace
from types import SimpleNamespace

from app_support import benchmarks
from app_support.benchmarks import recipe_quote
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.models import resolve_model_name

IMAGE = [1, 28, 28]


def _row(config: dict, mean: float, network: str | None = None) -> dict:
    config = {k: v for k, v in config.items() if k != "seed"}
    name = network or resolve_model_name(config["model"], tuple(IMAGE))
    runs = [{"network": {"name": name, "input_shape": IMAGE}} for _ in range(3)]
    return {"mean": mean, "std": 0.01, "runs": runs, "config": config}


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


def test_quotes_only_rows_of_the_network_the_launched_config_builds(tmp_path):
    """``auto`` is compared as the network it builds: a row measured on another network (an older
    default, or ``bench --model``) is not quoted; a row that named today's default network is."""
    launched = RECOMMENDED.config("mnist5k", "digits").to_dict()
    default = resolve_model_name("auto", tuple(IMAGE))
    other = next(name for name in ("lenet", "lenet_bn") if name != default)
    tasks = [
        {"source": "mnist5k", "target": "digits", "recipes": {RECOMMENDED.name: _row(launched, 0.97, other)}},
        {
            "source": "mnist5k",
            "target": "digits",
            "recipes": {RECOMMENDED.name: _row(launched | {"model": default}, 0.98)},
        },
        {"source": "a", "target": "b", "recipes": {RECOMMENDED.name: _row(launched | {"model": other}, 0.5)}},
    ]
    path = tmp_path / "benchmarks.json"
    path.write_text(json.dumps({"accuracy": {"tasks": tasks}}))
    assert recipe_quote(RECOMMENDED, path) == ["98.0 ± 1.0% on mnist5k → digits (3 seeds)"]


def test_the_file_is_read_once_until_it_changes(tmp_path, monkeypatch):
    """Read and matched at every Adapt page run, the 0.7 MB file took 28 ms of it: now once, and again
    when it is rewritten (a new benchmark committed while the app runs)."""
    reads = []
    loads = benchmarks.json.loads
    counting = SimpleNamespace(loads=lambda text: reads.append(1) or loads(text))
    monkeypatch.setattr(benchmarks, "json", counting)
    same = RECOMMENDED.config("mnist5k", "digits").to_dict()
    path = tmp_path / "benchmarks.json"
    for mean in (0.981, 0.5):
        tasks = [{"source": "mnist5k", "target": "digits", "recipes": {RECOMMENDED.name: _row(same, mean)}}]
        path.write_text(json.dumps({"accuracy": {"tasks": tasks}}))
        os.utime(path, ns=(0, int(mean * 1e9)))  # another modification time, even within the clock's tick
        quotes = [recipe_quote(RECOMMENDED, path) for _ in range(3)]
        assert quotes == 3 * [[f"{100 * mean:.1f} ± 1.0% on mnist5k → digits (3 seeds)"]]
    assert len(reads) == 2
