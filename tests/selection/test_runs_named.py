"""The recommendation names runs as the tables do (QA helper-232: in a mixed pool Compare's box read
"runs 20261207-175343-88cb4e, ..." beside a table of labels): Compare's box, the HTML report and the
reasons and notes ``runs rank`` prints name each run by its label cut as the tables cut it, the id's end
kept; ``runs rank --json`` and the choice ``runs rank`` prints keep the ids."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.app.test_ranking_ui import Y, store_run
from tests.selection.helpers import BASELINE, GOOD_TOO, candidate, pair_pool, probabilities
from tests.selection.test_mixed_baselines import outvoting, right_on, strong_run, weak_run
from tlcore.cli import main
from tlcore.cli import rank as rank_cli
from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.runs.store import RunStore
from tlcore.selection.ranking import Ranking, rank
from tlcore.selection.settings import SelectionSettings
from tlcore.views.ranking import (
    alarm_lines,
    alarm_rows,
    kept_note,
    not_ranked,
    recommendation,
    report_sections,
    unreliable_line,
)
from tlcore.views.report import render_report
from tlcore.views.run_names import PAIR_CHARS, cut_names, named, pair_label, pairs_help
from tlcore.workspace import Workspace

WEAK, STRONG, FORGOT = "20261207-175343-88cb4e", "20261207-175343-dce0bc", "20261207-175344-1bd2ac"
LABELS = {
    WEAK: "deep_coral+im+fixmatch+shot_pl+adabn · 88cb4e",
    STRONG: "dann · dce0bc",
    FORGOT: "deep_coral · 1bd2ac",
}


def kept(weak: str = WEAK, strong: str = STRONG, forgot: str = FORGOT, *, right: int = 15) -> Ranking:
    """A mixed pool that keeps the strong config's source-only model: its run is flagged against it, run
    ``forgot`` of its config lost its source accuracy, and run ``weak`` of the weak config is right on
    ``right`` of 30 samples (27: recommended)."""
    after = right_on(15, 0.8, 2) if right == 15 else right_on(right, 0.95)
    pool = outvoting(pair_pool(weak_run(after, weak), strong_run(strong)))
    return rank(
        replace(pool, candidates=(*pool.candidates[:-1], replace(pool.candidates[-1], run_id=forgot)))
    )


def test_a_mixed_pools_recommendation_names_its_runs_by_label() -> None:
    ranking = kept()
    assert ranking.kept == STRONG
    assert recommendation(ranking, LABELS) == (
        "Keep the source-only model of run dann · dce0bc: this pool mixes 2 source-only models: "
        "efficientnet_lite0, image_size 64, epochs 1 (EnsV 0.833; runs dann · dce0bc, deep_coral · 1bd2ac) "
        "and lenet_bn, epochs 4 (EnsV 0.433; run deep_coral+… · 88cb4e); each run's guardrails compare it "
        "with its own source-only model only, and no run that passed them reaches the EnsV of the strongest "
        "one (efficientnet_lite0, image_size 64, epochs 1: 0.833), so keep that model: adapt with run "
        "dann · dce0bc's settings and --method source_only (its baseline is cached: nothing trains)."
    )
    report = html.unescape(render_report("r", "", report_sections(ranking, LABELS)))
    assert recommendation(ranking, LABELS) in report
    assert ranking_json(ranking)["reason"] == ranking.reason  # runs rank --json: the ids
    assert f"runs {STRONG}, {FORGOT})" in ranking.reason and f"run {STRONG}'s settings" in ranking.reason


def test_a_recommended_run_and_the_note_name_runs_by_label() -> None:
    recommended = kept(right=27)
    said = recommendation(recommended, LABELS)
    assert said.startswith("Recommended: deep_coral+… · 88cb4e, the highest EnsV")
    assert said.endswith(
        "(EnsV 1.000; runs dann · dce0bc, deep_coral · 1bd2ac) and lenet_bn, epochs 4 (EnsV 0.267; run "
        "deep_coral+… · 88cb4e)."
    )
    noisy = candidate(FORGOT, BASELINE, GOOD_TOO, ess=4.0)
    ranking = rank(pair_pool(candidate(WEAK, BASELINE, GOOD_TOO, ess=30.1), noisy), SelectionSettings("dev"))
    assert recommendation(ranking, LABELS).split(". ")[-1] == (
        "deep_coral · 1bd2ac also passed the guardrails, but its DEV rests on 4.0 effective samples of the "
        "importance weights (fewer than 30), too few to trust, so it is ranked after the runs with a "
        "reliable DEV and not recommended."
    )


def test_an_id_is_named_whole_only() -> None:
    assert named(f"runs {WEAK}, {WEAK}x and x{WEAK}; run {STRONG}'s", LABELS) == (
        f"runs deep_coral+… · 88cb4e, {WEAK}x and x{WEAK}; run dann · dce0bc's"
    )
    assert named(f"run {WEAK}", {}) == f"run {WEAK}"


def test_runs_rank_names_runs_by_label_in_its_reasons_and_keeps_the_ids_to_paste(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``runs rank`` labels the runs it ranks as the Compare page does, from the store; the choice it
    prints and ``--json`` keep the ids."""
    store = RunStore(Workspace.resolve(tmp_path / "ws"))
    weak = store_run(store, ("deep_coral", "im", "fixmatch", "shot_pl", "adabn"), probabilities(Y, 0.9))
    strong = store_run(store, ("dann",), probabilities(np.zeros(30, dtype=int), 0.95))
    forgot = store_run(store, ("deep_coral",), probabilities(Y, 0.85))
    ranking = kept(weak, strong, forgot)  # a mixed pool of them
    monkeypatch.setattr(rank_cli, "load_pool", lambda *args, **kwargs: None)
    monkeypatch.setattr(rank_cli, "rank", lambda *args: ranking)
    argv = ["--workspace", str(tmp_path / "ws"), "runs", "rank", "--source", "mnist5k:n=120"]
    argv += ["--target", "digits:n=120"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"\nrecommended: keep the source-only model of run {ranking.kept}\n" in out  # to paste
    because = " ".join(out.split("  because: ", 1)[1].split("\n  to label data")[0].split())
    names = {strong: f"dann · {strong[-6:]}", forgot: f"deep_coral · {forgot[-6:]}"}
    assert because.startswith(
        "this pool mixes 2 source-only models: efficientnet_lite0, image_size 64, epochs 1 (EnsV 0.833; runs "
        f"{', '.join(names[i] for i in sorted(names))}) and lenet_bn, epochs 4 (EnsV 0.433; run "
        f"deep_coral+… · {weak[-6:]})"
    )
    assert f"adapt with run {names[ranking.kept]}'s settings" in because
    assert main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["reason"] == ranking.reason and f"runs {', '.join(sorted(names))})" in payload["reason"]
    print_ranking(kept())  # labels unknown: the ids, as before
    assert f"runs {STRONG}, {FORGOT})" in " ".join(capsys.readouterr().out.split())


LONG = {  # every label cut in the run column (RUN_CHARS)
    WEAK: "deep_coral+im+fixmatch+shot_pl+adabn · 88cb4e",
    STRONG: "deep_coral+im+fixmatch+shot_pl · dce0bc",
    FORGOT: "deep_coral+im+fixmatch · 1bd2ac",
}


def test_the_lines_on_flagged_left_out_and_kept_runs_name_them_as_the_table_does() -> None:
    """Compare's flagged runs' expander, its "Not ranked:" lines, the alarm lines (Adapt, Predict) and
    Predict's note on a kept model named runs by their whole label or by id, beside a table of cut ones."""
    ranking = replace(kept(), excluded=((WEAK, "stored without its predictions"), ("gone", "no result")))
    assert alarm_rows(ranking, LONG) == [
        {"run": "deep_coral+… · 1bd2ac", "why": "source accuracy fell 29.0 points (79.0% -> 50.0%)"},
        {"run": "deep_coral+… · dce0bc", "why": "source accuracy fell 6.0 points (79.0% -> 73.0%)"},
    ]
    assert alarm_lines(ranking, LONG)[FORGOT] == (
        "Negative transfer suspected for deep_coral+… · 1bd2ac: source accuracy fell 29.0 points "
        "(79.0% -> 50.0%)"
    )
    assert not_ranked(ranking, LONG) == [  # the whole label as the line's help, where cut
        ("Not ranked: deep_coral+… · 88cb4e: stored without its predictions", LONG[WEAK]),
        ("Not ranked: gone: no result", None),
    ]
    assert not_ranked(ranking, LABELS)[0] == (
        "Not ranked: deep_coral+… · 88cb4e: stored without its predictions",
        LABELS[WEAK],
    )
    assert kept_note(ranking, WEAK, LONG) == (
        "Compare recommends keeping the source-only model of run deep_coral+… · dce0bc, not any run."
    )


def test_the_unreliable_line_names_runs_as_the_table_does() -> None:
    noisy = candidate(WEAK, BASELINE, GOOD_TOO, ess=4.0)
    ranking = rank(
        pair_pool(candidate(FORGOT, BASELINE, GOOD_TOO, ess=30.1), noisy), SelectionSettings("dev")
    )
    assert unreliable_line(ranking, LONG) == (
        "DEV and IWCV are unreliable for 1 of 2 runs: their importance weights rest on 4.0 effective samples "
        "of 100 (deep_coral+… · 88cb4e), fewer than 30 (the ESS column), so a few source samples decide "
        "those scores."
    )


def test_the_reports_ranking_table_cuts_labels_as_compare_does_and_says_them_whole_on_hover() -> None:
    """The report's sentence named runs cut, its ranking table beside it by their whole labels."""
    page = render_report("r", "", report_sections(kept(), LONG))
    assert f"<td title='{html.escape(LONG[WEAK])}'>{html.escape('deep_coral+… · 88cb4e')}</td>" in page
    assert f">{html.escape(LONG[WEAK])}<" not in page  # the whole label is the hover only
    assert cut_names(LABELS) == {"deep_coral+… · 88cb4e": LABELS[WEAK]}  # dann · dce0bc fits: no hover


def test_another_pairs_specs_are_cut_as_a_label_is_and_said_whole_in_the_help():
    """helper-245's note: Predict's picker named another pair's run with its whole pair, and long specs
    cut the option at 1024 px; each spec is cut at PAIR_CHARS, the pairs cut said whole in the help."""
    long = ("upload:source_table.csv:text=onehot", "upload:target_table.csv:text=onehot")
    assert pair_label("mnist5k", "usps") == "mnist5k → usps"
    assert pair_label(*long) == f"upload:source_table…{' → '}upload:target_table…"
    assert len(pair_label(*long)) == 2 * PAIR_CHARS + 3
    assert pairs_help([("mnist5k", "usps"), long, long]) == (
        f" Pairs cut where long (…); in full: {long[0]} → {long[1]}."
    )
    assert pairs_help([("mnist5k", "usps")]) == ""
