"""A difference of seed means against its standard error, and where the report shows it."""

import math
import statistics

import pytest

from bench.plan import DEFAULT_PAIR
from bench.report_accuracy import accuracy_section
from bench.spread import difference_se, difference_text
from bench.targets import vs_skada
from tlcore.models import resolve_model_name

IMAGE = (1, 28, 28)
NETWORK = {"name": resolve_model_name("auto", IMAGE), "input_shape": list(IMAGE)}


def _runs(*accuracies: float | None) -> dict:
    return {"runs": [{"accuracy": a, "network": NETWORK} for a in accuracies]}


def test_the_standard_error_is_welchs_over_the_runs_with_an_accuracy():
    se = difference_se(_runs(0.8, 0.9, 1.0), _runs(0.5, 0.7, None))
    assert se == pytest.approx(math.sqrt(0.01 / 3 + 0.02 / 2))
    assert difference_se(_runs(0.8, 0.9), _runs(0.5)) is None
    assert difference_text(-0.042, 0.073) == "-4.2 ± 7.3"
    assert difference_text(0.01, None) == "+1.0"


def _entry(ours: tuple[float, ...], theirs: tuple[float, ...]) -> dict:
    mine, other = sum(ours) / len(ours), sum(theirs) / len(theirs)
    tlcore = {"mean": mine, "std": statistics.stdev(ours), **_runs(*ours)}
    skada = {"name": "DAN", "mean": other, "std": statistics.stdev(theirs), **_runs(*theirs)}
    return {"tlcore": tlcore, "skada": skada, "diff": mine - other}


def test_the_skada_target_counts_the_cells_behind_by_more_than_twice_their_error():
    methods = {
        "dan": _entry((0.60, 0.61, 0.62), (0.70, 0.71, 0.72)),  # -10 points, se 0.8: clearly behind
        "mcc": _entry((0.60, 0.70, 0.80), (0.65, 0.75, 0.85)),  # -5 points, se 8.2: within the spread
        "dann": _entry((0.90, 0.91, 0.92), (0.80, 0.81, 0.82)),
    }
    task = {
        "source": DEFAULT_PAIR[0],
        "target": DEFAULT_PAIR[1],
        "model": NETWORK["name"],
        "methods": methods,
    }
    row = vs_skada({"tasks": [task], "seeds": [0, 1, 2], "epochs": 10})
    assert row["status"] == "missed"
    assert row["measured"].startswith("1 of 3 at or above")
    assert "dan on mnist5k → digits (-10.0 ± 0.8)" in row["measured"]
    assert row["measured"].endswith("1 of them by more than twice the standard error")


def test_the_accuracy_table_prints_each_difference_with_its_standard_error():
    task = {
        "source": DEFAULT_PAIR[0],
        "target": DEFAULT_PAIR[1],
        "model": NETWORK["name"],
        "methods": {"dan": _entry((0.60, 0.61, 0.62), (0.70, 0.71, 0.72))},
        "recipes": {},
    }
    acc = {"tasks": [task], "seeds": [0, 1, 2], "epochs": 10, "batch_size": 32, "lr": 0.001, "skada": "ok"}
    lines = accuracy_section(acc)
    assert "| method | tlcore | skada counterpart | skada | tlcore - skada (± se) |" in lines
    assert "| dan | 61.0 ± 1.0 | DAN | 71.0 ± 1.0 | -10.0 ± 0.8 |" in lines


def test_skadas_dann_with_a_working_classifier_is_shown_beside_and_counted_but_not_judged():
    entry = _entry((0.20, 0.21, 0.22), (0.28, 0.29, 0.30))  # behind skada's default DANN
    entry["skada"]["name"] = "DANN"
    working = {"name": "DANN", "mean": 0.11, "std": 0.01, **_runs(0.10, 0.11, 0.12)}
    entry |= {"skada_working": working, "diff_working": 0.21 - 0.11}
    task = {
        "source": DEFAULT_PAIR[0],
        "target": DEFAULT_PAIR[1],
        "model": NETWORK["name"],
        "methods": {"dann": entry},
        "recipes": {},
    }
    acc = {"tasks": [task], "seeds": [0, 1, 2], "epochs": 10, "batch_size": 32, "lr": 0.001, "skada": "ok"}
    lines = accuracy_section(acc)
    assert "| dann | 21.0 ± 1.0 | DANN | 29.0 ± 1.0 | -8.0 ± 0.8 |" in lines
    assert "| dann | 21.0 ± 1.0 | DANN | 11.0 ± 1.0 | +10.0 ± 0.8 |" in lines
    row = vs_skada(acc)
    assert row["status"] == "missed"  # the target judges skada as its users get it
    assert row["measured"].startswith("0 of 1 at or above")
    assert row["measured"].endswith(
        "(beside skada's DANN and CDAN with a working domain classifier: 1 of 1 at or above)"
    )
