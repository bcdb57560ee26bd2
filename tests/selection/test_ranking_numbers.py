"""How the ranking's numbers read in ``runs rank``, the HTML report and ``--json``: the source accuracy
is an accuracy (a percent, as the target accuracies beside it), every other validator a score to 3
significant digits, the ESS one decimal, as the Compare page shows them; ``--json`` keeps every digit."""

from __future__ import annotations

import itertools
import re

import pytest

from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.numbers import score_text
from tlcore.selection.ranking import rank
from tlcore.views.ranking import ESS_FORMAT, PERCENT_COLUMNS, REPORT_FORMATS, ranking_rows, report_sections
from tlcore.views.report import render_report

from .helpers import BASELINE, GOOD, candidate, pair_pool

SOURCE_ACCURACY = 0.6612  # the run's accuracy on the source validation split


def ranked(ess: float | None = None) -> tuple:
    """One run ranked alone, its target labelled (target 0.9, source-only 0.667); ``ess``: the effective
    sample size of its importance weights."""
    run = candidate(
        "a-run",
        BASELINE,
        GOOD,
        source_after=SOURCE_ACCURACY,
        target_accuracy=0.9,
        source_only_accuracy=2 / 3,
        ess=ess,
    )
    ranking = rank(pair_pool(run))
    return ranking, ranking.entries[0]


def cells(html: str) -> dict[str, str]:
    """The report's ranking table as ``{column: cell}`` (its one row)."""
    table = next(t for t in re.findall(r"<table>.*?</table>", html) if "<th>source acc</th>" in t)
    heads = re.findall(r"<th>(.*?)</th>", table)
    values = re.findall(r"<td[^>]*>(.*?)</td>", table)
    return dict(zip(heads, values, strict=True))


def test_the_source_accuracy_is_a_percent_and_the_scores_have_three_digits_in_the_report() -> None:
    ranking, entry = ranked()
    assert "source acc" in PERCENT_COLUMNS and "source acc" not in REPORT_FORMATS
    row = cells(render_report("r", "", report_sections(ranking, {})))
    assert row["source acc"] == "66.1%"  # was 0.6612
    assert row["target accuracy"] == "90.0%" and row["source-only accuracy"] == "66.7%"
    for label in ("EnsV", "IM", "BNM", "DEV", "IWCV"):
        assert REPORT_FORMATS[label] is score_text
    assert entry.scores["iwcv"] == pytest.approx(-0.3388)
    assert row["IWCV"] == "-0.339" and row["DEV"] == "-0.339"  # were -0.3388: 4 digits
    assert row["IM"] == f"{entry.scores['im']:.3g}" and len(row["IM"].replace("0.", "")) == 3
    assert row["classes"] == "3.0" and row["rank"] == "1"  # as runs rank writes it


def test_runs_rank_writes_the_source_accuracy_as_a_percent(capsys: pytest.CaptureFixture[str]) -> None:
    ranking, _ = ranked()
    print_ranking(ranking, scores=True)  # every score: the --scores table under the ranking's
    out = capsys.readouterr().out
    lines = out.splitlines()
    row = next(r for h, r in itertools.pairwise(lines) if h.startswith(" #  RUN"))
    header, line = next((h, r) for h, r in itertools.pairwise(lines) if h.startswith(" #  EnsV"))
    start = header.index("source acc") + len("source acc")
    assert line[start - 11 : start].strip() == "66.1%"  # was 0.661
    assert "90.0% (66.7%)" in row and "-0.339" in line
    assert ranking_json(ranking)["entries"][0]["scores"]["source_accuracy"] == SOURCE_ACCURACY  # every digit
    assert ranking_rows(ranking, {})[0]["source acc"] == SOURCE_ACCURACY  # the page's number, a percent there


@pytest.mark.parametrize(("ess", "shown"), [(4.689, "4.7"), (30.0, "30.0"), (1797.46, "1797.5")])
def test_the_ess_has_one_decimal_in_the_report_as_in_runs_rank_and_on_the_page(
    ess: float, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA helper-226: the report wrote an ESS of 4.689 as ``4.689`` (4 significant digits), 30 as ``30``
    and 1797.46 as ``1,797`` where the Compare page (``%.1f``) and ``runs rank`` write ``4.7``, ``30.0``
    and ``1797.5``."""
    ranking, entry = ranked(ess)
    assert entry.ess == ess
    assert cells(render_report("r", "", report_sections(ranking, {})))["ESS"] == shown
    print_ranking(ranking)
    lines = capsys.readouterr().out.splitlines()
    header, line = next((h, r) for h, r in itertools.pairwise(lines) if h.startswith(" #  RUN"))
    end = header.index("ESS") + len("ESS")
    assert line[:end].split()[-1] == shown and line[end] == " "  # right-aligned under its header
    assert ESS_FORMAT % ess == shown  # the page's column format
    assert ranking_rows(ranking, {})[0]["ESS"] == ess  # the page's number, every digit
