"""``python -m tlcore runs rank``: a pair's runs ranked without target labels; the alarm of ``runs show``
(reading the runs, the pair's specs and the kept model's command loads no torch, EnsV is numpy:
:mod:`tlcore.selection.ensemble`; the report does, and a blank warning that a run stored before its
worker kept one computes once: :mod:`tlcore.runs.blank_target`)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tlcore.cli.output import (
    check_report,
    clipped,
    column_blocks,
    display_width,
    print_json,
    prose_width,
    text_table,
    wrapped,
    write_report,
)
from tlcore.cli.stores import UNLABELLED
from tlcore.data.spec_text import anchored
from tlcore.errors import TLError
from tlcore.metrics.proportion import counted
from tlcore.runs.blank_target import pair_blank_warning
from tlcore.runs.candidates import kept_command, load_pool, run_alarm
from tlcore.runs.record import RunRecord
from tlcore.runs.store import RunStore
from tlcore.selection.pool import OUTVOTED
from tlcore.selection.ranking import RankedRun, Ranking, rank
from tlcore.selection.reliability import ess_text
from tlcore.selection.settings import OUTVOTED_VALIDATOR, VALIDATORS, SelectionSettings
from tlcore.views.glossary import OUTRANKED_STATUS, TERMS, legend, status_line
from tlcore.views.ranking import (
    NONE_RAISED,
    alarm_summary,
    classes_text,
    effective_classes,
    ranked_in_place,
    unreliable_line,
    validator_text,
)
from tlcore.views.ranking_caveats import blind_spot, shared_caveats
from tlcore.views.run_names import named, run_label
from tlcore.views.run_tables import n_target_test
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from tlcore.selection.alarm import Alarm

METHOD_MIN = 10  # the METHOD column is cut to fit the terminal, never narrower


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``runs rank``'s arguments."""
    lines = [
        line
        for v in VALIDATORS.values()
        for line in wrapped(f"{v.words}{' (advanced)' if v.advanced else ''}", f"  {v.name:<16} ")
    ]  # raw text, so wrapped here to the terminal (QA helper-250: lines of 227 columns)
    parser.description = "\n".join(
        wrapped(
            "Rank the done runs of one pair without target labels: guardrails against the "
            "source-only model first, then a validator; prints the recommendation, the alarms in one line "
            "and the table (--alarms: each run's alarm under its row)."
        )
    )
    parser.epilog = "validators (higher is better):\n" + "\n".join(lines)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--source", required=True, metavar="SPEC", help="source spec, as the runs were launched with"
    )
    parser.add_argument(
        "--target", required=True, metavar="SPEC", help="target spec, as the runs were launched with"
    )
    choices = ", ".join(VALIDATORS)
    parser.add_argument(
        "--validator",
        default=SelectionSettings.validator,
        help=f"score to rank by, higher is better: {choices} (default {SelectionSettings.validator}; where "
        f"the pair's EnsV ensemble holds {OUTVOTED}, {OUTVOTED_VALIDATOR} ranks in its place and the first "
        "line says so)",
    )
    parser.add_argument(
        "--run",
        metavar="ID",
        help="rank the runs that cover the same target samples as this one (a sweep's seeds load "
        "different n= samples; default: the largest such group)",
    )
    parser.add_argument(
        "--alarms",
        action="store_true",
        help="print each run's alarm (its reasons, checks not made) under its row",
    )
    parser.add_argument(
        "--scores",
        action="store_true",
        help="also every validator's score of each run, in a second table under the ranking (the ranking's "
        "table shows the score it ranks by; --json holds them all too)",
    )
    parser.add_argument("--json", action="store_true", help="the whole ranking as JSON on stdout")
    parser.add_argument(
        "--report",
        metavar="FILE.html",
        type=Path,
        help="also write the Compare page's HTML report of the ranked runs",
    )
    parser.set_defaults(handler=rank_runs)


def rank_runs(args: argparse.Namespace) -> int:

    if args.report is not None:
        check_report(args.report)
    settings = SelectionSettings(validator=args.validator)
    store = RunStore(Workspace.existing(args.workspace))
    pair = anchored(args.source), anchored(args.target)  # as adapt and sweep store them
    if args.run is not None and args.run not in {r.id for r in store.done_runs(*pair)}:
        raise TLError(f"run {args.run!r} is not a done run of {pair[0]} -> {pair[1]}")
    ranking = rank(load_pool(store, *pair, run_id=args.run), settings)
    blank = pair_blank_warning(store, *pair)
    if args.report is not None:
        write_report(args.report, report(store, ranking, workspace=args.workspace))
    given = args.workspace  # what the printed commands carry
    kept = {part.setup: kept_command(store, part, workspace=given) for part in ranking.parts or (ranking,)}
    if args.json:
        per_setup = {"kept_commands": kept} if ranking.parts else {}
        print_json(
            ranking_json(ranking, workspace=given)
            | {"blank": blank, "kept_command": kept_command(store, ranking, workspace=given)}
            | per_setup
        )
    else:
        records = [store.get(entry.run_id) for entry in ranking.entries]
        tested = {r.id: n_target_test(store.result_of(r)) for r in records}
        labels = {r.id: run_label(r) for r in records}
        print_ranking(
            ranking,
            blank,
            tested,
            alarms=args.alarms,
            kept=kept,
            labels=labels,
            scores=args.scores,
            workspace=given,
        )
    return 0


def report(store: RunStore, ranking: Ranking, *, workspace: str | None = None) -> str:
    """The Compare page's HTML report (:func:`tlcore.views.compare.comparison_report`) of the ranked
    runs, best first: the ranking, their results and where each one's predictions moved; its commands
    for the shell, with ``--workspace workspace`` when given."""
    from tlcore.runs.changes import moved_runs, predicted_samples, run_changes  # noqa: PLC0415 - loads torch
    from tlcore.views.compare import comparison_report  # noqa: PLC0415 - loads torch

    records = [store.get(entry.run_id) for entry in ranking.entries]
    labels = {record.id: run_label(record) for record in records}
    results = {labels[record.id]: store.result_of(record) for record in records}
    moved = moved_runs(
        (r.id for r in records), partial(run_changes, store), partial(predicted_samples, store)
    )
    return comparison_report(
        results, ranked=ranking, labels=labels, moved=moved, shell=True, workspace=workspace
    )


def ranking_json(ranking: Ranking, *, workspace: str | None = None) -> dict[str, Any]:
    """What ``--json`` prints: the ranking, the caveat the text prints with it (None without one; its
    command with ``--workspace workspace`` when given) and the alarms in one line
    (:func:`~tlcore.views.ranking.alarm_summary`; None when none is raised)."""
    caveat = blind_spot(ranking, shell=True, workspace=workspace)
    return ranking.to_dict() | {"caveat": caveat, "alarm_summary": alarm_summary(ranking)}


def print_ranking(
    ranking: Ranking,
    blank: str | None = None,
    tested: Mapping[str, int | None] | None = None,
    *,
    alarms: bool = False,
    kept: Mapping[str, str | None] | None = None,
    labels: Mapping[str, str] | None = None,
    scores: bool = False,
    workspace: str | None = None,
) -> None:
    """The ranking as text; ``blank``: the warning that the pair's target images are blank; ``tested``:
    each run's number of target test samples, for a line of the counts behind its target accuracies
    and their 95% intervals. The alarms are said in one line after the recommendation
    (:func:`~tlcore.views.ranking.alarm_summary`, as on the Compare page); ``alarms``: also each run's
    alarm under its row (dozens of lines on a large pair); ``kept``: by setup (``""`` for a pool of
    one), the command that makes the source-only model a mixed pool keeps a run
    (:func:`~tlcore.runs.candidates.kept_command`). A pool of several setups says each one's
    recommendation (:mod:`tlcore.selection.setups`) and groups the table's rows by setup. ``labels``
    (run id → label): the reasons and notes name those runs as Compare's tables do
    (:func:`~tlcore.views.run_names.named`); the choice and the table keep the ids to paste.
    ``scores``: also every validator's score of each run (:func:`scores_lines`), under the table. The
    caveat's ``predict`` command carries ``--workspace workspace`` when given."""
    count = len(ranking.entries)
    _prose(
        f"{ranking.source} -> {ranking.target}: {count} run{'s' if count != 1 else ''} ranked by "
        f"{ranked_in_place(ranking)} (every score: higher is better)"
    )
    if ranking.parts:
        _prose(named(ranking.reason, labels or {}), "recommended per setup: ", "  ")
    # a caveat every setup says is said once, after theirs
    shared, own = shared_caveats(ranking, shell=True, workspace=workspace)
    for part in ranking.parts or (ranking,):
        caveat = " ".join(own[part.setup]) or None
        _decision(
            part, (kept or {}).get(part.setup), f"  {part.setup}: " if part.setup else "", caveat, labels
        )
    if shared:
        _prose(" ".join(shared), "  caveat, every setup: ")
    if blank:
        _prose(blank, "  warning: ")
    summary = alarm_summary(ranking)
    hint = "" if alarms or summary is None else " (--alarms lists each run's reasons)"
    _prose(f"{summary or NONE_RAISED}{hint}", "  alarms: ")
    if ranking.entries and not _labelled(ranking):  # said once, not in every row of a column
        _prose(f"{UNLABELLED} for every run, so the table has no TARGET ACC column", "  target accuracy: ")
    _print_table(ranking, tested or {}, alarms)
    if scores:
        print("\n".join(["", "every validator's score of each run, by its # above:", *scores_lines(ranking)]))
    more = "" if scores else "; --scores: every validator's score of each run"
    print()
    _prose(f"columns (higher is better for every score{more}):")
    names = list(VALIDATORS) if scores else [ranking.settings.validator]
    for line in [*legend([*(VALIDATORS[n].label for n in names), "CLASSES", "ESS"]), *_legend(ranking)]:
        _prose(line, "  ", "    ")
    if unreliable := unreliable_line(ranking, {}):
        _prose(unreliable)
    for run_id, why in ranking.excluded:
        _prose(why, f"not ranked: {run_id}: ", "  ")


def _print_table(ranking: Ranking, tested: Mapping[str, int | None], alarms: bool) -> None:
    """:func:`ranking_table`, a pool of several setups' rows under their setup, each row's counts of
    target test samples (``tested``), its params note and, with ``alarms``, its alarm under it."""
    header, *rows = ranking_table(ranking)
    print(f"\n{header}")
    for row, entry in zip(rows, ranking.entries, strict=True):
        if ranking.parts and ranking.part_of(entry.run_id).entries[0] is entry:
            print(f"    {entry.setup}:")
        print(row)
        if counts := _counts(entry, tested.get(entry.run_id)):
            _prose(counts, "    ")
        if entry.params_note:  # not today's method defaults: not the run a launch of its config gives
            _prose(entry.params_note, "    ")
        for line in alarm_lines(entry.alarm) if alarms else ():
            _prose(line, "    ")


def ranking_table(ranking: Ranking) -> list[str]:
    """The table's header and one line per run: what decides (the ranking's score, the effective
    classes, the ESS behind DEV and IWCV, the target accuracies when some run has labels, the alarm), its
    METHOD cells cut to fit the terminal (:func:`~tlcore.cli.output.prose_width`; CLI audit: nine score
    columns made 164-column lines; :func:`scores_lines` has every score). Without any run's target
    accuracy there is no TARGET ACC column: ``- (target unlabelled)`` in every row squeezed METHOD
    (QA helper-279); :func:`print_ranking` says it once."""
    name = ranking.settings.validator
    labelled = _labelled(ranking)
    header = [" #", "RUN", "METHOD", VALIDATORS[name].label, "CLASSES", "ESS"]
    header += ["TARGET ACC", "ALARM"] if labelled else ["ALARM"]
    rows = [
        [
            str(position),
            entry.run_id,
            entry.method,
            validator_text(name, entry.scores.get(name)),
            classes_text(effective_classes(entry)),
            ess_text(entry.ess),
            *([_accuracy(entry)] if labelled else []),
            _alarm_word(entry),
        ]
        for position, entry in enumerate(ranking.entries, 1)
    ]
    lines = text_table(header, rows, right=(0, 3, 4, 5))
    over = max(map(display_width, lines)) - prose_width()
    if over > 0 and rows:
        cap = max(METHOD_MIN, max(display_width(row[2]) for row in rows) - over)
        lines = text_table(header, [[*r[:2], clipped(r[2], cap), *r[3:]] for r in rows], right=(0, 3, 4, 5))
    return lines


def scores_lines(ranking: Ranking) -> list[str]:
    """``--scores``: every validator's score of each run (by its ``#`` in the table above) and the
    ESS, in blocks of columns that each fit the terminal."""
    names = [n for n in VALIDATORS if any(n in e.scores for e in ranking.entries)]
    header = [" #", *(VALIDATORS[n].label for n in names), "ESS"]
    rows = [
        [str(i), *(validator_text(n, e.scores.get(n)) for n in names), ess_text(e.ess)]
        for i, e in enumerate(ranking.entries, 1)
    ]
    widths = [max(display_width(str(line[j])) for line in [header, *rows]) for j in range(len(header))]
    lines: list[str] = []
    for block in column_blocks(widths[1:], widths[0], prose_width()):
        keep = [0, *(j + 1 for j in block)]
        cells = [[r[j] for j in keep] for r in rows]
        table = text_table([header[j] for j in keep], cells, right=range(len(keep)))
        lines += [*([""] if lines else []), *table]
    return lines


def _alarm_word(entry: RankedRun) -> str:
    """The ALARM cell: ``yes``, ``no`` or ``no; outranked`` (the legend says what that means)."""
    if entry.alarm.raised:
        return "yes"
    return "no" if entry.outranked_by is None else f"no; {OUTRANKED_STATUS}"


def _legend(ranking: Ranking) -> list[str]:
    """The legend's lines of the columns the glossary does not word: TARGET ACC (with target labels)
    and ALARM."""
    lines = []
    if any(e.alarm.target_accuracy is not None for e in ranking.entries):
        lines.append(
            f"TARGET ACC: the adapted model's {TERMS['target_accuracy']}, its source-only model's in "
            "brackets; shown, never used to rank"
        )
    outranked = any(e.outranked_by is not None for e in ranking.entries)
    said = f"; {status_line(OUTRANKED_STATUS)}" if outranked else ""
    return [*lines, f"ALARM (the negative-transfer alarm): raised (yes) or not (no){said}"]


def _decision(
    ranking: Ranking, kept: str | None, setup: str, caveat: str | None, labels: Mapping[str, str] | None
) -> None:
    """What ``ranking`` (a pool of one setup, or a part named by ``setup``) recommends, why (its runs
    named by ``labels``), the command that keeps its source-only model (``kept``), its note and
    ``caveat``."""
    indent = "    " if setup else "  "
    _prose(ranking.choice, setup or "recommended: ", indent)
    _prose(named(ranking.reason, labels or {}), f"{indent}because: ")
    if kept:  # a command: never wrapped, so it pastes whole
        said = "to label data with it, make it a run (its baseline is cached: nothing trains)"
        print(f"{indent}{said}:\n    {kept}")
    if note := ranking.note():
        _prose(named(note, labels or {}), f"{indent}note: ")
    if caveat:
        _prose(caveat, f"{indent}caveat: ")


def _prose(text: str, first: str = "", rest: str | None = None) -> None:
    print("\n".join(wrapped(text, first, rest)))


def _labelled(ranking: Ranking) -> bool:
    """Whether some run of the pool has target accuracies to show (a TARGET ACC column)."""
    return any(_accuracy(entry) != UNLABELLED for entry in ranking.entries)


def _accuracy(entry: RankedRun) -> str:
    alarm = entry.alarm
    if alarm.target_accuracy is None or alarm.source_only_accuracy is None:
        return UNLABELLED  # as adapt and runs show say it
    return f"{alarm.target_accuracy:.1%} ({alarm.source_only_accuracy:.1%})"


def _counts(entry: RankedRun, n: int | None) -> str | None:
    """``target accuracy 7 of 8, 95% CI 52.9 to 97.8%; source-only 6 of 8, ...`` (None when unknown)."""
    adapted = counted(entry.alarm.target_accuracy, n)
    source_only = counted(entry.alarm.source_only_accuracy, n)
    if adapted is None or source_only is None:
        return None
    return f"target accuracy {adapted.detail()}; source-only {source_only.detail()}"


def alarm_lines(alarm: Alarm) -> list[str]:
    """The alarm in words: its reasons (or that none fired), the checks not made and why, and, with
    target labels, its verdict."""
    lines = [f"ALARM: {reason}" for reason in alarm.reasons] or ["no alarm"]
    lines += alarm.unchecked
    verdict = alarm.verdict()
    return lines if verdict is None else [*lines, f"({verdict})"]


def show_alarm(store: RunStore, record: RunRecord) -> tuple[dict[str, Any], list[str]]:
    """``runs show``'s alarm: its JSON (the alarm's dict and a ``note``; ``raised`` None when there
    is none) and its text lines."""
    try:
        alarm, note = run_alarm(store, record)
    except TLError as exc:
        alarm, note = None, str(exc)
    if alarm is None:
        return {"raised": None, "note": note}, [f"not available: {note}"]
    return {**alarm.to_dict(), "note": note}, [*alarm_lines(alarm), f"({note})"]
