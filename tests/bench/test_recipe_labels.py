"""The recommended recipe trained on k labelled target samples per class: its own rows, beside
fine-tuning on the same k, merged by k, and never counted as an unsupervised recipe."""

import json

from bench.accuracy_rows import combine_seeds
from bench.plan import PRESETS, build_plan
from bench.report_accuracy import accuracy_section
from bench.targets import best_unsupervised
from bench.update import merge_into

SETTINGS = {"seeds": [0, 1], "epochs": 10, "batch_size": 32, "lr": 1e-3, "skada": "not installed"}


def _run(accuracy: float, seed: int) -> dict:
    return {"seed": seed, "status": "done", "accuracy": accuracy}


def _task() -> dict:
    plan = build_plan(
        "full", methods=["source_only"], recipes=["recommended"], few_shot=[5], recipe_labels=[1, 5]
    )
    per_seed = [
        {
            "ours": {"source_only": _run(0.6 + s / 10, s)},
            "theirs": {},
            "theirs_working": {},
            "recipes": {"recommended": _run(0.9, s)},
            "oracle": _run(0.97, s),
            "few_shot": {"5": _run(0.93, s)},
            "recipe_labels": {"1": _run(0.95 + s / 100, s), "5": _run(0.99, s)},
        }
        for s in (0, 1)
    ]
    return combine_seeds(plan, "mnist5k", "digits", per_seed, "not installed")


def test_the_full_preset_measures_the_recipe_with_1_5_and_10_labels_and_the_cli_can_drop_them():
    assert PRESETS["full"].recipe_labels == (1, 5, 10)
    assert build_plan("full", recipe_labels=[]).recipe_labels == ()
    assert build_plan("full", no_oracle=True).oracle is None and PRESETS["full"].oracle


def test_labelled_recipe_rows_sit_beside_fine_tuning_and_are_not_unsupervised():
    task = _task()
    assert task["recipe_labels"]["1"]["mean"] == 0.955 and task["recipe_labels"]["5"]["mean"] == 0.99
    assert best_unsupervised(task) == ("recommended", 0.9)  # 0.99 needs target labels
    lines = accuracy_section(SETTINGS | {"tasks": [task]})
    rows = [
        line for line in lines if line.startswith("| finetune") or line.startswith("| recipe `recommended` +")
    ]
    assert rows == [
        "| finetune k=5 (target labels) | 93.0 ± 0.0 |",
        "| recipe `recommended` + k=1 (target labels: `labelled_target`) | 95.5 ± 0.7 |",
        "| recipe `recommended` + k=5 (target labels: `labelled_target`) | 99.0 ± 0.0 |",
    ]


def test_an_update_merges_labelled_recipe_rows_by_k_and_keeps_the_others(tmp_path):
    path = tmp_path / "benchmarks.json"
    head = {
        "command": "bench",
        "mode": "full",
        "seconds": 1.0,
        "machine": {"date": "d", "load_start": [0, 0, 0], "cpu": "AMD EPYC"},
        "load_end": [0, 0, 0],
    }
    path.write_text(json.dumps(head | {"accuracy": SETTINGS | {"tasks": [_task()]}}))
    new = _task()
    new["recipe_labels"] = {"10": {"mean": 0.995}}
    merged = merge_into(
        path,
        head | {"command": "bench --recipe-labels 10", "accuracy": SETTINGS | {"tasks": [new]}},
        {"accuracy"},
    )
    (task,) = merged["accuracy"]["tasks"]
    assert list(task["recipe_labels"]) == ["1", "5", "10"] and task["recipe_labels"]["10"] == {"mean": 0.995}
