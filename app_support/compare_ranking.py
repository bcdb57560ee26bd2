"""Compare's ranking section, "Which run to keep, without target labels": which pair is ranked, the
validator picker and column toggles, the recommendation with its caveats and alarms, the ranking table
(and its hindsight table when the target is labelled), why each flagged run is flagged, the runs left
out and the same ranking's command line."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_support import display, engine, kept_model, state
from app_support.compare_numbers import COLUMNS
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.ranking import Ranking
from tlcore.selection.settings import VALIDATORS
from tlcore.views import ranking as ranking_view
from tlcore.views import ranking_caveats, run_names
from tlcore.views.glossary import column_help

SOURCE = VALIDATORS["source_accuracy"]
SOURCE_HEADER = "src acc"  # the ranking's narrow header of the source accuracy, its words on hover


def ranked_pair(pair: tuple[str, str], opened: bool) -> None:
    """Which pair the ranking is of: the runs opened from another page, or the sidebar's."""
    shown = f"The runs of {pair[0]} → {pair[1]}"
    sidebar = state.pair()
    if not opened:
        st.caption(display.esc(f"{shown}, the sidebar's pair."))
    elif pair == sidebar:
        st.caption(display.esc(f"{shown}, the pair of the runs opened in Compare and the sidebar's."))
    else:
        text, back = st.columns([4, 1], vertical_alignment="center")
        text.caption(
            display.esc(
                f"{shown}, the pair of the runs opened in Compare "
                f"(the sidebar's pair is {sidebar[0]} → {sidebar[1]})."
            )
        )
        back.button("Back to the sidebar's pair", on_click=state.compare_runs, args=([],))


def ranking_columns(rows: list[dict[str, Any]], ranked: Ranking, labels: dict[str, str]) -> dict[str, Any]:
    """The ranking table's column configs for its ``rows``: the rank and run pinned, each run's label
    whole in the run column's help, short headers with their words in help, text columns as wide as
    their longest cell."""
    return {
        "rank": st.column_config.Column(pinned=True),  # both in sight when the table scrolls sideways
        "run": st.column_config.TextColumn(
            pinned=True,
            width=display.text_width(row["run"] for row in rows),
            help=display.esc(run_names.run_help(labels, (entry.run_id for entry in ranked.entries))),
        ),
        "alarm": st.column_config.TextColumn(width="medium"),  # in full in the expander below
        # short headers, as `runs rank`'s: each table fits a 1024 px window
        "target accuracy": {**COLUMNS["target_accuracy"], "label": "target acc"},
        "source-only accuracy": {**COLUMNS["source_only_accuracy"], "label": "source-only"},
        **{
            v.label: st.column_config.NumberColumn(format=ranking_view.SCORE_FORMAT, help=v.words)
            if v.label not in ranking_view.PERCENT_COLUMNS
            else {**display.PERCENT, "help": v.words}  # an accuracy: 66.1%, as runs rank and the report
            for v in VALIDATORS.values()
        },
        # "source acc" took a ranking by DEV or IWCV with a run recommended to 565 px of 562 (helper-245)
        ranking_view.SOURCE_ACCURACY: {
            **display.PERCENT,
            "label": SOURCE_HEADER,
            "help": SOURCE.words.replace(SOURCE.label, SOURCE_HEADER, 1),
        },
        "ESS": st.column_config.NumberColumn(format=ranking_view.ESS_FORMAT, help=column_help("ESS")),
        "classes": st.column_config.NumberColumn(
            format=ranking_view.CLASSES_FORMAT, help=column_help("classes")
        ),
        "alarm right?": st.column_config.TextColumn(  # each cell whole (a false alarm ranked 23rd too)
            width=display.text_width(["alarm right?", *(row.get("alarm right?") for row in rows)]),
            help=column_help("alarm right?"),
        ),
        "status": st.column_config.TextColumn(  # each cell whole, "outranked" ranked 23rd too
            width=display.text_width(["status", *(row["status"] for row in rows)]),
            help=column_help("status"),
        ),
    }


def pickers(left: DeltaGenerator, right: DeltaGenerator) -> tuple[str, bool, bool]:
    """The validator picker in ``left`` (its caption, of the validator that ranked, is the section's), the
    advanced validators' and all columns' toggles in ``right``: ``(validator, advanced, every column)``."""
    advanced = right.toggle(
        "Advanced validators",
        key=state.form_default(state.COMPARE_ADVANCED, False),
        help="They can rank a collapsed model first: "
        + "; ".join(v.words for v in VALIDATORS.values() if v.advanced),
    )
    names = [v.name for v in VALIDATORS.values() if advanced or not v.advanced]
    every = right.toggle(  # off, the deciding columns fit a 1024 px window (QA: CLASSES was off screen)
        "All ranking columns",
        key=state.form_default(state.COMPARE_ALL_COLUMNS, False),
        help="Off, the table shows what decides: the ranking's score and the guardrails' values (with "
        "target labels, the accuracies are the table under it). On, it adds the other validators' scores, "
        "ESS and each flagged run's reasons (also under the table); the table then scrolls sideways.",
    )
    validator = left.selectbox(
        "Rank by",
        names,
        key=state.choice_default(state.COMPARE_VALIDATOR, names, SelectionSettings().validator),
        format_func=lambda name: VALIDATORS[name].name_words,  # its sentence under it: cut at 1024 px
        help="Every run first has to pass the guardrails (no collapse, source accuracy kept, ensemble "
        "agreement not below source-only's); the passing runs are ranked by this validator.",
    )
    return validator, advanced, every


def recommended(ranked: Ranking, pair: tuple[str, str], labels: dict[str, str]) -> str | None:
    """The recommendation, the source-only model it keeps (offered as a run), a button to label data on
    Predict with each recommended run, the ranking's caveats and the alarms in one line (returned; None
    when none is raised)."""
    if ranked.recommended_runs:
        box, icon = st.success, ":material/verified:"
    elif ranked.choice == "none":  # runs passed, but the validator scores none of them reliably
        box, icon = st.info, ":material/help:"
    else:  # no run passed the guardrails: keep the source-only model
        box, icon = st.warning, ":material/undo:"
    box(display.esc(ranking_view.recommendation(ranked, labels)), icon=icon)
    for part in ranked.parts or (ranked,):  # mixed configs: a source-only model is kept (per setup)
        kept_model.offer(part, f"compare_make_kept_run{part.setup}")
    for chosen in [r for r in ranked.recommended_runs if r in engine.model_runs(*pair)]:  # one per setup
        setup = ranked.part_of(chosen).setup  # "" in a pool of one network and label budget
        if st.button(
            f"Label data with {run_names.shown_label(chosen, labels)}{setup and f' ({setup})'} on Predict",
            key=f"compare_label_with_{chosen}",
            icon=":material/label:",
            help=f"Predict preselects this run, {labels[chosen]}: label new data with it, or export its "
            "model",
        ):
            state.predict_with(chosen)
            st.switch_page("app_pages/predict.py", query_params=state.pair_params())
    if blank := engine.blank_target(*pair):  # the scores read a blank target as certainty
        st.warning(display.esc(blank), icon=":material/warning:")
    # a kept source-only model that is collapsed: the recommendation says it (no box beside it)
    collapsed = any(
        (part.collapsed_choice() or ("",))[0] == "recommended" for part in ranked.parts or (ranked,)
    )
    if (caveat := ranking_caveats.blind_spot(ranked)) and not collapsed:
        st.caption(display.esc_code(caveat))  # any `code` in it as code
    elif caveat:  # the model the ranking recommends predicts collapsed classes
        st.warning(display.esc_code(caveat), icon=":material/warning:")
    if unreliable := ranking_view.unreliable_line(ranked, labels):
        st.warning(display.esc(unreliable), icon=":material/warning:")
    if alarmed := ranking_view.alarm_summary(ranked):  # one line: each run's reasons below the table
        box = st.warning if ranking_view.all_false_alarms(ranked) else st.error
        box(display.esc(alarmed), icon=":material/flag:")
    else:  # said, so no alarm reads apart from alarms not computed
        st.caption(ranking_view.NO_ALARM)
    return alarmed


def ranking_section(pair: tuple[str, str], focus: str | None, labels: dict[str, str]) -> Ranking:
    """The section on ``pair``'s done runs (it has some), each named by its label in ``labels`` as the
    tables name it; ``focus``: the run opened from another page, ranked among the runs covering its
    target samples (None: the sidebar's pair, every run). Returns the ranking shown."""
    st.subheader("Which run to keep, without target labels")
    ranked_pair(pair, focus is not None)
    left, right = st.columns([3, 2])  # in a third at 1000 px the toggle's label was cut (QA)
    validator, advanced, every = pickers(left, right)
    ranked = engine.ranking(*pair, validator, focus)
    assert ranked is not None  # the pair has done runs
    # the validator that ranked: BNM where the picker reads EnsV and its ensemble is outvoted
    left.caption(display.esc(ranking_view.rank_by_caption(ranked)))
    alarmed = recommended(ranked, pair, labels)
    # a recipe's five methods cut (its id kept): in full the pinned run column pushed the last off 1280 px
    rows = ranking_view.ranking_rows(ranked, run_names.short_labels(labels), advanced=advanced, brief=True)
    columns = ranking_columns(rows, ranked, labels)
    shown = display.stepped(rows, columns)
    order = ranking_view.column_order(ranked, rows, every=every)
    for setup, table in ranking_view.setup_tables(shown):  # a pool of several setups: each its own table
        if setup:
            st.caption(display.esc(f"The runs of {setup}, ranked on their own:"))
        st.dataframe(table, hide_index=True, column_order=order, column_config=columns)
    if hindsight := ranking_view.hindsight_order(rows):  # beside the ranking: past a 1024 px window (QA)
        st.caption(ranking_view.HINDSIGHT_NOTE)
        st.dataframe(shown, hide_index=True, column_order=hindsight, column_config=columns)
    if alarmed:
        with st.expander("Why each flagged run is flagged", icon=":material/flag:"):
            flagged = {"run": columns["run"]}  # cut as the table's, whole in the help
            st.dataframe(ranking_view.alarm_rows(ranked, labels), hide_index=True, column_config=flagged)
    for line, whole in ranking_view.not_ranked(ranked, labels):
        st.caption(display.esc(line), help=whole and display.esc(whole))
    st.caption("The same ranking from the command line:")
    st.code(
        ranking_view.rank_command(ranked, focus, workspace=engine.command_workspace()),
        language="bash",
        wrap_lines=True,
    )
    return ranked
