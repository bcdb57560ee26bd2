"""The one rule for a measured number shown as text (tlcore.numbers), and the views that show numbers by
it: the HTML reports' cells, the columns' rows and messages, the findings' rows, the scores."""

from __future__ import annotations

import math
from dataclasses import replace

from tlcore.cli.stores import format_value
from tlcore.explain.causes import GapPart, mmd2_left, novelty_cause
from tlcore.explain.columns import ColumnDrift, times
from tlcore.explain.evidence import NoveltySummary
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import FixCheck
from tlcore.metrics.coverage import Novelty, NoveltySettings
from tlcore.numbers import and_more, first_named, p_is, p_shown, plural, significant
from tlcore.views.column_table import column_rows
from tlcore.views.diagnosis_report import finding_rows
from tlcore.views.ranking import score_text
from tlcore.views.report import Section, render_report


def test_the_rule_on_hand_numbers() -> None:
    # QA: diagnose printed "+1796.59 source SDs" and report cells "0.0000" for an MMD² of 3.2e-05
    assert significant(1796.5912) == "1,797" and significant(1796.5912, 3, sign=True) == "+1,797"
    assert significant(0.000032) == "3.2e-05" and significant(-0.000032) == "-3.2e-05"
    assert significant(-0.5, 3, sign=True) == "-0.5" and significant(0.5, 3, sign=True) == "+0.5"
    assert [significant(v) for v in (742.3, 0.02191, 0.81234, 646564.66, 2.0)] == [
        "742.3",
        "0.02191",
        "0.8123",
        "646,565",
        "2",
    ]
    assert significant(0.7394, 3, sign=True) == "+0.739" and significant(123.456) == "123.5"
    # rounding up to 10**digits stays whole ("g" alone writes "1e+04")
    assert significant(999.96) == "1,000" and significant(9999.7) == "10,000"
    assert significant(-0.0) == "0" and significant(0.0, sign=True) == "0"
    assert [significant(v) for v in (None, math.nan, math.inf)] == ["-", "nan", "inf"]


def test_scores_and_ratios_are_the_rule_at_their_digits() -> None:
    values = (-0.000238, -0.0, 5.0909, 0.000012, 12345.0, None)
    assert [score_text(v) for v in values] == [significant(v, 3) for v in values]
    assert [times(r) for r in (1.63, 0.652, 948.46)] == ["1.6x", "0.65x", "948x"]


def test_cli_headline_values_and_the_mmd2_left_after_a_fix_use_the_rule() -> None:
    # ``runs show`` wrote a 1234.5 s duration as "1.23e+03"
    assert format_value(1234.5) == "1,234" and format_value({"a": 0.81234, "b": None}) == "a=0.812  b=-"
    assert mmd2_left(0.000032, 4) == "3.2e-05" and mmd2_left(0.012345) == "0.0123"
    assert mmd2_left(-0.00032) == "≈ 0 (no gap left)"


def test_report_cells_write_floats_by_the_rule() -> None:
    rows = [{"MMD²": 0.000032, "shift": 1796.5912, "accuracy": 0.81234, "samples": 3, "mean": "646,565"}]
    page = render_report("t", "s", [Section("x", table=rows)])
    cells = ("3.2e-05", "1,797", "0.8123", "3", "646,565")
    assert "".join(f"<td class='num'>{c}</td>" for c in cells) in page
    assert "0.0000" not in page and "1796.5912" not in page


def test_column_rows_and_messages_show_the_shift_and_shape_by_the_rule() -> None:
    area = ColumnDrift(
        0, "mean_area", 661.4, 359.5, 646564.6586, 340987.0, 1796.5912, 948.46, 0.000032, 0.0, 0.0, True
    )
    (row,) = column_rows([area])
    assert (row["source mean"], row["target mean"]) == ("661.4", "646,565")
    assert (row["shift (source SDs)"], row["spread ratio"], row["shape MMD²"]) == (
        "+1,797",
        "948x",
        "3.2e-05",
    )
    assert "mean 661.4 -> 646,565 (+1,797 source SDs), spread 359.5 -> 340,987 (948x)" in area.message
    assert area.message.endswith("shape MMD² 3.2e-05 (each side standardised).")
    fell = ColumnDrift(1, "hue", 1.0, 0.2, 0.9, 0.2, -0.5, 1.0, 0.0, 0.0, 0.0, True)
    assert column_rows([fell])[0]["shift (source SDs)"] == "-0.5" and "(-0.5 source SDs)" in fell.message


def test_findings_rows_show_values_and_the_difference_by_the_rule() -> None:
    ink = Finding("ink_fill", "share of ink pixels", 0.000032, 0.12345, 1796.5912, "strong", "t", "m")
    row = finding_rows((ink,))[0]
    assert (row["source"], row["target"], row["difference"]) == ("3.2e-05", "0.1235", "+1,797")
    blank = Finding("ink_fill", "share of ink pixels", math.nan, 0.1, math.nan, "none", "t", "m")
    assert finding_rows((blank,))[0]["source"] == finding_rows((blank,))[0]["difference"] == "not compared"


def test_a_count_of_one_takes_the_singular() -> None:
    """QA helper-126: ``runs show`` printed "trained 1 epochs"; the one helper for counts in words."""
    assert [plural(n, "epoch") for n in (0, 1, 2)] == ["0 epochs", "1 epoch", "2 epochs"]
    assert [plural(n, "class", "classes") for n in (1, 3)] == ["1 class", "3 classes"]


def test_first_named_names_the_first_few_and_counts_the_rest() -> None:
    """One way of writing "a, b and 3 more": the first ``shown`` named, the rest counted, a noun in the
    singular for one more, nothing added when all are named."""
    letters = ["a", "b", "c", "d", "e"]
    assert first_named(letters, 2) == "a, b and 3 more"
    assert first_named(letters, 4, "run") == "a, b, c, d and 1 more run"
    assert first_named(letters, 3, "class", "classes", sep="; ") == "a; b; c and 2 more classes"
    assert first_named(letters, 5, "run") == first_named(letters, 9) == "a, b, c, d, e"
    assert [and_more(n, "drifted column") for n in (0, 1, 2)] == [
        "",
        " and 1 more drifted column",
        " and 2 more drifted columns",
    ]


def test_a_p_value_is_never_shown_as_0() -> None:
    # QA: the domain classifier's test on mnist5k -> digits (99% right on 6,797 samples) read "p = 0"
    assert [p_shown(p) for p in (0.391, 0.000177, 1e-16, 0.0)] == ["0.391", "0.000177", "1e-16", "< 1e-16"]
    assert (p_is(0.0496), p_is(0.0)) == ("p = 0.0496", "p < 1e-16")


def test_the_verdict_never_writes_a_novel_share_p_value_as_0() -> None:
    # QA helper-246: mnist5k -> a zip of 300 unlabelled UCI digits, every target sample novel, read
    # "(p = 0 against chance)" in the verdict, beside the gap box's "p < 1e-16"
    part = GapPart(None, "")
    new = novelty_cause(NoveltySummary(1.0, True, 0.0), part)
    assert "(p < 1e-16 against chance)" in new.detail and "p = 0 " not in new.detail
    assert "(p = 0.00031 against chance)" in novelty_cause(NoveltySummary(0.4, True, 0.00031), part).detail


def test_diagnose_and_the_report_never_write_the_novel_share_p_value_as_0() -> None:
    # QA helper-246: `diagnose` of mnist5k -> a zip of 300 UCI digits printed "(1.0% by chance, p = 0)"
    novelty = Novelty(1.0, 300, 300, 0.01, 0.0, 1.0, 5000, (), (), NoveltySettings())
    assert novelty.summary().endswith("(1.0% by chance, p < 1e-16)")
    assert replace(novelty, p_value=2.09e-13).summary().endswith("(1.0% by chance, p = 2.09e-13)")


def test_a_novel_share_just_under_the_cause_threshold_never_reads_as_it() -> None:
    # QA helper-246: mnist5k:n=500 -> 300 UCI digits read "100% -> 5% (above chance) ... not a cause
    # (fewer than the 5% from which new data is a cause)": 4.7% was rounded up to the threshold
    assert [NoveltySummary(s, True).shown() for s in (0.047, 0.044, 0.05, 0.052, 0.31)] == [
        "4.7%",
        "4%",
        "5%",
        "5%",
        "31%",
    ]
    check = FixCheck(
        0.3, 0.1, 2.0, 1.0, 500, 300, (), None, None, NoveltySummary(1.0, True), NoveltySummary(0.047, True)
    )
    assert check.describe_novelty() == "100% -> 4.7% (above chance)"
