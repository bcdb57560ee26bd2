"""``runs rank``'s text says the alarms in one line after the recommendation, as the Compare page and
the report do (:func:`tlcore.views.ranking.alarm_summary`); ``--alarms`` prints each run's reasons
under its row. QA: on helper-76's 62-run pair the text printed 74 ``ALARM:`` lines between the rows."""

import numpy as np

from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.views.ranking import NO_ALARM, report_sections
from tlcore.views.report import render_report

from .helpers import candidate, probabilities

K = 20
COLLAPSED = probabilities(np.repeat([0, 1, 2], [50, 40, 10]), 0.6, K)
SPREAD = probabilities(np.arange(100) % K, 0.6, K)


def _ranking():
    lost = candidate("lost", COLLAPSED, SPREAD, source_before=0.77, source_after=0.40)
    kept = candidate("kept", SPREAD, SPREAD)
    return rank(Pool("src20", "tgt20", (lost, kept)))


def test_rank_says_the_alarms_in_one_line_and_their_reasons_on_request(capsys):
    ranking = _ranking()
    print_ranking(ranking)
    lines = capsys.readouterr().out.splitlines()
    summary = "  alarms: Negative transfer suspected for 1 of 2 runs. (--alarms lists each run's reasons)"
    assert lines[1] == "recommended: run kept" and summary in lines
    assert lines.index(summary) < next(i for i, line in enumerate(lines) if line.startswith(" #  RUN"))
    assert not any("ALARM:" in line or "no alarm" in line for line in lines)
    rows = {line.split()[1]: line.split()[-1] for line in lines if line[:2] in (" 1", " 2")}
    assert rows == {"kept": "no", "lost": "yes"}  # the ALARM column
    print_ranking(ranking, alarms=True)
    full = capsys.readouterr().out.splitlines()
    assert "  alarms: Negative transfer suspected for 1 of 2 runs." in full
    assert "    ALARM: source accuracy fell 37.0 points (77.0% -> 40.0%)" in full
    assert ranking_json(ranking)["alarm_summary"] == "Negative transfer suspected for 1 of 2 runs."


def test_rank_says_when_no_alarm_is_raised(capsys):
    ranking = rank(Pool("src20", "tgt20", (candidate("kept", SPREAD, SPREAD),)))
    print_ranking(ranking)
    assert "  alarms: none raised." in capsys.readouterr().out.splitlines()
    assert ranking_json(ranking)["alarm_summary"] is None


def test_the_report_says_when_no_alarm_is_raised_as_compare_does():
    """QA: Compare said "Negative-transfer alarms: none raised." and the HTML report nothing."""
    quiet = report_sections(rank(Pool("src20", "tgt20", (candidate("kept", SPREAD, SPREAD),))), {})
    assert [(s.flags, s.asides) for s in quiet[1:]] == [([], ["Negative-transfer alarms: none raised."])]
    assert f'<div class="aside">{NO_ALARM}</div>' in render_report("t", "s", quiet)
    flagged = report_sections(_ranking(), {})[1]
    assert (flagged.flags, flagged.asides) == (["Negative transfer suspected for 1 of 2 runs."], [])


def test_rank_wraps_its_prose_to_the_terminal_and_not_its_table(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    print_ranking(_ranking())
    lines = capsys.readouterr().out.splitlines()
    because = next(i for i, line in enumerate(lines) if line.startswith("  because: "))
    assert lines[because + 1].startswith(" " * 11) and lines[because + 1][11] != " "  # hanging
    rows = [line for line in lines if line[:2] in (" #", " 1", " 2")]
    assert len(rows) == 3 and [row.split()[-1] for row in rows] == ["ALARM", "no", "yes"]  # never wrapped
    assert all(len(line) <= 60 for line in lines if line not in rows)
