"""Compare: finished runs side by side, before vs after, with downloads."""

import streamlit as st

from app_support import display, engine, kept_model, moves, state
from tlcore.adapt.source_only_run import is_source_only
from tlcore.metrics.gap import GAP_METRICS
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.settings import VALIDATORS
from tlcore.views import changes, chart_text, compare, gaps, overlap_lines, ranking_caveats, run_names
from tlcore.views import ranking as ranking_view
from tlcore.views.glossary import column_help
from tlcore.views.report import UNKNOWN

CONFUSIONS = 3  # confusion matrices side by side
OTHER_PAIRS = 50  # the newest runs of any pair offered when the pair has none
COLOUR_BY = {"domain": "Domain", "label": "Class", "prediction": "Prediction"}
ON_TARGET = f"on the target's held-out test split; {UNKNOWN} when the run's target has no labels"
PAIRED = f"{UNKNOWN} when the target has no labels or the run is older than the paired test"
GAP = st.column_config.NumberColumn(format="%.3g")
SHARES = {  # short headers, so the numbers table's columns at a glance fit a 1024 px window (QA)
    "target_accuracy": ("target acc", f"adapted model; {ON_TARGET}"),
    "source_only_accuracy": ("source-only", f"the source-only model; {ON_TARGET}"),
    "difference": ("change", f"target accuracy minus source-only's; {ON_TARGET}"),
    "source_accuracy": ("source acc", "adapted model, on the source's held-out validation split"),
}
COLUMNS = {
    **{  # the columns the report writes as percents too
        name: {**display.PERCENT, "label": SHARES[name][0], "help": SHARES[name][1]}
        for name in compare.PERCENT_COLUMNS
    },
    "target_correct": st.column_config.TextColumn(help=f"right of the target test samples; {ON_TARGET}"),
    "target_accuracy_95ci": st.column_config.TextColumn(
        help="95% Wilson score interval of the target accuracy: where the accuracy on all such target "
        "samples lies, given the test split's count"
    ),
    "source_only_correct": st.column_config.TextColumn(help=f"the source-only model; {ON_TARGET}"),
    "right_to_wrong": st.column_config.NumberColumn(
        help=f"target test samples the source-only model gets right and the adapted one wrong; {PAIRED}"
    ),
    "wrong_to_right": st.column_config.NumberColumn(
        help=f"target test samples the source-only model gets wrong and the adapted one right; {PAIRED}"
    ),
    "mcnemar_p": st.column_config.NumberColumn(
        format="%.2g",
        help="exact McNemar test of the adapted against the source-only model on the same target test "
        f"samples: at 0.05 or above, the difference is within chance; {PAIRED}",
    ),
    "seconds": st.column_config.NumberColumn(
        format="%.0f", help="seconds the run trained and evaluated, data in hand (loading it: load_seconds)"
    ),
    "load_seconds": st.column_config.NumberColumn(format="%.1f"),
    **{f"{metric}_{when}": GAP for metric in GAP_METRICS for when in ("before", "after")},
}


def moved_predictions(run_id: str, chosen: list[str], labels: dict[str, str], source_only: set[str]) -> None:
    """Where ``run_id``'s target predictions moved (``python -m tlcore runs changes``), with a look at
    the samples of one flow; a run of ``source_only`` against another run only (its own source-only
    model is itself: nothing moves), and "both adapted" only when neither is one. Runs are named as the
    ranking table names them."""
    labels = run_names.short_labels(labels)
    st.subheader("Where the predictions moved, without target labels")
    st.caption(
        "Each row: target samples one model calls FROM and the other TO. Adapting is meant to move "
        "samples, so most flows are corrections; a shift can also tip a whole group the wrong way, "
        "and no score tells which: look at the samples."
    )
    others = [i for i in chosen if i != run_id]
    if run_id in source_only and not others:
        st.info(
            f"{labels[run_id]} is a source-only run: its model is its own source-only model, so nothing "
            "moved. Pick an adapted run above, or add one to the runs compared.",
            icon=":material/info:",
        )
        return
    adapted = run_id not in source_only
    against = st.selectbox(
        f"{labels[run_id]} against",
        [*([None] if adapted else []), *others],
        format_func=lambda i: (
            "its source-only model"
            if i is None
            else f"{labels[i]}{' (both adapted)' if adapted and i not in source_only else ''}"
        ),
    )
    moved = moves.changes(run_id, against)
    st.write(display.esc(changes.headline(moved, labels)))
    flows = moved.changes.flows()[: changes.TOP_FLOWS]
    if not flows:
        return
    shares = {"share of from": display.PERCENT}
    st.dataframe(
        display.stepped(changes.flow_rows(moved, top=changes.TOP_FLOWS), shares),
        hide_index=True,
        column_config=shares,
    )
    flow = st.selectbox("Look at a flow", flows, format_func=lambda f: changes.flow_label(moved, f))
    target = moves.changed_samples(moved)
    if target is None:
        st.info("The target data no longer gives the samples this run predicted.", icon=":material/info:")
        return
    if target.is_image:
        st.image(changes.flow_grid(moved, target, flow), width="stretch")
    else:
        st.caption(display.esc(changes.flow_note(moved, target, flow)))
        st.dataframe(changes.flow_table(moved, target, flow), hide_index=True)


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


st.title("Compare")
requested = state.runs_to_compare()  # "open in Compare" on another page (Sweep)
opened = engine.done_runs(requested)
opened_pair = state.opened_pair(opened)
pair = opened_pair or state.pair()  # runs opened from another page are ranked among their own pair's
on_pair = engine.store().done_runs(*pair)  # all of them, as ranked: each is labelled and can be picked
records = on_pair + [r for r in opened if r.id not in {p.id for p in on_pair}]
if not records:  # none of the pair's: other pairs' newest, picked by hand below
    records = engine.store().list(status="done", limit=OTHER_PAIRS)
if not records:
    st.info("No finished runs yet: launch some on the Adapt page.", icon=":material/info:")
    st.page_link("app_pages/adapt.py", label="Go to Adapt", icon=":material/model_training:")
    st.stop()

labels = {r.id: engine.run_label(r) for r in records}
ranked = None
if on_pair:
    st.subheader("Which run to keep, without target labels")
    ranked_pair(pair, opened_pair is not None)
    left, right = st.columns([3, 2])  # in a third at 1000 px the toggle's label was cut (QA)
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
        format_func=lambda name: VALIDATORS[name].words,
        help="Every run first has to pass the guardrails (no collapse, source accuracy kept, ensemble "
        "agreement not below source-only's); the passing runs are ranked by this validator.",
    )
    focus = opened[0].id if opened_pair else None  # ranked among the runs covering its target samples
    ranked = engine.ranking(*pair, validator, focus)
    assert ranked is not None  # the pair has done runs
    if instead := ranking_view.ranked_by(ranked):  # the picker reads EnsV, the table ranks by BNM
        left.caption(display.esc(instead))
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
    collapsed = any(part.collapsed_choice() for part in ranked.parts or (ranked,))
    if (caveat := ranking_caveats.blind_spot(ranked)) and not collapsed:
        st.caption(display.esc(caveat))
    elif caveat:  # the model the ranking leaves you with predicts collapsed classes
        st.warning(display.esc(caveat), icon=":material/warning:")
    if unreliable := ranking_view.unreliable_line(ranked, labels):
        st.warning(display.esc(unreliable), icon=":material/warning:")
    if alarmed := ranking_view.alarm_summary(ranked):  # one line: each run's reasons below the table
        box = st.warning if ranking_view.all_false_alarms(ranked) else st.error
        box(display.esc(alarmed), icon=":material/flag:")
    else:  # said, so no alarm reads apart from alarms not computed
        st.caption(ranking_view.NO_ALARM)
    # a recipe's five methods cut (its id kept): in full the pinned run column pushed the last off 1280 px
    rows = ranking_view.ranking_rows(ranked, run_names.short_labels(labels), advanced=advanced, brief=True)
    ranking_columns = {
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
    shown = display.stepped(rows, ranking_columns)
    order = ranking_view.column_order(ranked, rows, every=every)
    st.dataframe(shown, hide_index=True, column_order=order, column_config=ranking_columns)
    if hindsight := ranking_view.hindsight_order(rows):  # beside the ranking: past a 1024 px window (QA)
        st.caption(ranking_view.HINDSIGHT_NOTE)
        st.dataframe(shown, hide_index=True, column_order=hindsight, column_config=ranking_columns)
    if alarmed:
        with st.expander("Why each flagged run is flagged", icon=":material/flag:"):
            flagged = {"run": ranking_columns["run"]}  # cut as the table's, whole in the help
            st.dataframe(ranking_view.alarm_rows(ranked, labels), hide_index=True, column_config=flagged)
    for line, whole in ranking_view.not_ranked(ranked, labels):
        st.caption(display.esc(line), help=whole and display.esc(whole))
    st.caption("The same ranking from the command line:")
    st.code(ranking_view.rank_command(ranked, focus), language="bash", wrap_lines=True)

first = [r for r in ranked.recommended_runs if r in labels] if ranked is not None else []
default = [i for i in requested if i in labels] or list(dict.fromkeys(first + [r.id for r in on_pair]))[:4]
if not default:  # never another pair's run unasked: its numbers would read as this pair's
    st.info(
        display.esc(
            f"No finished run of {pair[0]} → {pair[1]} yet: launch one on the Adapt page, or choose "
            "runs of other pairs below."
        ),
        icon=":material/info:",
    )
chosen = st.multiselect("Runs", list(labels), default=default, format_func=labels.get)
if not chosen:
    st.stop()

with display.errors_shown():
    results = engine.results(tuple(chosen))
    if inflated := overlap_lines.inflated_line(results, labels):  # swayed by source training samples
        st.warning(display.esc(inflated), icon=":material/content_copy:")
    if unchecked := overlap_lines.unchecked_line(results, labels):  # older runs of one dataset: not checked
        st.warning(display.esc(unchecked), icon=":material/content_copy:")
    for note in compare.params_notes(r for r in records if r.id in chosen):  # not today's method defaults
        st.caption(display.esc(f"{note}."))
    for label in compare.negative_transfer(results):
        box = st.warning if compare.within_chance(results[label]) else st.error
        box(display.esc(compare.negative_transfer_line(label, results[label])), icon=":material/flag:")
    accuracy = compare.accuracy_figure(results) if compare.accuracies(results)[0] else None
    gap = gaps.gap_figure(results)
    # side by side where both fit at the width they read at, else one under the other (QA: five runs
    # in half a row at 1000 px, the accuracy labels ran into each other, CORAL's ticks into MMD²'s bars)
    width = max(chart_text.min_width(fig) for fig in (accuracy, gap) if fig is not None)
    with st.container(horizontal=True):
        with st.container(width=width):
            if accuracy is not None:
                st.plotly_chart(accuracy, key="accuracy")
                if note := compare.small_test_note(results):
                    st.caption(display.esc(note))
            else:
                st.info("The target is unlabelled, so target accuracy is unknown.", icon=":material/info:")
        with st.container(width=width):
            st.plotly_chart(gap, key="gap")
            if disagree := gaps.gap_disagreement(results):
                st.caption(display.esc(disagree))

    st.subheader("Before and after, in the model's feature space")
    pick, colour = st.columns([1, 2])
    umap_label = pick.selectbox(
        "Run",
        list(results),
        format_func=run_names.short_label,
        help=display.esc(run_names.run_help(labels, chosen)),
    )
    colour_by = colour.segmented_control(
        "Colour by", list(COLOUR_BY), default="domain", format_func=COLOUR_BY.get
    )
    result = results[umap_label]
    if result.get("umap_before") and result.get("umap_after"):
        before, after = compare.umap_figures(result, colour_by or "domain")
        left, right = st.columns(2)
        left.plotly_chart(before, key="umap_before")
        right.plotly_chart(after, key="umap_after")

    per_class = compare.per_class_figure(results)
    if per_class is not None:
        st.plotly_chart(per_class, key="per_class")
        shown = st.multiselect(
            "Confusion matrices of",
            list(results),
            default=list(results)[:CONFUSIONS],
            max_selections=CONFUSIONS,
            format_func=run_names.short_label,
            help=display.esc(
                f"At most {CONFUSIONS} side by side; the HTML report holds every run's. "
                + run_names.run_help(labels, chosen)
            ),
        )
        # each at the width it reads at, the next row where the page is too narrow (QA: three at 169 px)
        together = compare.confusion_columns(results, shown) > 1
        with st.container(horizontal=together):
            for label in shown:
                confusion = compare.confusion_figure(label, results[label])
                if confusion is not None:
                    with st.container(width=chart_text.min_width(confusion) if together else "stretch"):
                        st.plotly_chart(confusion, key=f"confusion_{label}")

    run_id = {labels[i]: i for i in chosen}[umap_label]
    with display.errors_shown():
        source_only = {i for i in chosen if is_source_only(results[labels[i]])}
        moved_predictions(run_id, chosen, labels, source_only)

    heading, toggle = st.columns([3, 1], vertical_alignment="bottom")
    heading.subheader("Numbers and downloads")
    every = toggle.toggle(  # off, the table fits a 1024 px window (QA: 27 columns, 3168 px in 562)
        "All numbers",
        key=state.form_default(state.COMPARE_ALL_NUMBERS, False),
        help="Off, the table shows each run's accuracies, their change and its seconds. On, every column "
        "of the CSV: the counts and 95% interval, the paired test, the gaps before and after, the epochs "
        "and the loading time; the table then scrolls sideways.",
    )
    rows = compare.summary_rows(results)
    numbers = {
        **COLUMNS,
        "run": st.column_config.TextColumn(  # a recipe's methods cut, its id kept, as the ranking's
            pinned=True,
            width=display.text_width(run_names.short_label(row["run"]) for row in rows),
            help=display.esc(run_names.run_help(labels, chosen)),
        ),
    }
    summary = display.stepped([row | {"run": run_names.short_label(row["run"])} for row in rows], numbers)
    order = compare.summary_order(rows, every=every)
    st.dataframe(summary, hide_index=True, column_order=order, column_config=numbers, placeholder=UNKNOWN)
    left, middle, right = st.columns(3)
    middle.download_button(
        "Metrics (CSV)",
        compare.metrics_csv(results),
        "tlstudio-metrics.csv",
        "text/csv",
        icon=":material/table:",
        on_click="ignore",  # see the report's button
    )
    right.download_button(
        "Report (HTML)",
        display.report_on_click(
            lambda: compare.comparison_report(
                results, ranked=ranked, labels=labels, moved=moves.moved(chosen)
            ),
            "the comparison report",
        ),
        "tlstudio-report.html",
        "text/html",
        icon=":material/description:",
        on_click="ignore",  # a rerun re-registered it: a click just after another download found nothing
    )
    checkpoint = engine.store().checkpoint_path(run_id)
    if checkpoint is not None:
        left.download_button(
            "Checkpoint",  # "Checkpoint of deep_coral · 84f06e" was cut in a third of the page (QA)
            checkpoint.read_bytes,
            f"{run_id}.pt",
            "application/octet-stream",
            icon=":material/download:",
            on_click="ignore",
            help=display.esc(f"The model of {umap_label} ({run_id}.pt)"),
        )
