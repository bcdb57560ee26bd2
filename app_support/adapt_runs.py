"""The Adapt page's runs panel: the pair's newest runs as cards (progress, live curves, cancel; a done
run's accuracy against source-only and its warnings; the negative-transfer alarm), what the panel leaves
out, and whether a run it lists is live."""

from __future__ import annotations

import streamlit as st

from app_support import display, engine, run_actions, run_cards
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
    network, its warnings."""
    st.progress(1.0, text="finished")
    if network := run_cards.network_line(record):
        st.caption(display.esc(network))
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
            help=f"{run_cards.target_accuracy_label(record)}: scored on the target's held-out test split, "
            "as on Compare; Predict scores every labelled sample of the data it labels.",
        )
    if shared := run_cards.shared_note(
        record
    ):  # scored on, or adapted to, source training samples: a warning
        note, swayed = shared
        if swayed:
            st.warning(display.sentence(note), icon=":material/content_copy:")
        else:
            st.caption(display.sentence(note))
    if one_class := run_cards.one_class_warning(record):  # as Predict warns
        st.warning(display.sentence(one_class), icon=":material/warning:")


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


def runs_live(source: str, target: str) -> bool:
    """Whether a run the panel lists (the pair's newest :data:`RUNS_SHOWN`) is queued or running; a run
    whose worker is gone is closed first."""
    return any(record.active for record in engine.recent_runs(RUNS_SHOWN, source, target))


def runs_panel(source: str, target: str) -> bool:
    """The pair's recent runs with their progress, live curves and a cancel button (QA helper-142:
    another pair's runs were listed under this pair); whether one of them is queued or running."""
    records = engine.recent_runs(RUNS_SHOWN, source, target)
    if not records:
        st.info("No runs of this pair yet: choose methods above and press Launch.", icon=":material/info:")
        return False
    flagged = engine.alarms(records)
    for record in records:
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
                elif record.status == "cancelled":  # asked for, not a failure
                    st.info(display.esc(record.error or "cancelled"), icon=":material/stop_circle:")
                else:
                    st.error(display.esc(record.error or record.status), icon=":material/error:")
            with curves:
                figure, reused = run_cards.curves(record, label)
                if figure is not None:
                    st.plotly_chart(figure, key=f"curves_{record.id}")
                if reused:
                    trained = (
                        "its epochs are that training's"
                        if figure is not None
                        else "this run trained no epoch"
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
            if record.id in flagged:
                line, false_alarm = flagged[record.id]
                box = st.warning if false_alarm else st.error
                box(display.esc(line), icon=":material/flag:")
    return any(record.active for record in records)
