"""The explain part of the benchmark: its targets, its section, and running it alone (`--only explain`)."""

from __future__ import annotations

from bench.report import render
from bench.report_diagnosis import inside
from bench.targets import cause_first, fix_raises_accuracy, fix_shrinks_gap


def explain_results(hits: int, n: int = 10) -> dict:
    row = {
        "target": "mnist5k:invert=1",
        "first": "invert",
        "hit": True,
        "fix_spec": "mnist5k",
        "fix_side": "target",
        "mmd2_before": 1.0,
        "mmd2_after": 0.01,
        "relative_change": -0.99,
        "accuracy_before": 0.1,
        "accuracy_after": 0.9,
        "seconds": 1.5,
    }
    return {
        "bases": [["mnist5k", "mnist5k:n=2000"]],
        "epochs": 1,
        "network": "lenet_bn",
        "rows": [row],
        "n": n,
        "hits": hits,
        "n_fixes": n,
        "fixes_shrinking": n,
        "n_scored": n,
        "fixes_raising_accuracy": n - 1,
        "shifts_without_severities": [],
    }


def test_targets_judge_the_share_named_first_and_the_fixes():
    assert cause_first(explain_results(9))["status"] == "met"
    assert cause_first(explain_results(8))["status"] == "missed"
    assert cause_first({})["status"] == "not measured"
    assert fix_shrinks_gap(explain_results(9))["measured"] == "10 of 10"
    assert fix_raises_accuracy(explain_results(9))["status"] == "met"
    assert "`lenet_bn` 1 epoch(s)" in fix_raises_accuracy(explain_results(9))["setting"]
    before = explain_results(9) | {"network": None}  # results from before parts recorded their network
    assert "`lenet` 1 epoch(s)" in fix_raises_accuracy(before)["setting"]


def test_the_explain_section_renders():
    results = {
        "command": "python -m bench --only explain",
        "mode": "full",
        "seconds": 3.0,
        "load_end": [1, 1, 1],
        "machine": {
            "cpu": "x",
            "cores": 2,
            "torch_threads": 1,
            "blas": "b",
            "cuda": False,
            "python": "3",
            "versions": {
                k: "1" for k in ("torch", "numpy", "scikit-learn", "skada", "skorch", "alibi-detect")
            },
            "load_start": [1, 1, 1],
            "date": "today",
        },
        "targets": [],
        "explain": explain_results(9),
    }
    markdown = render(results)
    assert "## Diagnosis explained" in markdown and "True cause first: **9 of 10**" in markdown
    assert "Source-only accuracy: `lenet_bn` trained 1 epoch(s) on the source" in markdown
    assert (
        "| `mnist5k:invert=1` | **invert** | `mnist5k` (target) | 1 → 0.01 (-99%) | 10.0 → 90.0 |" in markdown
    )
    # the mnist5k base pair is built from the source's own images; a test split's target is not
    assert "`mnist5k` → `mnist5k:n=2000` shares all its images by design" in markdown
    split = results | {
        "explain": explain_results(9) | {"bases": [["fashion:split=train", "fashion:split=test"]]}
    }
    assert "by design" not in render(split)


def test_a_base_pair_shares_all_its_images_when_the_source_is_the_whole_dataset():
    assert inside("mnist5k", "mnist5k:n=2000") and inside("fashion", "fashion:split=test,n=10")
    assert not inside("mnist5k:n=4000", "mnist5k:n=2000")  # two draws: the smaller's inside, not all of it
    assert not inside("fashion:split=train,n=5000", "fashion:split=test,n=2000")
    assert not inside("mnist5k", "digits") and not inside("mnist5k:blank=drop", "mnist5k:n=10")
