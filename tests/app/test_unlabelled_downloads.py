"""What a user whose target has no labels takes home from Compare (audit helper-275): the metrics CSV
holds the label-free ranking that decides which run to keep (it held nine empty accuracy columns and
nothing else to choose by), the HTML report says why it has no accuracy chart, and ``runs rank
--scores`` says MixVal's 1, 2, 3 are ranks among the pair's runs, not places."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from tests.app.test_compare_tables import recipe_result
from tests.selection.helpers import BASELINE, COLLAPSED, GOOD, candidate, pair_pool, probabilities
from tlcore.cli.rank import print_ranking
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.ranking import rank
from tlcore.views import compare

LABELS = {"good": "deep_coral · 111111", "bad": "dann · 222222", "base": "source_only · 333333"}


def unlabelled_ranking():
    """A good, a collapsed and a source-only run of one unlabelled pair, ranked by EnsV."""
    pool = pair_pool(
        candidate("good", BASELINE, GOOD, ice=(0.9, 0.8)),
        candidate("bad", BASELINE, COLLAPSED, ice=(0.95, 0.7)),
        candidate("base", BASELINE, BASELINE, method="source_only", ice=(0.5, 0.6)),
    )
    return rank(pool, SelectionSettings())


def test_the_metrics_csv_of_an_unlabelled_target_holds_the_ranking_that_decides() -> None:
    ranked = unlabelled_ranking()
    results = {label: recipe_result() for label in LABELS.values()}
    rows = {
        row["run"]: row for row in csv.DictReader(io.StringIO(compare.metrics_csv(results, ranked, LABELS)))
    }
    good, bad = rows[LABELS["good"]], rows[LABELS["bad"]]
    assert good["target_accuracy"] == ""  # still unknown, still there: the CSV's columns stay
    assert (good["rank"], good["status"], good["alarm_reasons"]) == ("1", "recommended", "")
    assert bad["status"] == "alarm" and "collapsed" in bad["alarm_reasons"]
    entries = {e.run_id: e for e in ranked.entries}
    assert float(good["ensv"]) == pytest.approx(entries["good"].scores["ensv"])
    assert float(bad["effective_classes"]) == pytest.approx(1.0, abs=0.05)  # one class for everything
    assert float(good["effective_classes"]) == pytest.approx(3.0, abs=0.05)
    assert float(good["mixval"]) == 2.5 and float(bad["mixval"]) == 2.5  # ranks: (2 + 3) / 2, (3 + 2) / 2
    header = next(csv.reader(io.StringIO(compare.metrics_csv(results, ranked, LABELS))))
    assert header.count("source_accuracy") == 1  # the summary's, once
    assert header[27:30] == ["rank", "status", "alarm_reasons"]  # after the summary, ranking order
    # without a ranking (or for a run it left out), the CSV is the summary alone / the cells are empty
    assert "rank" not in next(csv.DictReader(io.StringIO(compare.metrics_csv(results))))
    extra = results | {"other · 444444": recipe_result()}
    rows = list(csv.DictReader(io.StringIO(compare.metrics_csv(extra, ranked, LABELS))))
    assert rows[-1]["rank"] == "" and rows[-1]["ensv"] == ""


def test_the_report_of_an_unlabelled_target_says_why_it_has_no_accuracy_chart() -> None:
    report = compare.comparison_report({"recipe": recipe_result()})
    section = report.split("<h2>Target accuracy</h2>", 1)[1].split("</section>", 1)[0]
    assert compare.UNLABELLED_ACCURACY in section
    labelled = recipe_result() | {"target_accuracy": 0.83, "source_only_accuracy": 0.81}
    assert compare.UNLABELLED_ACCURACY not in compare.comparison_report({"recipe": labelled})


def test_runs_rank_scores_say_mixval_is_a_rank_among_the_runs(capsys: pytest.CaptureFixture[str]) -> None:
    y = np.arange(30) % 3
    pool = pair_pool(
        *(
            candidate(f"r{i}", BASELINE, probabilities(y, 0.7 + i / 10), ice=(i / 10, i / 10))
            for i in range(3)
        )
    )
    print_ranking(rank(pool, SelectionSettings()), scores=True)
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "MixVal (mixup validation): how often target mixes keep their larger part's class, as a mean rank"
        in out
    )
    assert "among the pair's runs (1: the lowest" in out
