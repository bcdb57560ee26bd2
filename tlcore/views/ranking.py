"""The ranking of a pair's runs and their negative-transfer alarms as tables and sentences (pure).

The app's Compare and Adapt pages, the HTML report and ``runs rank`` show these same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlcore.commands import command_line
from tlcore.metrics.mcnemar import shown_within_chance
from tlcore.numbers import SCORE_DIGITS, and_list, percent, plural, score_text
from tlcore.selection.alarm import Alarm
from tlcore.selection.pool import outvoted_reason
from tlcore.selection.ranking import RankedRun, Ranking
from tlcore.selection.reliability import ESS_DECIMALS, effective_samples, ess_text
from tlcore.selection.settings import VALIDATORS, WEIGHTED_LABELS
from tlcore.views.glossary import OUTRANKED_STATUS, STATUSES, status_line
from tlcore.views.ranking_caveats import blind_spot
from tlcore.views.report import Section
from tlcore.views.run_names import cut_names, named, short_labels, shown_label

NAMED = 5  # the most runs one sentence names; the tables name more
SCORE_FORMAT = f"%.{SCORE_DIGITS}g"  # the same as printf for the Compare page's number columns (scores < 100)
SOURCE_ACCURACY = VALIDATORS["source_accuracy"].label  # a validator that is an accuracy
# shares: percents in the report, the app and `runs rank` (a source accuracy read 0.661 beside 66.1%)
PERCENT_COLUMNS = ("target accuracy", "source-only accuracy", SOURCE_ACCURACY)
ESS_FORMAT = f"%.{ESS_DECIMALS}f"  # the Compare page's ESS column, as :func:`ess_text` writes it
CLASSES_FORMAT = "%.1f"  # the Compare page's classes column, as :func:`classes_text` writes it


def classes_text(classes: float | None) -> str:
    """An effective number of classes as every view writes it (:func:`effective_classes`): ``3.0``;
    "-" when missing (the report wrote ``3`` where ``runs rank`` wrote ``3.0``)."""
    return "-" if classes is None else f"{classes:.1f}"


REPORT_FORMATS = {
    **{v.label: score_text for v in VALIDATORS.values() if v.label not in PERCENT_COLUMNS},
    "ESS": ess_text,
    "classes": classes_text,
}
"""How the HTML report writes each score column, the ESS and the classes, as the page and ``runs rank``
show them."""


def validator_text(name: str, value: float | None) -> str:
    """Validator ``name``'s value as ``runs rank`` prints it: a share (:data:`PERCENT_COLUMNS`, the source
    accuracy) as a percent (``66.1%``), any other score by :func:`score_text`; "-" when missing."""
    if value is not None and VALIDATORS[name].label in PERCENT_COLUMNS:
        return percent(value)
    return score_text(value)


def effective_classes(entry: RankedRun) -> float | None:
    """The run's effective number of predicted target classes, the collapse check's value (its
    ``classes`` column here, ``CLASSES`` in ``runs rank``), to one decimal as both show it; None for
    an alarm without that check."""
    return next((round(c.after, 1) for c in entry.alarm.checks if c.name == "collapse"), None)


def status(entry: RankedRun, ranking: Ranking) -> str:
    """The run's standing in a word: ``recommended``, ``passes`` (its guardrails), ``outranked``
    (:data:`~tlcore.views.glossary.OUTRANKED_STATUS`, a mixed pool: passed, but its EnsV is below another
    config's source-only model's, so it is never recommended) or ``alarm``; in a pool of several setups,
    within the run's own (:meth:`~tlcore.selection.ranking.Ranking.part_of`)."""
    if entry.run_id == ranking.part_of(entry.run_id).recommended:
        return "recommended"
    if not entry.passed:
        return "alarm"
    return "passes" if entry.outranked_by is None else OUTRANKED_STATUS


def ranking_rows(
    ranking: Ranking, labels: Mapping[str, str], *, advanced: bool = False, brief: bool = False
) -> list[dict[str, Any]]:
    """One row per ranked run, best first: rank, run, verdict, the ranking score, every validator
    (the advanced ones when asked) with the effective sample size of the importance weights right
    after IWCV and DEV, the effective classes (:func:`effective_classes`, what the collapse check and
    the recommendation cite), and target accuracy beside source-only's when labelled, with whether the
    alarm was right (the sentence; ``brief``, the app's cells: :func:`alarm_check`'s word, and the alarm's
    reasons without an ensemble-agreement fall's paired counts, :attr:`Alarm.brief_reasons`): the
    columns of ``runs rank``."""
    shown = [v for v in VALIDATORS.values() if advanced or not v.advanced]
    last_weighted = [v.name for v in shown if v.weighted][-1]
    rows = []
    for position, entry in enumerate(ranking.entries, start=1):
        row: dict[str, Any] = {
            "rank": position,
            **({"setup": entry.setup} if ranking.parts else {}),
            "run": labels.get(entry.run_id, entry.run_id),
            "status": status(entry, ranking),
            "alarm": "; ".join(entry.alarm.brief_reasons if brief else entry.alarm.reasons),
        }
        for validator in shown:
            score = entry.scores.get(validator.name)
            row[validator.label] = None if score is None else score + 0.0  # no negative zero
            if validator.name == last_weighted:  # beside DEV and IWCV, the weights' ESS behind them
                row["ESS"] = entry.ess
        row["classes"] = effective_classes(entry)
        if entry.alarm.target_accuracy is not None:
            row["target accuracy"] = entry.alarm.target_accuracy
            row["source-only accuracy"] = entry.alarm.source_only_accuracy
            row["alarm right?"] = alarm_check(entry.alarm) if brief else entry.alarm.verdict()
        rows.append(row)
    return rows


def alarm_check(alarm: Alarm) -> str | None:
    """The alarm checked with the target labels in a table cell's few words: right, false alarm or
    missed (:meth:`~tlcore.selection.alarm.Alarm.verdict`'s), ``(within chance)`` after it where the
    paired test calls the change so (a "missed" fall of 0.3 points is no miss to act on), so the
    deciding columns fit a 1280 px window; the accuracies it judges are the columns before it, the
    change with its paired test the sentence (the flagged runs' expander, ``runs show RUN``, the HTML
    report); None without target labels."""
    verdict = alarm.verdict()
    if verdict is None or alarm.target_accuracy is None or alarm.source_only_accuracy is None:
        return None
    chance = shown_within_chance(alarm.target_accuracy, alarm.source_only_accuracy, alarm.paired)
    return verdict.partition(":")[0] + " (within chance)" * chance


def column_order(ranking: Ranking, rows: Sequence[Mapping[str, Any]], *, every: bool = False) -> list[str]:
    """The Compare page's order of :func:`ranking_rows`' columns, what decides first so a 1024 px window
    shows it whole: rank, run, status ("alarm" for a flagged run), the ranking validator's score (with
    ESS behind an importance-weighted one) and the guardrails' values (effective classes, source
    accuracy). The target accuracies and whether the alarm was right (hindsight, when labelled) are a
    table of their own (:func:`hindsight_order`): beside these they pushed the table past 1024 px. With
    ``every``, the other validators' scores and ESS follow, and the alarm's reasons last (when a run is
    flagged; the expander under the table says them whole). A pool of several setups is a table per
    setup (:func:`setup_tables`): no setup column."""
    present = [
        c for c in dict.fromkeys(key for row in rows for key in row) if c not in HINDSIGHT and c != "setup"
    ]
    score = VALIDATORS[ranking.settings.validator]
    lead = ("rank", "run", "status", score.label, *(("ESS",) * score.weighted), "classes")
    first = [c for c in (*lead, SOURCE_ACCURACY) if c in present]
    if not every:
        return first
    flagged = ["alarm"] if any(row.get("alarm") for row in rows) else []
    return [*first, *(c for c in present if c not in first and c != "alarm"), *flagged]


def setup_tables(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """:func:`ranking_rows`' rows as the Compare page's ranking tables: ``[(setup, its rows)]`` in ranking
    order, one per setup of a pool of several (each ranked on its own, as ``runs rank`` groups them), or
    ``[("", rows)]``. A setup column beside the deciding ones pushed a pool of two networks' table past a
    1024 px window (helper-245: 628 px of 562 by EnsV, 652 by IWCV; ``efficientnet_lite0`` is longer)."""
    tables: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        tables.setdefault(row.get("setup", ""), []).append(row)
    return list(tables.items()) or [("", [])]


HINDSIGHT = ("target accuracy", "source-only accuracy", "alarm right?")  # they read the target labels
HINDSIGHT_NOTE = "With the target labels, in hindsight (the ranking above never reads them):"  # over them


def hindsight_order(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The Compare page's second table under the ranking, of :func:`ranking_rows`' columns: each run with
    its target accuracy, its source-only model's and whether the alarm was right (:data:`HINDSIGHT`), so
    each table fits a 1024 px window; none (``[]``) when the target is unlabelled."""
    present = {key for row in rows for key in row}
    checked = [c for c in HINDSIGHT if c in present]
    return ["run", *checked] if checked else []


def rank_command(ranking: Ranking, run_id: str | None = None, *, workspace: str | None = None) -> str:
    """The ``runs rank`` command line that prints ``ranking`` (its pair and validator; ``run_id``:
    ranked among the runs covering that run's target samples), with ``--workspace workspace`` when given
    (:func:`~tlcore.commands.command_line`)."""
    words = ["runs", "rank", "--source", ranking.source, "--target", ranking.target]
    words += ["--validator", ranking.asked or ranking.settings.validator]  # as asked: it ranks the same
    if run_id is not None:
        words += ["--run", run_id]
    return command_line(*words, workspace=workspace)


def rank_by_caption(ranking: Ranking) -> str:
    """Under the validator picker, one caption of the validator that ranked: its words, led, where the
    ranking set the asked validator aside for BNM (an outvoted ensemble, :attr:`Ranking.asked`), by which
    validator ranked in whose place and why, in brief (the caveat says it whole), so the picker's EnsV
    is not described under it as what ranked."""
    ranked = VALIDATORS[ranking.settings.validator]
    if ranking.asked is None:
        return ranked.words
    return (
        f"Ranked by {ranked_in_place(ranking)} (the note below the recommendation says more). {ranked.words}."
    )


def ranked_in_place(ranking: Ranking) -> str:
    """The validator that ranked, and where the outvoted ensemble set the asked one aside
    (:attr:`Ranking.asked`) why, in brief (:func:`~tlcore.selection.pool.outvoted_reason`): ``BNM in
    EnsV's place: its ensemble holds 1 adapted model and 1 source-only model, too few adapted ones to
    judge by``; the Compare page's caption and ``runs rank``'s first line say it."""
    ranked = VALIDATORS[ranking.settings.validator].label
    if ranking.asked is None:
        return ranked
    return f"{ranked} in {VALIDATORS[ranking.asked].label}'s place: {outvoted_reason(ranking.ensemble)}"


def recommendation(ranking: Ranking, labels: Mapping[str, str]) -> str:
    """The recommendation in one sentence: which run, to keep the source-only model or none, and why;
    then the ranking's note (passing runs the validator does not score reliably), if any; in a pool of
    several setups, one such sentence per setup after why; each run of ``labels`` named as the tables
    name it (:func:`~tlcore.views.run_names.named`)."""
    if ranking.parts:
        said = " ".join(f"{p.setup}: {recommendation(p, labels)}" for p in ranking.parts)
        return named(f"One recommendation per setup: {ranking.reason}. {said}", labels)
    if ranking.recommended is not None:
        text = f"Recommended: {ranking.recommended}, {ranking.reason}."  # the reason says "the highest"
    else:
        choice = "no recommendation" if ranking.choice == "none" else ranking.choice
        text = f"{choice[0].upper()}{choice[1:]}: {ranking.reason}."
    note = ranking.note()
    return named(text if note is None else f"{text} {note}.", labels)


def kept_note(ranking: Ranking, run_id: str, labels: Mapping[str, str]) -> str | None:
    """Predict's note beside the picked run ``run_id``: that Compare keeps a source-only model instead of
    any run, in a pool of several setups of the picked run's setup only (:meth:`Ranking.part_of`), the
    model's run named as the tables name it (:func:`~tlcore.views.run_names.named`); None when that
    setup's choice is a run, or nothing."""
    part = ranking.part_of(run_id)
    if part.kept is None:
        return None
    among = f"any run of {part.setup}" if part.setup else "any run"
    return named(f"Compare recommends keeping the source-only model of run {part.kept}, not {among}.", labels)


def recommended_note(ranking: Ranking, run_id: str) -> str | None:
    """Predict's note under the picked run ``run_id`` when Compare recommends it (its setup's choice in a
    pool of several): the picker's "(recommended)" mark is cut off where the window is narrow; None for
    any other run."""
    if run_id not in ranking.recommended_runs:
        return None
    setup = ranking.part_of(run_id).setup
    among = f" (among the runs of {setup})" if setup else ""
    return f"Compare recommends this run for {ranking.source} → {ranking.target}{among}."


def unreliable_line(ranking: Ranking, labels: Mapping[str, str]) -> str | None:
    """One sentence, once, on the runs whose IWCV and DEV rest on too few effective samples of the
    importance weights (None when there is none): the one run's count, or the range of several runs'
    counts (one number when its ends round alike) with their names when :data:`NAMED` or fewer (each
    is in the ESS column; 62 names buried the recommendation), as the tables name them
    (:func:`~tlcore.views.run_names.named`). ``runs rank`` prints it too."""
    doubtful = [e for e in ranking.entries if e.unreliable and e.ess is not None]
    if not doubtful:
        return None
    names = [shown_label(e.run_id, labels) for e in doubtful]
    if len(doubtful) == 1:
        rests = f"{effective_samples(doubtful[0].ess, doubtful[0].n_weights)} ({names[0]})"
        which = ""
    else:
        least, most = min(e.ess for e in doubtful), max(e.ess for e in doubtful)
        low, high = ess_text(least), ess_text(most)
        spread = low if low == high else f"{low} to {high}"
        rests = f"{spread} effective samples"
        which = f" ({and_list(names)})" if len(names) <= NAMED else ""
    return (
        f"{WEIGHTED_LABELS} are unreliable for {len(doubtful)} of {plural(len(ranking.entries), 'run')}"
        f"{which}: "
        f"their importance weights rest on {rests}, fewer than {ranking.settings.min_ess:g} (the ESS "
        "column), so a few source samples decide those scores."
    )


def alarm_lines(ranking: Ranking, labels: Mapping[str, str]) -> dict[str, str]:
    """``{run id: "Negative transfer suspected for RUN: ..."}`` for every run whose alarm is raised, the
    run named as the tables name it, with whether it was right when the target is labelled."""
    lines = {}
    for entry in ranking.entries:
        if entry.alarm.raised:
            text = f"Negative transfer suspected for {shown_label(entry.run_id, labels)}: "
            text += "; ".join(entry.alarm.reasons + entry.alarm.unchecked)
            verdict = entry.alarm.verdict()
            lines[entry.run_id] = text + (f" (with the target labels: {verdict})" if verdict else "")
    return lines


def false_alarms(ranking: Ranking) -> set[str]:
    """Ids of the runs whose raised alarm the target labels contradict (the target accuracy did not
    fall): shown as a caution, not as an error."""
    return {e.run_id for e in ranking.entries if e.alarm.raised and e.alarm.correct is False}


NONE_RAISED = "none raised."
"""What ``runs rank`` and Compare say of the alarms when none is raised (:func:`alarm_summary` is None)."""
NO_ALARM = f"Negative-transfer alarms: {NONE_RAISED}"
"""Compare's and the HTML report's line when no alarm is raised: said, so it does not read as not computed."""


def alarm_summary(ranking: Ranking) -> str | None:
    """The raised alarms in one line, said after the recommendation and before their detail (one box
    per alarm buried it): how many runs are flagged and, with target labels, how many of those are
    false alarms (:func:`false_alarms`); None when no alarm is raised."""
    raised = [e for e in ranking.entries if e.alarm.raised]
    if not raised:
        return None
    false = len(false_alarms(ranking))
    one = len(ranking.entries) == 1  # one run is said as one: not "1 of 1 run", "1 of them"
    text = "Negative transfer suspected for " + (
        "the one run" if one else f"{len(raised)} of {plural(len(ranking.entries), 'run')}"
    )
    if false:
        many = f"{false} of them {'a false alarm' if false == 1 else 'false alarms'}"
        which = "a false alarm" if one else many
        text += f", {which} by the target labels (the target accuracy did not fall)"
    elif any(e.alarm.correct is not None for e in raised):
        text += f", {'not' if one else 'none of them'} a false alarm by the target labels"
    return f"{text}."


def alarm_rows(ranking: Ranking, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per raised alarm, in ranking order: the run (named as the ranking table names it), why
    (:func:`alarm_lines`' reasons) and, when the target is labelled, whether the alarm was right."""
    rows = []
    for entry in ranking.entries:
        if entry.alarm.raised:
            row = {"run": shown_label(entry.run_id, labels), "why": "; ".join(entry.alarm.reasons)}
            if (verdict := entry.alarm.verdict()) is not None:
                row["with the target labels"] = verdict
            rows.append(row)
    return rows


def not_ranked(ranking: Ranking, labels: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Compare's line on each of the pair's runs the ranking leaves out (:attr:`Ranking.excluded`), the run
    named as the tables name it, with its label whole where that cuts it (the line's help), else None."""
    lines = []
    for run_id, why in ranking.excluded:
        label, shown = labels.get(run_id, run_id), shown_label(run_id, labels)
        lines.append((f"Not ranked: {shown}: {why}", label if shown != label else None))
    return lines


def all_false_alarms(ranking: Ranking) -> bool:
    """Whether the target labels contradict every raised alarm: a caution then, not an error."""
    return all(e.run_id in false_alarms(ranking) for e in ranking.entries if e.alarm.raised)


def report_sections(
    ranking: Ranking, labels: Mapping[str, str], *, shell: bool = False, workspace: str | None = None
) -> list[Section]:
    """The ranking in the HTML report: the recommendation first, then the alarms in one line (a flag;
    a neutral aside when the target labels contradict them all, or :data:`NO_ALARM` when none is raised)
    beside the unreliable scores' line, then the table, whose alarm column holds each run's reasons, each
    status saying what it means on hover, an "outranked" one in a line under the table too (Compare's
    status help, :func:`~tlcore.views.glossary.status_line`); each run named as Compare's tables name it
    (:func:`~tlcore.views.run_names.short_label`), a cut label whole on hover; its caveat says where to
    check as ``shell`` and ``workspace`` have it (:func:`~tlcore.views.ranking_caveats.blind_spot`)."""
    note = recommendation(ranking, labels)
    caveat = blind_spot(ranking, shell=shell, workspace=workspace)
    summary = [alarm_summary(ranking) or NO_ALARM]
    cautions = all_false_alarms(ranking)  # True too when none is raised
    rows = ranking_rows(ranking, short_labels(labels))
    outranked = any(row["status"] == OUTRANKED_STATUS for row in rows)
    return [
        Section(
            "Which run to keep, without target labels", note=note if caveat is None else f"{note} {caveat}"
        ),
        Section(
            "",
            table=rows,
            percent_columns=PERCENT_COLUMNS,
            formats=REPORT_FORMATS,
            titles={"status": {status: status_line(status) for status in STATUSES}, "run": cut_names(labels)},
            legend=[status_line(OUTRANKED_STATUS)] if outranked else [],
            flags=[*([] if cautions else summary), *filter(None, [unreliable_line(ranking, labels)])],
            asides=summary if cautions else [],
        ),
    ]
