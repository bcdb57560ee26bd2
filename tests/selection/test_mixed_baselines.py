"""Pools whose runs stand on source-only models of different configs (tlcore.selection.baselines):
the helper-103 case, a lenet_bn run recommended over an efficientnet_lite0 run flagged against its much
stronger baseline, and the pools of one config (seeds included) that must rank as before. The
candidates here carry no setup (:mod:`tlcore.selection.setups`), so their configs are compared as
within one setup; a pool of the store's runs of two networks is ranked once per network
(tests/selection/test_ranking_setups.py)."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import numpy as np

from tests.selection.helpers import Y, candidate, pair_pool, probabilities
from tlcore.adapt.cache import baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.runs.candidates import baseline_label, kept_command, kept_config
from tlcore.runs.store import RunStore
from tlcore.selection.ensemble import ensemble_labels
from tlcore.selection.pool import Pool
from tlcore.selection.preselect import preselect
from tlcore.selection.ranking import rank
from tlcore.views.glossary import OUTRANKED_STATUS, STATUSES, column_help, status_line
from tlcore.views.ranking import ranking_rows, recommendation, report_sections
from tlcore.views.report import render_report
from tlcore.workspace import Workspace


def right_on(n: int, confidence: float, shift: int = 1) -> np.ndarray:
    """Probabilities right on the first ``n`` of the 30 target samples, the rest ``shift`` classes off."""
    return probabilities(np.where(np.arange(30) < n, Y, (Y + shift) % 3), confidence)


def strong_run(run_id: str = "b-strong"):
    """An efficientnet run whose source accuracy fell 6 points: flagged against its baseline (27 of 30)."""
    run = candidate(run_id, right_on(27, 0.9), right_on(22, 0.7), source_before=0.79, source_after=0.73)
    return replace(run, baseline="efficientnet_lite0, image_size 64, epochs 1")


def weak_run(after: np.ndarray, run_id: str = "a-weak", baseline: str = "lenet_bn, epochs 4"):
    """A run on a weak baseline (right on 8 of 30) that passes against it."""
    return replace(candidate(run_id, right_on(8, 0.5, 2), after), baseline=baseline)


def outvoting(pool: Pool, *, setup: str = "", baseline: str | None = None) -> Pool:
    """``pool`` (two configs' runs: EnsV's ensemble of 2 source-only models and 2 adapted ones is
    outvoted, :func:`tlcore.selection.pool.outvoted`) and run c-forgot, whose adapted model makes the
    ensemble's adapted models the more: on b-strong's source-only model (its config ``baseline``, in
    ``setup``), it predicts the ensemble's own labels (adding most to the class that already leads each
    sample, it leaves every label, so every EnsV, as it was) and lost 29 points of source accuracy (an
    alarm: it is never recommended)."""
    labels = ensemble_labels(pool.members())
    forgot = candidate(
        "c-forgot", right_on(27, 0.9), probabilities(labels, 0.6), source_before=0.79, source_after=0.5
    )
    forgot = replace(forgot, baseline=baseline or strong_run().baseline, setup=setup)
    return replace(pool, candidates=(*pool.candidates, forgot))


def test_a_run_flagged_against_a_strong_baseline_gives_way_to_that_baseline_not_to_a_weaker_run():
    ranking = rank(outvoting(pair_pool(weak_run(right_on(15, 0.8, 2)), strong_run())))
    assert ranking.ensemble == (2, 3) and ranking.asked is None  # not outvoted: ranked by EnsV
    by_id = {e.run_id: e for e in ranking.entries}
    assert by_id["a-weak"].passed and not by_id["b-strong"].passed  # each judged against its own
    assert by_id["a-weak"].scores["ensv"] == 20 / 30  # below the efficientnet baseline's 25 / 30
    assert by_id["a-weak"].outranked_by == "efficientnet_lite0, image_size 64, epochs 1"
    assert ranking.recommended is None and ranking.kept == "b-strong"  # the old rule: "a-weak"
    assert ranking.choice == "keep the source-only model of run b-strong"
    assert ranking.mixed
    assert [(b.label, b.run_ids, round(b.ensv, 3)) for b in ranking.baselines] == [
        ("efficientnet_lite0, image_size 64, epochs 1", ("b-strong", "c-forgot"), 0.833),
        ("lenet_bn, epochs 4", ("a-weak",), 0.433),
    ]
    assert ranking.reason.startswith(
        "this pool mixes 2 source-only models: efficientnet_lite0, image_size 64, epochs 1 (EnsV 0.833; "
        "runs b-strong, c-forgot) and lenet_bn, epochs 4 (EnsV 0.433; run a-weak)"
    )
    assert "adapt with run b-strong's settings and --method source_only" in ranking.reason
    payload = ranking_json(ranking)  # runs rank --json
    assert payload["kept"] == "b-strong" and payload["mixed_baselines"] is True
    assert [b["run_ids"] for b in payload["baselines"]] == [["b-strong", "c-forgot"], ["a-weak"]]
    assert recommendation(ranking, {}).startswith(  # Compare's box and the report
        "Keep the source-only model of run b-strong: this pool mixes 2 source-only models"
    )


def test_a_weaker_configs_run_that_reaches_every_source_only_model_is_recommended():
    ranking = rank(outvoting(pair_pool(weak_run(right_on(27, 0.95)), strong_run())))  # as right as it
    assert ranking.recommended == "a-weak" and ranking.kept is None
    assert ranking.entries[0].outranked_by is None
    assert ranking.reason.endswith(
        "; this pool mixes 2 source-only models: efficientnet_lite0, image_size 64, epochs 1 (EnsV 1.000; "
        "runs b-strong, c-forgot) and lenet_bn, epochs 4 (EnsV 0.267; run a-weak)"
    )
    assert "runs that passed the guardrails (kept at least 80%" in ranking.reason
    assert "and whose EnsV reaches every other config's source-only model's; this pool" in ranking.reason


def test_the_reason_counts_the_runs_that_pass_and_reach_every_baseline_and_the_table_says_who_does_not(
    capsys,
):
    """QA helper-126 (the 62-run pair): the reason said "among the 3 of 62 runs that kept at least 80%
    ..." while 21 passed the guardrails, and the 18 others read "passes" like the 3. The count says what
    it counts, and a passing run below another config's source-only model says so in its status (Compare)
    and its ALARM column (``runs rank``)."""
    ranking = rank(
        pair_pool(weak_run(right_on(27, 0.95)), weak_run(right_on(15, 0.8, 2), "a-weak2"), strong_run())
    )
    assert [(e.run_id, e.passed, e.outranked_by is not None) for e in ranking.entries] == [
        ("a-weak", True, False),
        ("a-weak2", True, True),
        ("b-strong", False, False),
    ]
    assert ranking.reason.startswith(
        "the highest EnsV (1) among the 1 of 3 runs that passed the guardrails (kept at least 80% of their "
        "source-only model's effective classes, source accuracy within 3 points of it and ensemble agreement "
        "not below it) and whose EnsV reaches every other config's source-only model's (1 more passed them "
        "but stays below one); this pool mixes 2 source-only models"
    )
    assert [row["status"] for row in ranking_rows(ranking, {})] == [
        "recommended",
        "outranked",  # a word: the sentence pushed Compare's table past 1280 px (the column's help says it)
        "alarm",
    ]
    print_ranking(ranking)
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line[:2] in (" 1", " 2", " 3")]
    assert [line.split("  ")[-1].strip() for line in rows] == ["no", "no; outranked", "yes"]  # a word
    legend = " ".join(out.split("\n  ALARM (the negative-transfer alarm): ")[1].split())  # which says why
    assert legend.startswith(f"raised (yes) or not (no); {status_line(OUTRANKED_STATUS)}")


def test_the_reports_outranked_status_says_what_it_means_in_comparess_words():
    """The HTML report's status cell read "outranked" with nothing to say why (Compare's column help
    does): each status cell says its sentence on hover, and an "outranked" one is said under the table
    too, in the sentence of Compare's status help; a ranking without one has no such line."""
    ranking = rank(
        pair_pool(weak_run(right_on(27, 0.95)), weak_run(right_on(15, 0.8, 2), "a-weak2"), strong_run())
    )
    said = (
        '"outranked": it passed the guardrails, but its EnsV is below another config\'s source-only '
        "model's, so it is not recommended."
    )
    assert said in column_help("status")  # Compare's status column help
    page = render_report("r", "", report_sections(ranking, {}))
    table = next(t for t in re.findall(r"<table>.*?</table>", page) if "<th>status</th>" in t)
    statuses = re.findall(r"<td title='([^']*)'>(\w+)</td>", table)
    assert [(html.unescape(title), cell) for title, cell in statuses] == [
        (f'"recommended": {STATUSES["recommended"]}.', "recommended"),
        (said, "outranked"),
        ('"alarm": negative transfer suspected.', "alarm"),
    ]
    assert f'</table></div><p class="note">{html.escape(said)}</p>' in page  # the line under the table
    alone = render_report("r", "", report_sections(rank(pair_pool(weak_run(right_on(27, 0.95)))), {}))
    assert "<td title='&quot;recommended&quot;" in alone and "outranked" not in alone


def test_a_config_of_many_runs_names_its_strongest_and_counts_the_rest():
    """QA helper-121: on the 62-run pair Compare's box listed every run id of each config (about 60);
    past three runs a config names the run of its strongest source-only model and counts them all."""
    weak = [weak_run(right_on(8 + i, 0.8, 2), f"a-weak{i}") for i in range(5)]
    ranking = rank(pair_pool(*weak, strong_run()))
    lenet = next(b for b in ranking.baselines if b.label == "lenet_bn, epochs 4")
    assert len(lenet.run_ids) == 5
    assert f"lenet_bn, epochs 4 (EnsV {lenet.ensv:.3f} at run {lenet.run_id}; 5 runs)" in ranking.reason
    strong = next(b for b in ranking.baselines if b.label != lenet.label)
    assert f"(EnsV {strong.ensv:.3f}; run b-strong)" in ranking.reason  # one run: its id, as before
    assert "a-weak0, a-weak1" not in ranking.reason
    listed = {b["label"]: b["run_ids"] for b in ranking_json(ranking)["baselines"]}
    assert listed[lenet.label] == [f"a-weak{i}" for i in range(5)]  # runs rank --json: every id


def test_seeds_of_one_config_rank_as_one_config_did():
    """Another seed's stronger source-only model does not bar a run of the same config (the selection
    benchmark's pools: one config, several seeds): the run that passes is recommended, as before."""
    seed1 = replace(strong_run("b-seed1"), baseline="lenet_bn, epochs 4")
    ranking = rank(pair_pool(weak_run(right_on(15, 0.8, 2), "a-seed0"), seed1))
    assert not ranking.mixed and ranking.kept is None
    assert ranking.recommended == "a-seed0"
    assert ranking.entries[0].scores["ensv"] < ranking.entries[1].scores_before["ensv"]
    assert "mixes" not in ranking.reason


def test_the_label_of_a_config_is_its_backbone_and_the_baseline_fields_off_their_defaults():
    efficientnet = {"model": "efficientnet_lite0", "image_size": 64, "epochs": 1, "seed": 3}
    efficientnet["methods"] = ["dann"]
    assert baseline_label(efficientnet, {}) == "efficientnet_lite0, image_size 64, epochs 1"
    recipe = {"model": "auto", "epochs": 4, "adapt_epochs": 10, "warm_start": True, "ema_decay": 0.99}
    assert baseline_label(recipe, {"info": {"model": {"name": "lenet_bn"}}}) == "lenet_bn, epochs 4"


def test_the_kept_model_is_made_a_run_by_one_command(tmp_path):
    """A mixed pool's kept source-only model has no run to label data with (QA: Predict then offered the
    flagged run): the command is ``adapt`` of that run's config as a source_only run, its baseline
    cached; None when nothing is kept."""
    store = RunStore(Workspace.resolve(tmp_path / "ws"))
    config = AdaptConfig("mnist5k", "digits", methods=("dann",), model="efficientnet_lite0", image_size=64)
    run_id = store.create(replace(config, epochs=1, seed=3))
    ranking = rank(outvoting(pair_pool(weak_run(right_on(15, 0.8, 2)), strong_run(run_id))))
    assert ranking.kept == run_id
    assert kept_command(store, ranking) == (
        "python -m tlcore adapt --source mnist5k --target digits --method source_only --model "
        "efficientnet_lite0 --image-size 64 --epochs 1 --seed 3"
    )
    assert kept_command(store, replace(ranking, kept=None)) is None


def test_until_the_kept_model_is_a_run_its_owner_is_preselected_and_launches_as_its_baseline(tmp_path):
    """QA (helper-109): with no run recommended Predict preselected the newest run, a collapsed one at
    28%; the run whose source-only model is kept comes first, and that model's run config is the run's
    own as source_only: the same cached baseline, nothing trains."""
    store = RunStore(Workspace.resolve(tmp_path / "ws"))
    config = AdaptConfig("mnist5k", "digits", methods=("dann",), model="efficientnet_lite0", image_size=64)
    run_id = store.create(replace(config, epochs=1, seed=3, params={"dann": {"weight": 0.5}}))
    ranking = rank(outvoting(pair_pool(weak_run(right_on(15, 0.8, 2)), strong_run(run_id))))
    assert preselect(["a-weak", run_id], ranking) == run_id  # the newest is a-weak (c-forgot: no run)
    assert preselect(["a-weak"], ranking) == "a-weak" and preselect([], ranking) is None
    kept = kept_config(store, ranking)
    original = AdaptConfig.from_dict(store.get(run_id).config)
    assert kept.methods == ("source_only",) and kept.params == {}
    assert baseline_key(kept, "cpu", None) == baseline_key(original, "cpu", None)
    assert kept_config(store, replace(ranking, kept=None)) is None


def test_a_run_stored_before_the_network_was_recorded_is_not_called_auto():
    """``info.model`` came later: an old run of ``auto`` built a network nobody recorded (QA helper-121:
    ``runs rank`` listed it as ``auto, epochs 2`` beside ``lenet_bn, epochs 4``, as if auto were one)."""
    old = {"model": "auto", "epochs": 2}
    assert baseline_label(old, {"info": {}}) == "network not recorded, epochs 2"
    assert baseline_label({"epochs": 2}, {}) == "network not recorded, epochs 2"  # before the field, too
    assert baseline_label({"model": "resnet18", "epochs": 2}, {}) == "resnet18, epochs 2"  # asked by name
