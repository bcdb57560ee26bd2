"""Pools of several setups (tlcore.selection.setups): QA helper-132, a sweep over lenet_bn and cnn
recommended one configuration per network while ``runs rank`` and Compare pooled both networks, kept
the other network's source-only model and marked the sweep's pick "passes; below another config's
source-only model". Now each setup is ranked and recommended on its own, as the sweep does."""

from __future__ import annotations

from dataclasses import replace

from tests.selection.test_mixed_baselines import right_on, strong_run, weak_run
from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.runs.candidates import setup_label
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import preselect, rank
from tlcore.selection.setups import SETUPS_REASON
from tlcore.views.ranking import blind_spot, column_order, ranking_rows, recommendation


def two_networks() -> Pool:
    """A lenet_bn run that passes against its own source-only model (EnsV 20/30, below the efficientnet
    source-only model's 25/30) and an efficientnet run flagged against its own."""
    weak = replace(weak_run(right_on(15, 0.8, 2)), setup="model=lenet_bn")
    return Pool("src", "tgt", (weak, replace(strong_run(), setup="model=efficientnet_lite0")))


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
    assert ranking.parts[1].reason.startswith("highest EnsV (0.667) among the 1 of 1 runs that kept")
    assert "mixes" not in ranking.parts[1].reason  # one config within lenet_bn
    rows = ranking_rows(ranking, {})
    assert [(r["setup"], r["run"], r["status"]) for r in rows] == [
        ("model=efficientnet_lite0", "b-strong", "alarm"),
        ("model=lenet_bn", "a-weak", "recommended"),
    ]
    assert column_order(ranking, rows)[:4] == ["rank", "setup", "run", "status"]  # Compare's table
    said = recommendation(ranking, {})
    assert said.startswith(f"One recommendation per setup: {SETUPS_REASON}. model=efficientnet_lite0: Keep ")
    assert " model=lenet_bn: Recommended: a-weak, the highest EnsV (0.667)" in said
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
    assert [e["run_id"] for e in payload["entries"]] == ["b-strong", "a-weak"]
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert "\nrecommended per setup: this pool holds runs of several setups" in out
    assert "\n  model=efficientnet_lite0: keep the source-only model\n    because: the one run did not" in out
    assert "\n  model=lenet_bn: run a-weak\n    because: highest EnsV (0.667)" in out
    assert "\n    model=lenet_bn:\n 2  a-weak " in out


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
