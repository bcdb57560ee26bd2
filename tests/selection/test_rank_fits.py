"""``runs rank`` fits the terminal (the CLI audit: 164-column lines with nine score columns):
the table shows the score it ranks by and what decides, ``--scores`` every validator's score of each
run; and where the outvoted ensemble set EnsV aside, its first line says why BNM ranked."""

from __future__ import annotations

import pytest

from tlcore.cli import main
from tlcore.cli.output import display_width
from tlcore.cli.rank import print_ranking
from tlcore.selection.ranking import rank
from tlcore.selection.settings import VALIDATORS, SelectionSettings
from tlcore.views.ranking import validator_text

from .helpers import BASELINE, COLLAPSED, GOOD, GOOD_TOO, candidate, pair_pool

LONG = "deep_coral+entropy+bnm+mcc"  # a composition's name: 26 columns


def _pool():
    """Three labelled runs with 22-character ids like the store's, every score stored (MixVal's probes
    too), one of them a long composition."""
    return pair_pool(
        *(
            candidate(
                f"20261207-2218{i}5-0cd67{i}",
                BASELINE,
                after,
                method=method,
                target_accuracy=0.9,
                source_only_accuracy=2 / 3,
                ice=(0.5, 0.6),
                ess=12.5,
            )
            for i, (after, method) in enumerate(((GOOD, LONG), (GOOD_TOO, "dann"), (COLLAPSED, "im")))
        )
    )


@pytest.mark.parametrize("columns", [100, 90])
@pytest.mark.parametrize("validator", ["ensv", "iwcv"])
def test_the_ranking_and_every_score_fit_the_terminal(validator, columns, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(columns))
    ranking = rank(_pool(), SelectionSettings(validator=validator))
    print_ranking(ranking, scores=True)
    out = capsys.readouterr().out
    assert max(map(display_width, out.splitlines())) <= columns
    table, scores = out.split("\nevery validator's score of each run, by its # above:\n")
    header = next(line for line in table.splitlines() if line.startswith(" #  RUN"))
    label = VALIDATORS[validator].label
    assert header.split() == ["#", "RUN", "METHOD", label, "CLASSES", "ESS", "TARGET", "ACC", "ALARM"]
    rows = [line for line in table.splitlines() if line[:2] in (" 1", " 2", " 3")]
    by_id = {row.split()[1]: row for row in rows}
    method = by_id["20261207-221805-0cd670"].split()[2]
    if columns == 100:
        assert method == LONG
    else:  # cut to fit
        assert method.endswith("…") and LONG.startswith(method[:-1]) and len(method) < len(LONG)
    for position, entry in enumerate(ranking.entries, 1):
        assert validator_text(validator, entry.score) in rows[position - 1].split()
    # --scores: every validator's score of each run, by its # in the table
    lines = scores.split("\n\ncolumns")[0].splitlines()
    names = list(VALIDATORS)
    assert lines[0].split() == ["#", *" ".join(VALIDATORS[n].label for n in names).split(), "ESS"]
    for position, entry in enumerate(ranking.entries, 1):
        cells = lines[position].split()
        assert cells == [str(position), *(validator_text(n, entry.scores[n]) for n in names), "12.5"]


def test_every_score_comes_in_blocks_of_columns_that_fit_a_narrow_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    ranking = rank(_pool())
    print_ranking(ranking, scores=True)
    said = capsys.readouterr().out.split("every validator's score of each run, by its # above:\n")[1]
    blocks = [block.splitlines() for block in said.split("\n\ncolumns")[0].split("\n\n")]
    assert len(blocks) == 2 and max(len(line) for block in blocks for line in block) <= 60
    for block in blocks:  # each block: its header, then a row per run, numbers right-aligned under it
        assert [row.split()[0] for row in block[1:]] == ["1", "2", "3"]
        assert all(len(row) == len(block[0]) for row in block[1:])
    cells = {i: [] for i in range(1, 4)}
    for block in blocks:
        for row in block[1:]:
            cells[int(row.split()[0])] += row.split()[1:]
    for position, entry in enumerate(ranking.entries, 1):  # every score once, in VALIDATORS' order
        assert cells[position] == [*(validator_text(n, entry.scores[n]) for n in VALIDATORS), "12.5"]


def test_the_first_line_says_why_bnm_ranked_in_ensvs_place(capsys):
    """The outvoted ensemble (the good run's two models; the collapsed run's adapted model left out)
    ranks by BNM: the first line said "ranked by BNM" under a help whose default is EnsV."""
    ranking = rank(pair_pool(candidate("good", BASELINE, GOOD), candidate("lost", BASELINE, COLLAPSED)))
    assert ranking.asked == "ensv" and ranking.settings.validator == "bnm"
    print_ranking(ranking)
    first = " ".join(capsys.readouterr().out.split("\nrecommended:")[0].split())
    assert first == (
        "src -> tgt: 2 runs ranked by BNM in EnsV's place: its ensemble holds 1 adapted model and 1 "
        "source-only model, too few adapted ones to judge by (every score: higher is better)"
    )
    print_ranking(rank(pair_pool(candidate("good", BASELINE, GOOD)), SelectionSettings(validator="im")))
    said = capsys.readouterr().out
    assert said.startswith("src -> tgt: 1 run ranked by IM (every score: higher is better)\n")


def test_the_help_says_when_bnm_ranks_in_ensvs_place(capsys):
    with pytest.raises(SystemExit):
        main(["runs", "rank", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert (
        "(default ensv; where the pair's EnsV ensemble holds no more adapted models than source-only ones, "
        "bnm ranks in its place and the first line says so)" in said
    )
    assert "--scores also every validator's score of each run" in said
