"""Pools of several setups (tlcore.selection.setups): QA helper-132, a sweep over lenet_bn and cnn
recommended one configuration per network while ``runs rank`` and Compare pooled both networks, kept
the other network's source-only model and marked the sweep's pick "passes; below another config's
source-only model". Now each setup is ranked and recommended on its own, as the sweep does."""

from __future__ import annotations

from dataclasses import replace

from tests.selection.helpers import BASELINE, COLLAPSED, GOOD, candidate, pair_pool
from tests.selection.test_mixed_baselines import outvoting, right_on, strong_run, weak_run
from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.runs.candidates import setup_label
from tlcore.selection.pool import Pool
from tlcore.selection.preselect import preselect
from tlcore.selection.ranking import rank
from tlcore.selection.setups import SETUPS_REASON
from tlcore.views.ranking import column_order, kept_note, ranking_rows, recommendation, setup_tables
from tlcore.views.ranking_caveats import blind_spot

SMALL_POOL = "The ensemble that EnsV compares each model with holds"  # docs/defaults.md, Small pools


def two_networks() -> Pool:
    """A lenet_bn run that passes against its own source-only model (EnsV 20/30, below the efficientnet
    source-only model's 25/30) and two efficientnet runs flagged against their own (c-forgot:
    :func:`outvoting`, so that EnsV's ensemble holds more adapted models than source-only ones)."""
    weak = replace(weak_run(right_on(15, 0.8, 2)), setup="model=lenet_bn")
    strong = replace(strong_run(), setup="model=efficientnet_lite0")
    return outvoting(Pool("src", "tgt", (weak, strong)), setup="model=efficientnet_lite0")


def test_each_network_gets_its_own_recommendation_and_no_other_networks_bar():
    ranking = rank(two_networks())
    assert [(p.setup, p.recommended, p.kept, p.choice) for p in ranking.parts] == [
        ("model=efficientnet_lite0", None, None, "keep the source-only model"),
        ("model=lenet_bn", "a-weak", None, "run a-weak"),  # pooled: kept b-strong's source-only model
    ]
    assert ranking.recommended is None and ranking.kept is None and ranking.recommended_runs == ("a-weak",)
    assert (
        ranking.choice == "model=efficientnet_lite0: keep the source-only model; model=lenet_bn: run a-weak"
    )
    assert ranking.reason == SETUPS_REASON
    by_id = {e.run_id: e for e in ranking.entries}
    assert by_id["a-weak"].outranked_by is None and by_id["a-weak"].scores["ensv"] == 20 / 30
    assert by_id["b-strong"].scores_before["ensv"] == 25 / 30  # scored on the whole pool, as before
    assert ranking.parts[1].reason.startswith(  # one run said as one (QA helper-246: "the 1 of 1 runs")
        "the one run (EnsV 0.667), which kept at least 80% of its source-only model's effective classes"
    )
    assert "mixes" not in ranking.parts[1].reason  # one config within lenet_bn
    rows = ranking_rows(ranking, {})
    assert [(r["setup"], r["run"], r["status"]) for r in rows] == [
        ("model=efficientnet_lite0", "c-forgot", "alarm"),  # EnsV 1.000 before b-strong's 0.833
        ("model=efficientnet_lite0", "b-strong", "alarm"),
        ("model=lenet_bn", "a-weak", "recommended"),
    ]
    # Compare's tables: one per setup (a setup column pushed a pool of two networks past 1024 px)
    assert [(setup, [r["run"] for r in table]) for setup, table in setup_tables(rows)] == [
        ("model=efficientnet_lite0", ["c-forgot", "b-strong"]),
        ("model=lenet_bn", ["a-weak"]),
    ]
    assert column_order(ranking, rows)[:3] == ["rank", "run", "status"]
    one = ranking_rows(rank(pair_pool(weak_run(right_on(15, 0.8, 2)))), {})
    assert "setup" not in one[0] and setup_tables(one) == [("", one)]  # one setup: one table
    said = recommendation(ranking, {})
    assert said.startswith(f"One recommendation per setup: {SETUPS_REASON}. model=efficientnet_lite0: Keep ")
    assert " model=lenet_bn: Recommended: a-weak, the one run (EnsV 0.667), which kept" in said
    # the pool's ensemble (every setup's) holds more adapted models (3) than source-only ones (2): no
    # small-pool caveat; lenet_bn's recommendation says its own (efficientnet_lite0 keeps its model)
    assert ranking.ensemble == (2, 3) and SMALL_POOL not in blind_spot(ranking)
    assert blind_spot(ranking).startswith("model=lenet_bn: The checks compare each run with the others")


def test_predict_preselects_a_setups_recommended_run_not_the_pairs_newest():
    ranking = rank(two_networks())
    assert preselect(["b-strong", "a-weak"], ranking) == "a-weak"  # before: b-strong, the newest
    assert preselect(["b-strong"], ranking) == "b-strong" and preselect([], ranking) is None


def test_runs_rank_says_each_setups_recommendation_in_text_and_json(capsys):
    ranking = rank(two_networks())
    payload = ranking_json(ranking)
    assert payload["recommended"] is None and payload["kept"] is None
    assert [(s["setup"], s["recommended"], s["choice"]) for s in payload["setups"]] == [
        ("model=efficientnet_lite0", None, "keep the source-only model"),
        ("model=lenet_bn", "a-weak", "run a-weak"),
    ]
    assert [e["run_id"] for e in payload["entries"]] == ["c-forgot", "b-strong", "a-weak"]
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert "\nrecommended per setup: this pool holds runs of several setups" in out
    assert (
        "\n  model=efficientnet_lite0: keep the source-only model\n    because: none of the 2 runs passed "
        "the guardrails (2 lost source accuracy)\n" in out
    )
    assert "\n  model=lenet_bn: run a-weak\n    because: the one run (EnsV 0.667), which kept" in out
    assert "\n    model=lenet_bn:\n 3  a-weak " in out


def test_a_pool_of_one_setup_ranks_as_before():
    pool = two_networks()
    one = Pool("src", "tgt", tuple(replace(c, setup="model=lenet_bn") for c in pool.candidates))
    blank = Pool("src", "tgt", tuple(replace(c, setup="") for c in pool.candidates))
    assert ranking_json(rank(one)) == ranking_json(rank(blank))
    assert rank(one).kept == "b-strong" and not rank(one).parts  # configs mixed within the setup


def test_a_runs_setup_is_its_built_network_and_its_target_labels():
    built = {"info": {"model": {"name": "cnn"}}}
    assert setup_label({"model": "auto", "target_labels": 10}, built) == "model=cnn|target_labels=10"
    assert setup_label({"model": "lenet_bn", "target_labels": 0}, {}) == "model=lenet_bn"


def kept_in_one_network() -> Pool:
    """lenet_bn recommends a-weak; within efficientnet_lite0 two configs: c-weak passes against its own
    source-only model but stays below b-strong's, which is flagged (as c-forgot, on the same source-only
    model: :func:`outvoting`, so that EnsV's ensemble is not outvoted), so that setup keeps b-strong's
    source-only model."""
    below = weak_run(right_on(15, 0.8, 2), run_id="c-weak", baseline="efficientnet_lite0, epochs 4")
    efficientnet = tuple(replace(c, setup="model=efficientnet_lite0") for c in (strong_run(), below))
    lenet = replace(weak_run(right_on(15, 0.8, 2)), setup="model=lenet_bn")
    return outvoting(Pool("src", "tgt", (lenet, *efficientnet)), setup="model=efficientnet_lite0")


def test_predicts_kept_note_speaks_of_the_picked_runs_setup_only():
    """Predict read only a pool of one setup's ``kept``: with several setups its note never showed, though
    one setup keeps a source-only model; now it speaks of the picked run's setup, silent for a setup whose
    choice is a run."""
    ranking = rank(kept_in_one_network())
    assert [(p.setup, p.recommended, p.kept) for p in ranking.parts] == [
        ("model=efficientnet_lite0", None, "b-strong"),
        ("model=lenet_bn", "a-weak", None),
    ]
    assert ranking.kept is None  # what the page read: no note at all
    said = "Compare recommends keeping the source-only model of run b-strong, not any run of "
    assert kept_note(ranking, "c-weak", {}) == f"{said}model=efficientnet_lite0."
    assert kept_note(ranking, "b-strong", {}) == f"{said}model=efficientnet_lite0."
    assert kept_note(ranking, "a-weak", {}) is None  # lenet_bn recommends a run
    assert kept_note(ranking, "another-pairs-run", {}) is None
    one = rank(Pool("src", "tgt", tuple(replace(c, setup="") for c in kept_in_one_network().candidates)))
    assert one.kept == "b-strong" and kept_note(one, "a-weak", {"b-strong": "dann · strong"}) == (
        "Compare recommends keeping the source-only model of run dann · strong, not any run."
    )
    # the newest run is c-weak: a setup's recommended run comes first, then the kept model's owner
    assert preselect(["c-weak", "b-strong", "a-weak"], ranking) == "a-weak"
    assert preselect(["c-weak", "b-strong"], ranking) == "b-strong"


def two_recommendations() -> Pool:
    """Two networks on an unlabelled target, each with a recommended run (lenet_bn's a-weak, cnn's c-good)."""
    good = replace(candidate("c-good", BASELINE, GOOD), setup="model=cnn", baseline="cnn")
    return Pool("src", "tgt", (replace(weak_run(right_on(15, 0.8, 2)), setup="model=lenet_bn"), good))


def test_a_caveat_every_setup_says_is_said_once(capsys):
    """On an unlabelled target every recommended run carries the same caveat: runs rank, Compare and the
    report said it once per setup; now once, and a setup's own caveat (a collapsed model) after its name."""
    ranking = rank(two_recommendations())
    assert ranking.recommended_runs == ("c-good", "a-weak")
    shared = "The checks compare each run with the others and with its source-only model"
    assert blind_spot(ranking).startswith(shared) and blind_spot(ranking).count(shared) == 1
    assert "model=cnn:" not in blind_spot(ranking) and "model=lenet_bn:" not in blind_spot(ranking)
    assert ranking_json(ranking)["caveat"] == blind_spot(ranking, shell=True)
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert out.count("The checks compare each run") == 1 and "\n  caveat, every setup: The checks" in out
    assert "    caveat: " not in out  # no setup's own
    collapsed = replace(candidate("d-flat", BASELINE, COLLAPSED), setup="model=mlp", baseline="mlp")
    mixed = rank(Pool("src", "tgt", (*two_recommendations().candidates, collapsed)))
    assert [(p.setup, p.choice) for p in mixed.parts] == [
        ("model=cnn", "run c-good"),
        ("model=lenet_bn", "run a-weak"),
        ("model=mlp", "keep the source-only model"),
    ]
    said = blind_spot(mixed)  # mlp keeps its source-only model: the shared sentence is not every setup's
    # EnsV's ensemble (BASELINE, a-weak's source-only model, GOOD, a-weak's adapted model; d-flat's
    # collapsed one left out) is outvoted, but each setup ranks one run: no small-pool caveat
    assert mixed.ensemble == (2, 2) and SMALL_POOL not in said
    assert said.count(shared) == 2 and said.startswith(f"model=cnn: {shared}")
    assert ranking_rows(mixed, {})[0]["setup"] == "model=cnn"
