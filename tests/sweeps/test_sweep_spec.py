"""A sweep as data: the space, the search and the deterministic expansion into trials."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tlcore.errors import TLError
from tlcore.runs.search import Search, propose
from tlcore.runs.space import BUDGET_KEYS, Choice, Range, Space, parse_grid, parse_range
from tlcore.runs.sweep import SweepSpec, check_networks, checked, expand, parse_seeds

PAIR = ("mnist5k:n=120", "digits:n=120")


def spec(*compositions: tuple[str, ...], grid: Sequence[str] = (), **kw: Any) -> SweepSpec:
    return checked(SweepSpec(*PAIR, compositions, Space(parse_grid(grid)), **kw))


def test_grid_expands_each_composition_over_its_own_keys_and_every_seed() -> None:
    sweep = spec(("deep_coral", "im"), ("dann", "im"), grid=["dann.weight=0.1,0.3,1"], seeds=(0, 1, 2))
    trials = expand(sweep)
    # deep_coral+im has no dann: one configuration; dann+im three; each x 3 seeds
    assert [t.key for t in trials[:3]] == [f"deep_coral+im|seed={s}" for s in (0, 1, 2)]
    assert [t.key for t in trials[3:6]] == [f"dann+im|dann.weight=0.1|seed={s}" for s in (0, 1, 2)]
    assert len(trials) == sweep.planned_trials() == 12
    assert len({t.key for t in trials}) == 12
    last = trials[-1]
    assert last.config.methods == ("dann", "im") and last.config.params == {"dann": {"weight": 1.0}}
    assert last.config.seed == 2 and last.config_key == "dann+im|dann.weight=1"
    assert trials[0].config.params == {}


def test_grid_nests_keys_in_order_and_budget_keys_apply_to_every_composition() -> None:
    sweep = spec(("dann",), ("im",), grid=["dann.weight=0.1,1", "lr=0.001,0.01"], budget={"epochs": 2})
    keys = [t.config_key for t in expand(sweep)]
    assert keys == [
        "dann|dann.weight=0.1|lr=0.001",
        "dann|dann.weight=0.1|lr=0.01",
        "dann|dann.weight=1|lr=0.001",
        "dann|dann.weight=1|lr=0.01",
        "im|lr=0.001",
        "im|lr=0.01",
    ]
    configs = {t.config_key: t.config for t in expand(sweep)}
    assert configs["im|lr=0.01"].lr == 0.01 and configs["im|lr=0.01"].epochs == 2
    capped = {
        t.config_key: t.config.steps_per_epoch for t in expand(spec(("im",), grid=["steps_per_epoch=20,40"]))
    }
    assert capped == {"im|steps_per_epoch=20": 20, "im|steps_per_epoch=40": 40}


def test_values_are_typed_by_the_registry_and_bad_ones_refused() -> None:
    sweep = spec(("dann", "im"), grid=["dann.weight=1", "epochs=2"])
    assert sweep.space.dims["dann.weight"] == Choice((1.0,))  # the registry's float
    assert sweep.space.dims["epochs"] == Choice((2,))
    with pytest.raises(TLError, match="none of the compositions"):
        spec(("deep_coral", "im"), grid=["dann.weight=0.1"])
    with pytest.raises(TLError, match="unknown parameter"):
        spec(("dann",), grid=["dann.wieght=0.1"])
    with pytest.raises(TLError, match="weight must be >= 0"):
        spec(("dann",), grid=["dann.weight=-1"])
    with pytest.raises(TLError, match="epochs must be int"):
        spec(("dann",), grid=["epochs=1.5"])
    with pytest.raises(TLError, match="a grid needs a list"):
        checked(SweepSpec(*PAIR, (("dann",),), Space(parse_range(["dann.weight=0.1:1"]))))
    with pytest.raises(TLError, match="appears twice"):
        spec(("dann",), ("dann",))
    with pytest.raises(TLError, match="must run alone"):
        spec(("source_only", "im"))


@pytest.mark.parametrize(
    ("methods", "grid", "ranges", "search", "message"),
    [
        (("im",), [], ["batch_size=1:3:int"], Search("optuna", 3, batch=1), "batch_size=1: the batch size"),
        (("im",), [], ["lr=0:0.1"], Search("random", 2), "lr=0: the learning rate must be a finite number"),
        (("im",), [], ["patience=0:3"], Search("optuna", 4), "patience=0: patience must be >= 1 epoch"),
        (("im",), ["batch_size=64,1"], [], Search("optuna", 1), "batch_size=1: the batch size must be >= 2"),
        (("im",), [], ["ema_decay=0.5:0.99999"], Search("random", 1), "ema_decay=1: EMA decay must lie in"),
        (
            ("fixmatch",),
            [],
            ["fixmatch.threshold=0.5:0.99999"],  # drawn reals keep 4 digits: the high end is drawn as 1
            Search("random", 1),
            "fixmatch.threshold=1: fixmatch: threshold must lie strictly between 0 and 1",
        ),
        (
            ("dann",),
            ["dann.gamma=10,nan"],
            [],
            Search("grid"),
            "dann: gamma must be a finite number, got nan",
        ),
        (
            ("dann",),
            [],
            ["dann.gamma=-5:5"],
            Search("random", 2),
            "dann: gamma must be > 0 (the reversal's ramp-up rate), got -5",
        ),
    ],
)
def test_every_value_a_search_may_propose_is_checked_up_front(
    methods: tuple[str, ...], grid: list[str], ranges: list[str], search: Search, message: str
) -> None:
    space = Space({**parse_grid(grid), **parse_range(ranges)})
    with pytest.raises(TLError, match=f"^{re.escape(message)}"):
        checked(SweepSpec(*PAIR, (methods,), space, search))


def test_a_sweep_on_a_source_read_without_labels_is_refused_before_it_exists() -> None:
    with pytest.raises(TLError, match=r"the source upload:a\.csv:label=none is unlabelled"):
        checked(SweepSpec("upload:a.csv:label=none", "digits", (("im",),), Space(parse_grid([]))))
    with pytest.raises(TLError, match=r"labelled_target needs target labels, but upload:b\.csv:label=none"):
        checked(
            SweepSpec("mnist5k", "upload:b.csv:label=none", (("labelled_target",),), Space(parse_grid([])))
        )


def test_a_stored_sweep_with_values_the_config_refuses_still_expands() -> None:
    """A sweep stored before a check existed: its refused trials are failed, an Optuna search counts
    them failed at once and goes on, and the same scores still give the same trials."""
    space = Space(parse_range(["batch_size=1:3:int"]))
    old = SweepSpec(*PAIR, (("im",),), space, Search("optuna", 4, batch=1), seeds=(0, 1))
    trials = expand(old)  # round 1 (batch_size=1) is refused, so failed at once: round 2 follows
    assert trials == expand(old)
    refused = [t for t in trials if t.config is None]
    assert [t.key for t in refused] == ["im|batch_size=1|seed=0", "im|batch_size=1|seed=1"]
    assert refused[0].refused == "the batch size must be >= 2 (BatchNorm needs two samples), got 1"
    assert [t.config.batch_size for t in trials if t.config is not None] == [3, 3]
    with pytest.raises(TLError, match=r"^an integer range needs a whole number in it, got 0\.2\.\.0\.8$"):
        parse_range(["lr=0.2:0.8:int"])


def test_a_sweep_planning_more_trials_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_TRIALS", "4")
    assert len(expand(spec(("im",), grid=["lr=0.001,0.01"], seeds=parse_seeds("0-1")))) == 4
    over = "the sweep plans {}, more than the limit of 4 trials (TLSTUDIO_MAX_TRIALS)"
    with pytest.raises(TLError, match=f"^{re.escape(over.format('5 seeds'))}$"):
        parse_seeds("0-2,3,4")
    with pytest.raises(TLError, match=f"^{re.escape(over.format('6 trials'))}$"):
        spec(("im",), grid=["lr=0.001,0.01,0.1"], seeds=(0, 1))
    with pytest.raises(TLError, match=f"^{re.escape(over.format('5 trials'))}$"):
        checked(SweepSpec(*PAIR, (("im",),), Space(parse_range(["lr=0.001:0.1"])), Search("random", 5)))


def test_spec_round_trips_through_its_dict() -> None:
    sweep = checked(
        SweepSpec(
            *PAIR,
            (("dann", "im"),),
            Space({**parse_grid(["im.weight=0.5,1"]), **parse_range(["dann.weight=0.01:1:log"])}),
            Search("random", n=3, seed=7),
            seeds=(0, 4),
            budget={"epochs": 1, "batch_size": 16},
        )
    )
    again = SweepSpec.from_dict(sweep.to_dict())
    assert again == sweep
    assert [t.key for t in expand(again)] == [t.key for t in expand(sweep)]


def test_random_search_is_seeded_distinct_and_within_the_range() -> None:
    dims = {"dann.weight": Range(0.01, 1.0, log=True), "lr": Choice((0.001, 0.01))}
    first = propose(dims, Search("random", n=6, seed=3), "dann")
    assert first == propose(dims, Search("random", n=6, seed=3), "dann")  # same seed, same points
    assert first != propose(dims, Search("random", n=6, seed=4), "dann")
    assert first != propose(dims, Search("random", n=6, seed=3), "dann+im")  # its own stream per composition
    assert len(first) == 6 and len({tuple(sorted(p.items())) for p in first}) == 6
    assert all(0.01 <= p["dann.weight"] <= 1.0 and p["lr"] in (0.001, 0.01) for p in first)
    assert all(p["dann.weight"] == float(f"{p['dann.weight']:.4g}") for p in first)  # the key shows the value
    # a finite space holds fewer distinct points than asked: all of them, once each
    small = propose({"lr": Choice((0.001, 0.01))}, Search("random", n=5), "im")
    assert sorted(p["lr"] for p in small) == [0.001, 0.01]


def test_optuna_search_is_deterministic_given_the_scores_and_learns_from_them() -> None:
    dims = {"dann.weight": Range(0.01, 1.0, log=True)}
    search = Search("optuna", n=6, seed=1, batch=2)
    first_round = propose(dims, search, "dann")
    assert len(first_round) == 2  # the next round waits for these scores
    assert first_round == propose(dims, search, "dann")
    assert propose(dims, search, "dann", {"nope": 1.0}) == first_round

    def scores(points: list[dict], best_high: bool) -> dict[str, float]:
        keys = {f"dann.weight={p['dann.weight']:g}": p["dann.weight"] for p in points}
        return {k: (w if best_high else -w) for k, w in keys.items()}

    points = first_round
    for _ in range(2):  # rounds 2 and 3, each proposed once the previous round has its scores
        points = propose(dims, search, "dann", scores(points, best_high=True))
    assert len(points) == 6
    assert points == propose(dims, search, "dann", scores(points, best_high=True))
    assert points[:2] == first_round
    # a failed point (NaN) is told as failed, and the search still goes on
    failed = {k: math.nan for k in scores(first_round, True)}
    assert len(propose(dims, search, "dann", failed)) == 4


def test_optuna_in_a_sweep_proposes_rounds_per_composition() -> None:
    space = Space(parse_range(["dann.weight=0.1:1"]))
    sweep = checked(SweepSpec(*PAIR, (("dann",),), space, Search("optuna", n=4, batch=2)))
    trials = expand(sweep)
    assert len(trials) == 2 and sweep.planned_trials() == 4
    scores = {t.config_key: 0.5 for t in trials}
    assert len(expand(sweep, scores)) == 4


def test_the_readme_lists_the_budget_fields_of_the_code() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"or a budget field \(([^)]*)\)", readme)
    assert listed, "the README's Sweeps section no longer lists the budget fields"
    assert re.findall(r"`(\w+)`", listed[1]) == list(BUDGET_KEYS)


def test_a_grid_of_an_unknown_network_is_refused_before_the_sweep_exists() -> None:
    """QA helper-123 (F3): its trials failed ("unknown model 'foo'") after the sweep started."""
    with pytest.raises(TLError, match="unknown model 'foo'"):
        checked(SweepSpec("mnist5k", "digits", (("dann",),), Space(parse_grid(["model=lenet_bn,foo"]))))


def test_each_network_of_a_sweep_is_checked_against_the_pairs_samples() -> None:
    """QA helper-123 (F3): ``--grid model=mlp,...`` on images ran and failed every mlp trial."""
    images, vectors = (1, 28, 28), (13,)
    grid = spec(("source_only",), grid=["model=lenet_bn,mlp"])
    with pytest.raises(
        TLError,
        match=r"^model 'mlp' needs feature vectors \(D,\), got images of 1 x 28 x 28 \(auto picks "
        r"lenet_bn for them\)$",
    ):
        check_networks(grid, images)
    with pytest.raises(
        TLError,
        match=r"^model 'lenet_bn' needs images \(C x H x W\), got feature vectors of 13 values \(auto "
        r"picks mlp for them\)$",
    ):
        check_networks(grid, vectors)
    with pytest.raises(TLError, match=r"^model 'mlp' needs feature vectors"):
        check_networks(spec(("source_only",), budget={"model": "mlp"}), images)
    check_networks(spec(("source_only",), budget={"model": "mlp"}), vectors)
    check_networks(spec(("source_only",), grid=["model=cnn,lenet_bn"]), images)
    for shape in (images, vectors):  # auto picks a network for either
        check_networks(spec(("source_only",)), shape)


LABELLED_ONLY = (
    "--target-labels is for the methods trained on target labels (target_only, finetune, labelled_target)"
)


def test_target_labels_for_methods_trained_on_none_are_refused_as_adapt_refuses_them() -> None:
    """QA helper-123 (F4): dann with target_labels 0 and 2 ran twice the same run, recommended as a setup."""
    with pytest.raises(TLError, match=f"^target_labels=2: {re.escape(LABELLED_ONLY)}$"):
        spec(("dann",), ("source_only",), grid=["target_labels=0,2"])
    with pytest.raises(TLError, match=f"^{re.escape(LABELLED_ONLY)}$"):
        spec(("dann",), budget={"target_labels": 2})
    with pytest.raises(TLError, match=f"^{re.escape(LABELLED_ONLY)}$"):  # one composition of two
        spec(("finetune",), ("dann",), budget={"target_labels": 2})
    trials = expand(spec(("finetune",), ("dann", "labelled_target"), grid=["target_labels=0,2"]))
    assert [(t.label, t.config.target_labels) for t in trials] == [
        ("finetune", 0),
        ("finetune", 2),
        ("dann+labelled_target", 0),
        ("dann+labelled_target", 2),
    ]
