"""Compare: done runs side by side, before vs after, with downloads."""

from collections import Counter

import streamlit as st

from app_support import compare_figures, display, engine, moves, state
from app_support.compare_numbers import numbers_and_downloads
from app_support.compare_ranking import ranking_section
from tlcore.adapt.source_only_run import is_source_only
from tlcore.views import changes, chart_text, compare, gaps, overlap_lines, run_names

CONFUSIONS = 3  # confusion matrices side by side
OTHER_PAIRS = 50  # the newest runs of any pair offered when the pair has none
COLOUR_BY = {"domain": "Domain", "label": "Class", "prediction": "Prediction"}


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
    st.info("No done runs yet: launch some on the Adapt page.", icon=":material/info:")
    st.page_link("app_pages/adapt.py", label="Go to Adapt", icon=":material/model_training:")
    st.stop()

labels = {r.id: engine.run_label(r) for r in records}
ranked = None
if on_pair:
    focus = opened[0].id if opened_pair else None  # ranked among the runs covering its target samples
    ranked = ranking_section(pair, focus, labels)

first = [r for r in ranked.recommended_runs if r in labels] if ranked is not None else []
default = [i for i in requested if i in labels] or list(dict.fromkeys(first + [r.id for r in on_pair]))[:4]
if not default:  # never another pair's run unasked: its numbers would read as this pair's
    # its runs that have not finished, as a returning user left them (QA: a failed one went unsaid)
    stand = Counter(r.status for r in engine.store().list(source=pair[0], target=pair[1]))
    said = ", ".join(f"{n} {status}" for status, n in stand.items())
    st.info(
        display.esc(
            f"No done run of {pair[0]} → {pair[1]} yet"
            + (f" ({said}: the Adapt page shows each)" if said else "")
            + ": launch one on the Adapt page, or choose runs of other pairs below."
        ),
        icon=":material/info:",
    )
# each run named as the tables name it (a chip held the recipe's five methods), whole in the help
chosen = st.multiselect(
    "Runs",
    list(labels),
    default=default,
    format_func=lambda run_id: run_names.shown_label(run_id, labels),
    help=display.esc(run_names.run_help(labels, labels)),
)
if not chosen:
    st.stop()

with display.errors_shown():
    run_ids = tuple(chosen)
    results = engine.results(run_ids)
    # swayed by source training samples
    if inflated := overlap_lines.inflated_line(results, labels, workspace=engine.command_workspace()):
        st.warning(display.esc(inflated), icon=":material/content_copy:")
    if unchecked := overlap_lines.unchecked_line(results, labels):  # older runs of one dataset: not checked
        st.warning(display.esc(unchecked), icon=":material/content_copy:")
    for note in compare.params_notes(r for r in records if r.id in chosen):  # not today's method defaults
        st.caption(display.esc(f"{note}."))
    for label in compare.negative_transfer(results):
        box = st.warning if compare.within_chance(results[label]) else st.error
        box(display.esc(compare.negative_transfer_line(label, results[label])), icon=":material/flag:")
    accuracy, gap = compare_figures.accuracy(run_ids), compare_figures.gap(run_ids)
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
                st.info(compare.UNLABELLED_ACCURACY, icon=":material/info:")
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
        before, after = compare_figures.umap(run_ids, umap_label, colour_by or "domain")
        left, right = st.columns(2)
        left.plotly_chart(before, key="umap_before")
        right.plotly_chart(after, key="umap_after")

    per_class = compare_figures.per_class(run_ids)
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
            for label, confusion in compare_figures.confusions(run_ids, tuple(shown)).items():
                with st.container(width=chart_text.min_width(confusion) if together else "stretch"):
                    st.plotly_chart(confusion, key=f"confusion_{label}")

    run_id = {labels[i]: i for i in chosen}[umap_label]
    with display.errors_shown():
        source_only = {i for i in chosen if is_source_only(results[labels[i]])}
        moved_predictions(run_id, chosen, labels, source_only)

    numbers_and_downloads(results, chosen, labels, ranked, run_id)
