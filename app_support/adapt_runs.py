"""The Adapt page's runs panel: the pair's newest runs as cards (progress, live curves, cancel; a done
run's accuracy against source-only and its warnings; the negative-transfer alarm), what the panel leaves
out, and whether a run it lists is live."""

from __future__ import annotations

import itertools
from functools import partial

import streamlit as st

from app_support import display, engine, live, run_actions, run_cards
from tlcore.adapt.source_only_run import is_source_only
from tlcore.events import progress_words
from tlcore.numbers import first_named, plural
from tlcore.runs.record import RunRecord
from tlcore.views import compare, run_tables

NO_CURVES = {  # a run without curves yet, or ever, by its status
    "queued": "Queued: the run has not started yet; its curves appear after its first epoch.",
    "running": "Curves appear after the first epoch.",
    "done": "The run recorded no epoch.",
    "failed": "No epoch ended before the run failed.",  # not "the run was failed" (the others: was STATUS)
}


def done_info(record: RunRecord) -> None:
    """A done run's card: its target accuracy against source-only (a source-only run's alone), its
    network, its warnings; its bar full without words (its badge says done)."""
    st.progress(1.0)
    card = run_cards.finished(record)
    if card.network:
        st.caption(display.esc(card.network))
    if older := run_tables.older_version_text(record.config, record.resolved_params):
        st.caption(display.sentence(older))
    change = compare.accuracy_change(record.headline)
    if change is not None:
        own = is_source_only({"config": record.config})  # its own baseline: "+0.0 pts vs source-only" (QA)
        st.metric(  # the split and its size on the help: in a third of the page they were cut (QA)
            "Target accuracy",
            f"{record.headline['target_accuracy']:.1%}",
            None if own else f"{100 * change:+.1f} pts vs source-only",
            delta_arrow="auto" if change else "off",
            delta_color="normal" if change else "off",
            help=f"{card.accuracy_label}: scored on the target's held-out test split, "
            "as on Compare; Predict scores every labelled sample of the data it labels.",
        )
    if record.headline.get("target_accuracy") is None:  # audit helper-275: the card said nothing of it
        st.caption(display.esc(compare.UNLABELLED_CARD))
    if card.shared:  # scored on, or adapted to, source training samples: a warning
        note, swayed = card.shared
        if swayed:
            st.warning(display.sentence(note), icon=":material/content_copy:")
        else:
            st.caption(display.sentence(note))
    if card.one_class:  # as Predict warns
        st.warning(display.sentence(card.one_class), icon=":material/warning:")


RUNS_SHOWN = 8  # the pair's newest runs the panel lists
PAIRS_NAMED = 3  # other pairs named beside the panel, those with the newest runs


def runs_left_out(source: str, target: str) -> str | None:
    """What the runs panel does not list, and how to see it: the pair's runs beyond its newest
    :data:`RUNS_SHOWN`, and other pairs' runs (the :data:`PAIRS_NAMED` with the newest runs named), its
    commands in backticks (:func:`app_support.display.esc_code` shows them as code); None when it lists
    every run of the workspace."""
    pairs = engine.store().pairs()
    ours = sum(n for s, t, n in pairs if (s, t) == (source, target))
    others = [(s, t, n) for s, t, n in pairs if (s, t) != (source, target)]
    parts = []
    if ours > RUNS_SHOWN:
        parts.append(
            f"The newest {RUNS_SHOWN} of this pair's {ours} runs are listed "
            f"(`{engine.command('runs', 'list', '--source', source, '--target', target)}` lists them all)."
        )
    if others:
        runs = sum(n for *_, n in others)
        pairs_runs = [f"{s} → {t}: {plural(n, 'run')}" for s, t, n in others]
        named = first_named(pairs_runs, PAIRS_NAMED, "pair", sep="; ")
        parts.append(
            f"Only the sidebar pair's runs are listed here: {plural(runs, 'run')} of "
            f"{plural(len(others), 'other pair')} {'is' if runs == 1 else 'are'} not ({named}). "
            "Set a pair's source and target in the sidebar to list its runs, or see every run with "
            f"`{engine.command('runs', 'list')}`."
        )
    return " ".join(parts) or None


def runs_changed(source: str, target: str, listed: tuple[str, ...]) -> bool:
    """Whether a run the panel lists (the pair's newest :data:`RUNS_SHOWN`) is queued or running, or it
    would list other runs than ``listed`` (one deleted elsewhere: another session, the CLI's ``runs
    delete``); a run whose worker is gone is closed first."""
    records = engine.recent_runs(RUNS_SHOWN, source, target)
    return any(record.active for record in records) or tuple(record.id for record in records) != listed


def runs_panel(source: str, target: str) -> None:
    """The pair's recent runs with their progress, live curves and a cancel button (QA helper-142:
    another pair's runs were listed under this pair). The cards of queued and running runs, a group
    of them where they follow each other, redraw themselves every :data:`~app_support.live.LIVE_EVERY`
    s (:func:`live_cards`); an ended run's card is drawn with the page alone (helper-255: while one run
    trained, every card and chart was drawn again every 2 s). With none live, a look every
    :data:`~app_support.live.IDLE_EVERY` s for a run started or deleted elsewhere."""
    records = engine.recent_runs(RUNS_SHOWN, source, target)
    if not records:
        st.info("No runs of this pair yet: choose methods above and press Launch.", icon=":material/info:")
    flagged = engine.alarms(records)
    listed = tuple(record.id for record in records)
    for active, group in itertools.groupby(records, key=lambda record: record.active):
        if active:
            live.live_panel(partial(live_cards, source, target, listed, tuple(r.id for r in group)))
        else:
            for record in group:
                run_card(record, flagged.get(record.id))
    if not any(record.active for record in records):  # a run launched or deleted elsewhere: a rerun
        live.idle_watch(partial(runs_changed, source, target, listed))


def live_cards(source: str, target: str, listed: tuple[str, ...], run_ids: tuple[str, ...]) -> bool:
    """The cards of the live runs ``run_ids`` as they stand, from one read of the panel's list; False
    (the page reruns) once one of them ended or the panel would list other runs than ``listed`` (one
    launched elsewhere, one closed stale)."""
    records = engine.recent_runs(RUNS_SHOWN, source, target)
    shown = [record for record in records if record.id in run_ids]
    for record in shown:
        run_card(record, None)  # only a done run is ranked: no alarm
    return tuple(r.id for r in records) == listed and all(record.active for record in shown)


ENDED_BOXES = {  # an ended run's reason by its status: only a failure is red
    "cancelled": (st.info, ":material/stop_circle:"),  # asked for
    "interrupted": (st.warning, ":material/warning:"),  # its worker died or the machine restarted
    "failed": (st.error, ":material/error:"),
}


def ended_box(record: RunRecord) -> None:
    """Why the cancelled, interrupted or failed run ``record`` ended, in its status's box
    (:data:`ENDED_BOXES`): an interrupted run is neither the user's doing nor the method's failure."""
    box, icon = ENDED_BOXES[record.status]
    box(display.esc(record.error or record.status), icon=icon)


def run_card(record: RunRecord, alarm: tuple[str, bool] | None) -> None:
    """One run's card: its name, status and pair, progress (a cancel button) or outcome, its curves and
    its negative-transfer ``alarm`` (sentence, false alarm) if raised."""
    label = engine.run_label(record)
    with st.container(border=True):
        info, curves = st.columns([1, 2])
        with info:
            display.breakable_title(label)
            st.badge(record.status, color=display.STATUS_COLOURS[record.status])
            st.caption(f"{display.esc(record.source)} → {display.esc(record.target)}")
            if record.active:
                doing = progress_words(record.stage, record.message)
                st.progress(record.progress, text=display.esc(doing[:80]))
                run_actions.cancel_button(record)
            elif record.status == "done":
                done_info(record)
            else:
                ended_box(record)
        with curves:
            figure, reused = run_cards.curves(record, label)
            if figure is not None:
                st.plotly_chart(figure, key=f"curves_{record.id}")
            if reused:
                trained = (
                    "its epochs are that training's" if figure is not None else "this run trained no epoch"
                )
                st.caption(
                    "Source-only baseline reused from the cache (trained by an earlier run with the "
                    f"same source, model and settings): {trained}."
                )
            elif figure is None:
                st.caption(
                    NO_CURVES.get(record.status, f"No epoch ended before the run was {record.status}.")
                )
        run_actions.stop_button(record)  # under both columns too, like the alarm below
        # the alarm under both columns: in the left one, a 1024 px window wrapped it in 40 lines (QA)
        if alarm is not None:
            line, false_alarm = alarm
            box = st.warning if false_alarm else st.error
            box(display.esc(line), icon=":material/flag:")
