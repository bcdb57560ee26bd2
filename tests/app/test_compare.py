"""Comparison tables, figures and report from stored run results, and selection helpers (synthetic data)."""

from __future__ import annotations

import csv
import html
import io
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tlcore.adapt.config import AdaptConfig
from tlcore.data import Domain
from tlcore.runs.store import RunStore
from tlcore.selection.alarm import Alarm, SelectionSettings
from tlcore.selection.ranking import RankedRun, Ranking
from tlcore.views import chart_text, compare, explore, figures, gaps, run_tables
from tlcore.views import curves as curve_views
from tlcore.views.ranking import rank_command
from tlcore.views.ranking_caveats import blind_spot
from tlcore.workspace import Workspace

EVIL = "<script>alert(1)</script>"


def result(target: float, source_only: float, classes: tuple[str, ...] = ("0", "1", "2")) -> dict[str, Any]:
    """A run result shaped like ``AdaptResult.to_dict()`` with a UMAP of four points."""
    umap = {
        "x": [0.0, 1.0, 2.0, 3.0],
        "y": [0.0, 1.0, 0.0, 1.0],
        "domain": ["source", "source", "target", "target"],
        "label": [0, 1, 0, None],
        "prediction": [0, 1, 1, 0],
        "classes": list(classes),
    }
    return {
        "config": {"methods": ["dann"], "source": "mnist5k", "target": "digits", "epochs": 1},
        "target_accuracy": target,
        "source_only_accuracy": source_only,
        "source_accuracy": 0.9,
        "per_class_accuracy": {"0": 0.5, "1": 1.0, "2": None},
        "confusion": [[1, 1, 0], [0, 2, 0], [0, 0, 0]],
        "gap_before": {"mmd2": 0.3, "coral": 1.0, "a_distance": 1.9},
        "gap_after": {"mmd2": 0.1, "coral": 0.5, "a_distance": 1.2},
        "umap_before": umap,
        "umap_after": umap,
        "history": [
            {"stage": "baseline", "epoch": 1.0, "loss": 1.0},
            {"stage": "adapt", "epoch": 1.0, "loss": 0.8},
        ],
        "seconds": 3.0,
    }


@pytest.fixture
def results() -> dict[str, dict[str, Any]]:
    return {"good": result(0.8, 0.6), EVIL: result(0.5, 0.6)}


def test_negative_transfer_and_accuracies(results: dict[str, dict[str, Any]]) -> None:
    assert compare.negative_transfer(results) == [EVIL]
    # 1 sample of 5,000 (0.02 points) is what the accuracy chart calls unchanged: no negative transfer
    assert compare.negative_transfer({"same": result(0.7198, 0.72)}) == []
    adapted, baseline = compare.accuracies(results)
    assert adapted == {"good": 0.8, EVIL: 0.5} and baseline == {"good": 0.6, EVIL: 0.6}
    assert compare.accuracy_change({"target_accuracy": None, "source_only_accuracy": 0.5}) is None


def test_metrics_csv_has_one_row_per_run(results: dict[str, dict[str, Any]]) -> None:
    rows = list(csv.DictReader(io.StringIO(compare.metrics_csv(results))))
    assert [r["run"] for r in rows] == ["good", EVIL]
    assert float(rows[0]["difference"]) == pytest.approx(0.2)
    assert float(rows[1]["mmd2_after"]) == pytest.approx(0.1)


def test_curve_rows_number_epochs_through_both_stages(results: dict[str, dict[str, Any]]) -> None:
    rows = run_tables.curve_rows(results["good"]["history"])
    assert [(r["epoch"], r["stage"]) for r in rows] == [(1.0, "baseline"), (2.0, "adapt")]
    events = [{"kind": "epoch", "stage": "adapt", "metrics": {"epoch": 1, "loss": 0.5}}]
    assert run_tables.curve_rows(events) == [{"loss": 0.5, "epoch": 1.0, "stage": "adapt"}]


def test_figures_leave_out_classes_without_target_samples(results: dict[str, dict[str, Any]]) -> None:
    per_class = compare.per_class_figure(results)
    assert per_class is not None and list(per_class.data[0].x) == ["0", "1"]
    confusion = compare.confusion_figure("good", results["good"])
    assert confusion is not None and list(confusion.data[0].y) == ["0", "1"]
    assert list(confusion.data[0].x) == ["0", "1", "2"]


def test_umap_before_and_after_share_colours(results: dict[str, dict[str, Any]]) -> None:
    before, after = compare.umap_figures(results["good"], "label")
    colours = {t.name: t.marker.color for t in before.data}
    assert colours == {t.name: t.marker.color for t in after.data}
    assert "unlabelled" in colours


def test_report_flags_negative_transfer_and_escapes(results: dict[str, dict[str, Any]]) -> None:
    text = compare.comparison_report(results, title=EVIL)
    assert "<script>alert(1)" not in text
    assert "Negative transfer: &lt;script&gt;alert(1)&lt;/scr…" in text  # cut as the ranking table cuts
    assert (
        text.count('class="plotly-graph-div"') >= 6
    )  # accuracy, gap, 2 x (UMAP before/after, confusion), per class


def test_report_says_what_the_checks_cannot_see_beside_an_unlabelled_recommendation(
    results: dict[str, dict[str, Any]],
) -> None:
    entry = RankedRun("r1", "dann", 0.9, {"ensv": 0.9}, {"ensv": 0.5}, Alarm("r1", ()))
    ranked = Ranking("mnist5k", "digits", SelectionSettings(), (entry,), "r1", "the highest EnsV")
    text = compare.comparison_report(results, ranked=ranked, labels={"r1": "dann run"})
    assert "Recommended: dann run, the highest EnsV." in text
    assert html.escape(blind_spot(ranked)) in text
    labelled = replace(ranked, entries=(replace(entry, alarm=Alarm("r1", (), 0.8, 0.7)),))
    assert "goes wrong the same way" not in compare.comparison_report(results, ranked=labelled)


def test_the_rank_command_names_the_ranked_pair_and_validator_quoted() -> None:
    ranked = Ranking("/data/my scans.npz", "digits:n=120", SelectionSettings(validator="im"), (), None, "")
    assert rank_command(ranked) == (
        "python -m tlcore runs rank --source '/data/my scans.npz' --target digits:n=120 --validator im"
    )
    assert rank_command(ranked, "a1b2c3").endswith(" --validator im --run a1b2c3")


def test_selection_images_show_both_domains() -> None:
    points = pd.DataFrame(
        {"domain": ["source"] * 40 + ["target"] * 3, "sample": [*range(40), 0, 1, 2], "label": "0"}
    )
    source = Domain("s", torch.zeros(40, 1, 4, 4), None, ("0",))
    target = Domain("t", torch.ones(3, 1, 4, 4), None, ("0",))
    images, captions = explore.selection_images(points, source, target, limit=10)
    assert len(images) == 10 and captions[:3] == ["T 0", "T 0", "T 0"] and captions[3] == "S 0"
    assert explore.domain_share(points) == pytest.approx({"source": 40 / 43, "target": 3 / 43})


def test_gap_figure_shows_each_run_against_its_own_before(results: dict[str, dict[str, Any]]) -> None:
    """Runs of different pairs or seeds stored different gaps before adapting: each run's after bar
    stands beside its own before bar, never beside the first run's."""
    other = result(0.7, 0.6)
    other["gap_before"] = {"mmd2": 0.9, "coral": 4.0, "a_distance": 1.5}
    other["gap_after"] = {"mmd2": 0.2, "coral": 2.0, "a_distance": 1.0}
    fig = gaps.gap_figure({"good": results["good"], "other": other})
    panels: dict[str, dict[str, dict[str, float]]] = {}
    for trace in fig.data:
        for run, value in zip(trace.x, trace.y, strict=True):
            panels.setdefault(trace.xaxis, {}).setdefault(run, {})[trace.offsetgroup] = value
    assert panels["x"] == {"good": {"before": 0.3, "after": 0.1}, "other": {"before": 0.9, "after": 0.2}}
    assert panels["x2"]["other"] == {"before": 4.0, "after": 2.0}
    assert panels["x3"]["good"] == {"before": 1.9, "after": 1.2}


def test_gap_measures_that_move_different_ways_get_a_reading(results: dict[str, dict[str, Any]]) -> None:
    """QA: MMD² fell 0.236 -> 0.041 while CORAL and the proxy A-distance rose, and nothing said which
    to trust. All three falling needs no reading; a split says which moved how, and why they can."""
    assert gaps.gap_disagreement(results) is None
    split = result(0.85, 0.44)
    split["gap_before"] = {"mmd2": 0.236, "coral": 0.0038, "a_distance": 1.725}
    split["gap_after"] = {"mmd2": 0.041, "coral": 0.0079, "a_distance": 1.834}
    text = gaps.gap_disagreement({"good": results["good"], "recipe": split})
    assert text is not None
    assert "for recipe, MMD² fell while CORAL and proxy A-distance rose." in text and "good" not in text
    assert "None of them is target accuracy" in text
    report = compare.comparison_report({"recipe": split})
    assert html.escape("for recipe, MMD² fell while CORAL and proxy A-distance rose") in report


def test_gap_figure_panels_leave_room_for_their_tick_labels(results: dict[str, dict[str, Any]]) -> None:
    """Each panel's y tick labels sit left of its bars: the space between panels holds them."""
    fig = gaps.gap_figure(results)
    first, second = fig.layout.xaxis.domain, fig.layout.xaxis2.domain
    assert second[0] - first[1] >= 0.1


def test_gap_figure_ticks_of_tiny_gaps_are_short() -> None:
    """A CORAL gap of 3.6e-6 had the tick labels "0.000003" (tickformat ".2~g"), wider than the space
    between panels: with no tickformat, plotly writes ticks beyond 1e-3 with an exponent ("3e-6")."""
    tiny = result(0.7, 0.6)
    tiny["gap_before"] = {"mmd2": 0.204, "coral": 1.8e-6, "a_distance": 2.0}
    tiny["gap_after"] = {"mmd2": 0.206, "coral": 3.62e-6, "a_distance": 1.87}
    fig = gaps.gap_figure({"tiny": tiny})
    axes = [fig.layout[name] for name in ("yaxis", "yaxis2", "yaxis3")]
    assert all(axis.tickformat is None and axis.exponentformat == "e" for axis in axes)


def test_the_box_the_chart_and_the_alarm_agree_on_whether_the_target_accuracy_fell() -> None:
    """Before, the Compare box and the chart called a change under 0.05 points unchanged while the
    alarm called any drop a fall: one sample of 10,000 was "missed: ... fell 0.0 points" in the
    ranking, unchanged in the box; one sample of 2,000 in float32 (0.049996 points) was the
    reverse, grey and "unchanged" on the chart. Now one rule: a change that shows at 0.1 points."""
    tiny = (0.699999988079071, 0.6998999714851379)  # 6,999 against 7,000 right of 10,000 (float32)
    one = (0.699999988079071, 0.6995000243186951)  # 1,399 against 1,400 of 2,000: -0.049996 points
    results = {"tiny": result(tiny[1], tiny[0]), "one": result(one[1], one[0])}
    assert compare.negative_transfer(results) == ["one"]
    chart = figures.accuracy_vs_baseline(*compare.accuracies(results))
    assert list(chart.data[1].marker.color) == [figures.NEUTRAL, figures.BAD]
    assert list(next(t for t in chart.data if isinstance(t, go.Scatter)).text) == ["unchanged", "-0.1 pts"]
    unchanged, fell = (Alarm(run, (), after, before) for run, (before, after) in (("t", tiny), ("o", one)))
    assert unchanged.truly_negative is False and fell.truly_negative is True
    assert unchanged.verdict() == "right: target accuracy unchanged against source-only"
    assert fell.verdict() == (
        "missed: target accuracy fell 0.1 points against source-only "
        "(paired test not stored by this older run)"
    )


def test_compare_marks_the_accuracies_of_an_unlabelled_target_as_unknown_not_none(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    """A run whose target has no labels stored None accuracies: the numbers table showed Streamlit's
    "None" in them. Now the table shows "—" there, and the columns' help says what it means."""
    store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source="mnist5k:n=200", target="digits:n=200", methods=("dann",), epochs=1)
    unlabelled = result(0.0, 0.0) | {
        "target_accuracy": None,
        "source_only_accuracy": None,
        "per_class_accuracy": {},
        "confusion": None,
        "config": config.to_dict(),
    }
    run_id = store.create(config)
    assert store.start(run_id, os.getpid()) and store.finish(run_id, unlabelled)
    at = app("compare")
    assert not at.exception, [e.message for e in at.exception]
    table = next(d for d in at.dataframe if "target_accuracy" in d.value.columns)
    assert table.value[["target_accuracy", "source_only_accuracy", "difference"]].isna().all().all()
    assert table.proto.placeholder == "—"
    columns = json.loads(table.proto.columns)
    assert columns["target_accuracy"]["help"] == (
        "adapted model; on the target's held-out test split; — when the run's target has no labels"
    )
    assert table.value["mmd2_before"].tolist() == [0.3]  # the measured numbers stay numbers
    percent = ("target_accuracy", "source_only_accuracy", "difference", "source_accuracy")
    # one decimal in every row of a percent column (QA: Streamlit's own wrote 28.8% above 21.37%)
    assert {columns[c]["type_config"]["step"] for c in percent} == {0.001}


def test_compare_shows_the_count_and_interval_behind_an_accuracy_on_a_tiny_test_split() -> None:
    """A target test split of 8: Compare said "+12.5 pts" and "87.5%" as if exact. Now the chart's
    label and hover, the numbers table and a caption give the counts and the 95% interval, and the
    gap chart says the gaps were measured on the run's held-out splits (source validation, target test)."""
    tiny = {**result(0.875, 0.75), "info": {"n_target_test": 8}}
    tiny["gap_before"] = {**tiny["gap_before"], "n_source": 200, "n_target": 8}
    chart = compare.accuracy_figure({"tiny": tiny})
    assert list(next(t for t in chart.data if isinstance(t, go.Scatter)).text) == ["+12.5 pts<br>7 vs 6 of 8"]
    assert chart.data[1].customdata[0][0] == "87.5% (7 of 8, 95% CI 52.9 to 97.8%)"
    assert list(chart.data[0].customdata) == ["75.0% (6 of 8, 95% CI 40.9 to 92.9%)"]
    row = compare.summary_rows({"tiny": tiny})[0]
    assert (row["target_correct"], row["source_only_correct"]) == ("7 of 8", "6 of 8")
    assert row["target_accuracy_95ci"] == "52.9 to 97.8%"
    note = compare.small_test_note({"tiny": tiny})
    assert note is not None and note.startswith(
        "The target test split holds 8 samples: one sample moves accuracy by 12.5 points"
    )
    assert compare.small_test_note({"big": {**tiny, "info": {"n_target_test": 359}}}) is None
    gap = gaps.gap_figure({"tiny": tiny})
    subtitle = gap.layout.title.subtitle.text.replace("<br>", " ")
    assert subtitle == (
        "in the models' features, on the run's held-out splits: 200 source validation, 8 target test samples"
    )


def test_compare_charts_fit_a_narrow_column(results: dict[str, dict[str, Any]]) -> None:
    """QA helper-70, four runs at 1000 px with the sidebar open: the accuracy labels ("+6.7 pts 307 vs
    283 of 359") ran into each other, the gap chart's title was cut ("Domain gap in the model's
    features: b…"), its panel titles "CORAL" and "proxy A-distance" overlapped. Now the labels say the
    change only (counts and p-values on hover), the titles wrap, the panel titles are short lines."""
    four = {f"run {i}": {**result(0.8 + i / 100, 0.78), "info": {"n_target_test": 359}} for i in range(4)}
    chart = compare.accuracy_figure(four)
    (labels,) = [t for t in chart.data if isinstance(t, go.Scatter)]
    assert list(labels.text) == ["+2.0 pts", "+3.0 pts", "+4.0 pts", "+5.0 pts"]
    assert labels.customdata[0] == "+2.0 pts<br>287 vs 280 of 359" and "customdata" in labels.hovertemplate
    two = compare.accuracy_figure(dict(list(four.items())[:2]))  # room for the counts
    assert next(t for t in two.data if isinstance(t, go.Scatter)).text[0] == "+2.0 pts<br>287 vs 280 of 359"
    gap = gaps.gap_figure(four)
    assert all(len(line) <= figures.TITLE_WRAP for line in gap.layout.title.text.split("<br>"))
    assert all(len(line) <= figures.SUBTITLE_WRAP for line in gap.layout.title.subtitle.text.split("<br>"))
    panels = [a.text.split("<br>") for a in gap.layout.annotations]
    assert panels == [["MMD²"], ["CORAL"], ["proxy", "A-distance"]]
    assert all(a.font.size == chart_text.PANEL_SIZE for a in gap.layout.annotations)
    curves = curve_views.learning_curves({"run": [{"epoch": 1, "loss": 1.0, "target_accuracy": 0.5}]}, "")
    assert [a.text for a in curves.layout.annotations[:2]] == ["Loss", "Target accuracy"]


def test_a_fall_within_chance_is_not_called_negative_transfer_without_saying_so() -> None:
    """On 30 test samples one sample more wrong reads 3.3 points lower: before, the box, the report's
    flag and the alarm called it negative transfer like a real loss. Now each carries the McNemar
    test of the run's two models on the same samples, and one within chance says so."""
    chance = result(19 / 30, 20 / 30) | {"paired": {"b": 1, "c": 0, "n": 30, "p_value": 1.0}}
    chance["info"] = {"n_target_test": 30}
    real = result(0.659, 0.7) | {"paired": {"b": 13, "c": 1, "n": 300, "p_value": 2 * 15 / 2**14}}
    older = result(0.5, 0.6)  # stored before runs kept the paired test
    results = {"chance": chance, "real": real, "older": older}
    assert compare.negative_transfer(results) == ["chance", "real", "older"]  # the rule is unchanged
    assert [compare.within_chance(r) for r in results.values()] == [True, False, False]
    assert compare.negative_transfer_line("chance", chance) == (
        "Within chance: chance is less accurate on the target than the source-only model, fell 3.3 points "
        "(1 more wrong of 30, 1 right to wrong and 0 wrong to right; McNemar p = 1.0: within chance); two "
        "equally good models differ this much by chance, so this is no evidence of negative transfer."
    )
    assert compare.negative_transfer_line("real", real) == (
        "Negative transfer: real is less accurate on the target than the source-only model, fell 4.1 points "
        "(12 more wrong of 300, 13 right to wrong and 1 wrong to right; McNemar p = 0.0018)."
    )
    assert compare.negative_transfer_line("older", older).endswith(
        "fell 10.0 points (paired test not stored by this older run)."
    )
    report = compare.comparison_report(results)
    assert "Within chance: chance is less accurate" in report and "Negative transfer: real is" in report
    rows = {row["run"]: row for row in compare.summary_rows(results)}
    assert [rows["chance"][k] for k in ("right_to_wrong", "wrong_to_right", "mcnemar_p")] == [1, 0, 1.0]
    assert rows["older"]["mcnemar_p"] is None
    table = pd.read_csv(io.StringIO(compare.metrics_csv(results)))
    assert table.set_index("run").loc["real", "mcnemar_p"] == pytest.approx(30 / 2**14)
    chart = compare.accuracy_figure(results)
    (labels,) = [t for t in chart.data if isinstance(t, go.Scatter)]
    assert list(labels.customdata) == [  # on hover: three runs side by side write the change only
        "-3.3 pts<br>19 vs 20 of 30<br>McNemar p = 1.0 (within chance)",
        "-4.1 pts<br>McNemar p = 0.0018",
        "-10.0 pts",
    ]
    assert list(labels.text) == ["-3.3 pts<br>within chance", "-4.1 pts", "-10.0 pts"]
    alarm = Alarm("r", (), 19 / 30, 20 / 30, run_tables.paired_change(chance))
    assert alarm.truly_negative and alarm.verdict() == (
        "missed: target accuracy fell 3.3 points against source-only (1 more wrong of 30, 1 right to wrong "
        "and 0 wrong to right; McNemar p = 1.0: within chance)"
    )


def test_the_compare_page_shows_a_fall_within_chance_as_a_caution_that_says_so(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    """The page's box called every fall "Negative transfer" in red; one within chance by the run's
    McNemar test is now a caution that says so, a real one stays an error."""
    store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source="mnist5k:n=200", target="digits:n=200", methods=("dann",), epochs=1)
    paired = {
        "chance": ((19 / 30, 20 / 30), {"b": 1, "c": 0, "n": 30, "p_value": 1.0}),
        "real": ((0.659, 0.7), {"b": 13, "c": 1, "n": 300, "p_value": 30 / 2**14}),
    }
    for (target, source_only), test in paired.values():
        run_id = store.create(config)
        stored = result(target, source_only) | {"paired": test, "config": config.to_dict()}
        assert store.start(run_id, os.getpid()) and store.finish(run_id, stored)
    at = app("compare")
    assert not at.exception, [e.message for e in at.exception]
    within = [w.value.replace("\\", "") for w in at.warning if "Within chance" in w.value]  # unescaped
    negative = [e.value.replace("\\", "") for e in at.error if "Negative transfer" in e.value]
    assert len(within) == 1 and "McNemar p = 1.0: within chance" in within[0]
    assert len(negative) == 1 and "McNemar p = 0.0018" in negative[0]
