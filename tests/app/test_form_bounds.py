"""The Adapt and Sweep pages' number fields offer the ranges their engine configs own
(:data:`tlcore.adapt.config.BOUNDS`, :data:`tlcore.runs.search.BOUNDS`,
:data:`tlcore.runs.executors.BOUNDS`), and each config refuses a value below its least in its own words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_support.state import sweep_key
from tests.app.helpers import assert_clean
from tlcore.adapt.config import BOUNDS, AdaptConfig
from tlcore.errors import TLError
from tlcore.runs.executors import BOUNDS as EXECUTOR_BOUNDS
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.search import BOUNDS as SEARCH_BOUNDS
from tlcore.runs.search import Search

OpenApp = Callable[..., AppTest]
UNSET = 0  # the Adapt page's 0 for adapt epochs and steps per epoch: unset (None)


def offered(at: AppTest, label: str) -> tuple[float, float]:
    """The ``(min, max)`` the number field whose label starts with ``label`` offers."""
    proto = next(w for w in at.number_input if w.label.startswith(label)).proto
    assert proto.has_min and proto.has_max
    return proto.min, proto.max


def test_the_adapt_page_offers_the_configs_ranges(app: OpenApp) -> None:
    at = app("adapt")
    at.multiselect[0].set_value(["target_only"]).run()  # needs target labels: their field shows
    assert_clean(at)
    fields = {
        "Epochs": BOUNDS["epochs"],
        "Batch size": BOUNDS["batch_size"],
        "Learning rate": BOUNDS["lr"],
        "Seed": BOUNDS["seed"],
        "Weight average": BOUNDS["ema_decay"],
        "Stop if settled": BOUNDS["settle_tol"],
        "Labelled target samples per class (0: none)": BOUNDS["target_labels"],
        "Labelled target samples per class (0 = the method's default)": BOUNDS["target_labels"],
        "Adapt epochs": (UNSET, BOUNDS["adapt_epochs"].most),
        "Steps per epoch": (UNSET, BOUNDS["steps_per_epoch"].most),
    }
    for label, bound in fields.items():
        assert offered(at, label) == tuple(bound), label
    assert offered(at, "Seed") == (0, 2**32 - 1)  # the config's whole range (the page offered 2^31 - 1)


def test_the_sweep_page_offers_the_configs_ranges(app: OpenApp) -> None:
    at = app("sweep")
    at.radio(key=sweep_key("search")).set_value("optuna").run()
    at.selectbox(key=sweep_key("executor")).set_value("ray").run()
    assert_clean(at)
    fields = {
        "Epochs": BOUNDS["epochs"],
        "Batch size": BOUNDS["batch_size"],
        "Learning rate": BOUNDS["lr"],
        "Points per composition": SEARCH_BOUNDS["n"],
        "Seed of the draws": SEARCH_BOUNDS["seed"],
        "Points per Optuna round": SEARCH_BOUNDS["batch"],
        "Trials at once": EXECUTOR_BOUNDS["max_concurrent"],
        "CPUs per trial": EXECUTOR_BOUNDS["cpus_per_trial"],
    }
    for label, bound in fields.items():
        assert offered(at, label) == tuple(bound), label


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("epochs", "epochs must be >= 1, got 0"),
        ("batch_size", "the batch size must be >= 2 (BatchNorm needs two samples), got 1"),
        ("adapt_epochs", "adapt epochs must be >= 1 (or unset: the same as epochs)"),
        ("patience", "patience must be >= 1 epoch (or unset: no early stopping)"),
        ("steps_per_epoch", "steps per epoch must be >= 1 (or unset: one pass over the larger domain)"),
        ("seed", "the seed must lie in 0..4294967295, got -1"),
        ("target_labels", "target labels per class must be >= 0"),
        ("ema_decay", "EMA decay must lie in [0, 1) (0: no weight average)"),
        ("settle_tol", "the settling tolerance must lie in [0, 1) (0: train every epoch)"),
    ],
)
def test_a_config_refuses_one_below_its_least(field: str, message: str) -> None:
    least = BOUNDS[field].least
    AdaptConfig("mnist", "usps", **{field: least})  # the least itself is taken
    below = least - 1 if isinstance(least, int) else -0.001
    with pytest.raises(TLError) as refused:
        AdaptConfig("mnist", "usps", **{field: below})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("make", "values", "message"),
    [
        (Search, {"kind": "random", "n": 0}, "a random search needs the number of points n >= 1, got 0"),
        (Search, {"batch": 0}, "batch, the points of an Optuna round, must be >= 1, got 0"),
        (ExecutorSettings, {"max_concurrent": 0}, "--max-concurrent must be >= 1"),
        (ExecutorSettings, {"cpus_per_trial": 0}, "CPUs per trial must be >= 1"),
    ],
)
def test_a_sweep_setting_below_its_least_is_refused(
    make: Callable[..., Any], values: dict[str, int], message: str
) -> None:
    least = {**SEARCH_BOUNDS, **EXECUTOR_BOUNDS}
    assert all(least[name].least == value + 1 for name, value in values.items() if name != "kind")
    with pytest.raises(TLError) as refused:
        make(**values)
    assert str(refused.value) == message
