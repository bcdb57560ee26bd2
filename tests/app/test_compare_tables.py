"""Compare's tables as QA read them on an unlabelled target: the report's missing accuracies, how long
each run trained by stage, and the ranking's effective classes beside ``runs rank``'s; on a labelled
one, whether each alarm was right in a cell's few words."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app_support import display
from tests.selection.helpers import candidate, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.cli.rank import print_ranking
from tlcore.metrics.mcnemar import PairedChange
from tlcore.runs.store import RunStore
from tlcore.selection.alarm import Alarm, Check, SelectionSettings
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.views import compare, run_names, run_tables
from tlcore.views.ranking import alarm_check, column_order, hindsight_order, ranking_rows, report_sections
from tlcore.views.report import UNKNOWN, render_report
from tlcore.workspace import Workspace


def recipe_result(*, cached: bool | None = True) -> dict[str, Any]:
    """QA's recipe run on an unlabelled target: 4 source-only epochs, then 10 adapting from them."""
    history = [{"stage": "baseline", "epoch": float(i)} for i in range(1, 5)]
    history += [{"stage": "adapt", "epoch": float(i)} for i in range(1, 11)]
    config = AdaptConfig("upload:s.zip", "upload:t.zip", ("deep_coral", "im"), epochs=4, adapt_epochs=10)
    return {
        "config": {**config.to_dict(), "warm_start": True},
        "target_accuracy": None,
        "source_only_accuracy": None,
        "source_accuracy": 0.887,
        "gap_before": {"mmd2": 0.235},
        "gap_after": {"mmd2": 0.0409},
        "history": history,
        "info": {} if cached is None else {"baseline_cached": cached},
        "seconds": 12.0,
    }


def runs_table(report: str) -> list[list[str]]:
    """The cells of the report's Runs table, row by row (header first)."""
    return table_rows(report.split("<h2>Runs</h2>", 1)[1])


def table_rows(text: str) -> list[list[str]]:
    """The cells of the first table in ``text``, row by row (header first)."""
    section = text.split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows]


def test_the_report_writes_an_unlabelled_targets_accuracies_as_unknown_not_none() -> None:
    """QA: the report's Runs table read ``None None None None None None`` where the page and the CSV
    leave the cell empty."""
    header, row = runs_table(compare.comparison_report({"recipe": recipe_result()}))
    cells = dict(zip(header, row, strict=True))
    assert "None" not in row
    unknown = ("target_accuracy", "target_correct", "source_only_accuracy", "difference", "mcnemar_p")
    assert [cells[key] for key in unknown] == [UNKNOWN] * 5
    assert cells["source_accuracy"] == "88.7%" and cells["mmd2_before"] == "0.235"  # numbers stay numbers
    csv_row = next(csv.DictReader(io.StringIO(compare.metrics_csv({"recipe": recipe_result()}))))
    assert csv_row["target_accuracy"] == ""  # the CSV leaves it empty, as before


def test_the_reports_accuracies_read_as_the_pages_percents() -> None:
    """QA: the report's Runs table wrote 0.8354 where Compare's table shows 83.5%; the columns the page
    shows as percents are the report's, with one decimal; the gap keeps its 4 significant digits."""
    labelled = recipe_result() | {"target_accuracy": 0.8354, "source_only_accuracy": 0.8101}
    header, row = runs_table(compare.comparison_report({"recipe": labelled}))
    cells = dict(zip(header, row, strict=True))
    shares = {key: cells[key] for key in compare.PERCENT_COLUMNS}
    assert shares == {
        "target_accuracy": "83.5%",
        "source_only_accuracy": "81.0%",
        "difference": "2.5%",
        "source_accuracy": "88.7%",
    }
    assert cells["mmd2_before"] == "0.235" and cells["mmd2_after"] == "0.0409"
    y = np.arange(30) % 5
    before = probabilities(y, 0.6, k=5)
    ranked = candidate(
        "good", before, probabilities(y, 0.9, k=5), target_accuracy=0.8354, source_only_accuracy=0.8
    )
    table = render_report("t", "s", report_sections(rank(Pool("s", "t", (ranked,)), SelectionSettings()), {}))
    header, row = table_rows(table)
    ranking_cells = dict(zip(header, row, strict=True))
    assert [ranking_cells[c] for c in ("target accuracy", "source-only accuracy")] == ["83.5%", "80.0%"]


def test_the_tables_show_how_long_each_stage_trained() -> None:
    """QA: ``epochs`` read 4 for a run that trained 4 source-only epochs and 10 adapting ones."""
    (row,) = compare.summary_rows({"recipe": recipe_result()})
    assert "epochs" not in row
    assert {k: row[k] for k in ("source_only_epochs", "adapt_epochs", "warm_start", "baseline_cached")} == {
        "source_only_epochs": 4,
        "adapt_epochs": 10,
        "warm_start": True,
        "baseline_cached": True,
    }
    header, cells = runs_table(compare.comparison_report({"recipe": recipe_result()}))
    assert dict(zip(header, cells, strict=True))["adapt_epochs"] == "10"
    assert run_tables.training_text(recipe_result()) == (
        "4 epochs source-only (reused from the cache), then 10 adapting from it"
    )
    older = recipe_result(cached=None)  # stored before runs recorded the cache
    assert run_tables.training_length(older)["baseline_cached"] is None
    assert run_tables.training_text(older) == "4 epochs source-only, then 10 adapting from it"
    source_only = {**recipe_result(cached=False), "history": [{"stage": "baseline"}] * 5}
    assert run_tables.training_text(source_only) == "5 epochs source-only, no adapting epochs"
    one = {**source_only, "history": [{"stage": "baseline"}]}  # QA helper-126: "trained 1 epochs"
    assert run_tables.training_text(one) == "1 epoch source-only, no adapting epochs"
    # the same seed on another thread count trains another model: the count a run trained on is said
    threaded = {**recipe_result(cached=False), "info": {"baseline_cached": False, "torch_threads": 2}}
    assert run_tables.training_length(threaded)["torch_threads"] == 2
    assert (
        run_tables.training_text(threaded)
        == "4 epochs source-only, then 10 adapting from it; on 2 torch threads"
    )
    assert compare.summary_rows({"recipe": threaded})[0]["torch_threads"] == 2  # the CSV's column


def test_runs_show_says_how_long_the_run_trained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace = Workspace.resolve(tmp_path / "ws")
    store = RunStore(workspace)
    result = recipe_result()
    run_id = store.create(AdaptConfig(**{**result["config"], "methods": ("deep_coral", "im")}))
    assert store.start(run_id, os.getpid()) and store.finish(run_id, result)
    assert main(["--workspace", str(workspace.root), "runs", "show", run_id]) == 0
    out = capsys.readouterr().out
    assert "  trained  4 epochs source-only (reused from the cache), then 10 adapting from it\n" in out


def test_the_ranking_table_shows_the_effective_classes_runs_rank_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """QA: ``runs rank`` printed CLASSES (4.8 / 2.1 / 4.5); the app's table and the report did not,
    though the recommendation cites the effective classes."""
    y = np.arange(30) % 5
    before = probabilities(y, 0.6, k=5)
    collapsed = probabilities(np.minimum(y, 1), 0.9, k=5)
    pool = Pool(
        "src",
        "tgt",
        (candidate("good", before, probabilities(y, 0.9, k=5)), candidate("bad", before, collapsed)),
    )
    ranking = rank(pool, SelectionSettings())
    rows = {row["run"]: row["classes"] for row in ranking_rows(ranking, {})}
    print_ranking(ranking)
    header, *table = capsys.readouterr().out.split("\n #  RUN")[-1].split("\n\n")[0].splitlines()
    column = ["RUN", *header.split()].index("CLASSES") + 1  # after the row's #
    printed = {line.split()[1]: float(line.split()[column]) for line in table if line.strip()[:1].isdigit()}
    assert rows == printed
    assert rows["good"] > 4.5 and rows["bad"] < 2.5


def test_the_alarm_check_fits_a_cell_and_its_column_fits_the_longest_cell() -> None:
    """QA helper-140: Compare's "alarm right?" cells held the whole sentence with the paired test's
    counts (up to ~150 characters), cut at about 500 px in the browser; in a few words, the column as
    wide as its longest cell (the table sizes a column by its first rows: a false alarm ranked 23rd was
    cut); at 1280 px those words still pushed the column off screen: a word now, the accuracies it
    judges in the columns before it, "(within chance)" after it where the paired test says so (a miss
    within chance is none to act on). The HTML report, whose prose column wraps, keeps the sentence."""
    failed = (Check("collapse", False, 10.0, 4.0, 8.0, "collapsed"),)
    alarms = [
        Alarm("missed", (), 0.7617, 0.7819, PairedChange(12, 6, 298)),  # McNemar p = 0.24
        Alarm("false", failed, 0.8188, 0.7651, PairedChange(5, 21, 298)),  # p = 0.0025
        Alarm("chance", failed, 0.7919, 0.7852, PairedChange(4, 6, 298)),  # p = 0.75
        Alarm("same", (), 0.79, 0.79, PairedChange(0, 0, 298)),
        Alarm("older", failed, 0.70, 0.75),  # stored before runs kept the paired test
        Alarm("unlabelled", ()),
    ]
    cells = [alarm_check(alarm) for alarm in alarms]
    assert cells == [
        "missed (within chance)",
        "false alarm",
        "false alarm (within chance)",
        "right",
        "right",  # no paired test: nothing says within chance
        None,
    ]
    assert alarms[0].verdict() == (
        "missed: target accuracy fell 2.0 points against source-only (6 more wrong of 298, 12 right to "
        "wrong and 6 wrong to right; McNemar p = 0.24: within chance)"
    )
    assert display.text_width(cells) == len("false alarm (within chance)") * 7 + 24
    assert display.text_width([None]) == 24


def test_the_ranking_tables_deciding_columns_put_ess_behind_an_importance_weighted_score() -> None:
    """Compare's table without "All ranking columns": ranked by DEV, its ESS (whether DEV can be trusted)
    comes right after it; the other validators and the alarm's reasons only with every column."""
    y = np.arange(30) % 5
    before = probabilities(y, 0.6, k=5)
    collapsed = probabilities(np.minimum(y, 1), 0.9, k=5)
    pool = Pool("src", "tgt", (candidate("good", before, before), candidate("bad", before, collapsed)))
    ranking = rank(pool, SelectionSettings(validator="dev"))
    rows = ranking_rows(ranking, {}, brief=True)
    assert rows[1]["status"] == "alarm" and rows[1]["alarm"]  # flagged: its reasons only with every column
    assert column_order(ranking, rows) == ["rank", "run", "status", "DEV", "ESS", "classes", "source acc"]
    assert hindsight_order(rows) == []  # an unlabelled target: no table of the accuracies under it
    every = column_order(ranking, rows, every=True)
    assert every[:7] == column_order(ranking, rows) and every[-1] == "alarm"
    assert set(every[7:-1]) == {"EnsV", "IM", "BNM", "IWCV"}


def test_the_ranking_tables_run_column_cuts_a_recipes_methods_and_keeps_the_id() -> None:
    """QA helper-217: at 1280 px the pinned run column held the recipe's five methods whole (about
    310 px) and pushed "alarm right?" off screen. The cell keeps the id and cuts the methods after a
    "+"; the column's help names each cut composition whole with its runs' ids."""
    labels = {
        "r1": "deep_coral+im+fixmatch+shot_pl+adabn · 9c55e7",
        "r2": "source_only · b17cf5",
        "r3": "deep_coral+im+fixmatch+shot_pl+adabn · b03162",
        "r4": "deep_coral+im+fixmatch · 5d0e11",  # 31 characters: cut too
        "r5": "a_method_name_longer_than_the_column",  # no id: cut at the column's characters
    }
    short = run_names.short_labels(labels)
    assert short == {
        "r1": "deep_coral+… · 9c55e7",
        "r2": "source_only · b17cf5",
        "r3": "deep_coral+… · b03162",
        "r4": "deep_coral+… · 5d0e11",
        "r5": "a_method_name_longer_…",
    }
    assert max(len(s) for s in short.values()) == run_names.RUN_CHARS == 22  # 24 was past 1024 px by DEV
    assert display.text_width(short.values()) == 22 * 7 + 24 < display.text_width(labels.values())
    assert run_names.short_label("deep_coral+im · 88cb4e") == "deep_coral+im · 88cb4e"  # 22: whole
    assert run_names.run_help(labels, ["r1", "r2", "r3", "r4"]) == (
        "Each run's methods and the end of its id. Cut where long (…); in full: "
        "deep_coral+im+fixmatch+shot_pl+adabn (9c55e7, b03162); deep_coral+im+fixmatch (5d0e11)."
    )
    assert run_names.run_help(labels, ["r2"]) == "Each run's methods and the end of its id."
    assert run_names.run_help(labels, ["r5"]).endswith("in full: a_method_name_longer_than_the_column.")
