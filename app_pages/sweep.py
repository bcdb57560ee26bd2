"""Sweep: many runs as one experiment. Define a grid on the current pair, follow it live, read its
results per configuration (mean ± std over seeds) and open any trial in Compare."""

from functools import partial
from typing import Any

import streamlit as st

from app_support import display, engine, estimate, kept_model, live, state, sweep_actions, sweeps
from tlcore.adapt.config import BOUNDS, AdaptConfig, format_value
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.methods import MethodSpec
from tlcore.model_names import AUTO_RULE
from tlcore.models import list_models
from tlcore.numbers import plural
from tlcore.runs.driver import progress_line
from tlcore.runs.executors import BOUNDS as EXECUTOR_BOUNDS
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.search import BOUNDS as SEARCH_BOUNDS
from tlcore.runs.search import SEARCH_KINDS, Search
from tlcore.runs.summary import PERCENT_COLUMNS, SweepSummary
from tlcore.runs.sweep import DEFAULT_SEEDS, SweepSpec, parse_compositions
from tlcore.runs.sweep_selection import HINDSIGHT_KEY, SCORE_KEY
from tlcore.views import sweep_figures
from tlcore.views.glossary import column_help
from tlcore.views.ranking import SCORE_FORMAT
from tlcore.views.report import UNKNOWN
from tlcore.views.sweep import (
    PER_SETUP,
    configs_csv,
    configs_frame,
    outscored_line,
    rule,
    setup_lines,
    trials_frame,
)

DEFAULTS = AdaptConfig.defaults()
SEARCH, EXECUTOR = Search(), ExecutorSettings()  # their defaults: the search's seed and round size, CPUs
SEEDS = ",".join(map(str, DEFAULT_SEEDS))
VALUES_HELP = (
    "Comma-separated values, e.g. `0.1,0.3,1`: every combination becomes a configuration. Empty: the "
    "registry's default. A random or Optuna search also takes a range `LOW:HIGH[:log][:int]`."
)
# QA at 1024 px: the whole id was cut ("20261207-222"), a trial not started yet read "None"
RUN_HELP = (
    "The end of the trial's run id, as Compare and the run cards name it (`runs show` takes it); —: none yet"
)
MAX_CONCURRENT_HELP = (
    "Trials handed to the executor at once. Empty (auto): the workspace's run slots (local), the "
    "cluster's CPUs / CPUs per trial (ray)."
)


def number_column(column: str) -> dict[str, Any]:
    """A metric column: a share as a percent (the engine's ``summary.PERCENT_COLUMNS``, its numbers
    :func:`display.stepped`), the selection score as Compare's scores, or 4 significant digits, with its
    name in plain words on hover."""
    written = SCORE_FORMAT if column.startswith(SCORE_KEY) else "%.4g"
    shown = display.PERCENT if column in PERCENT_COLUMNS else st.column_config.NumberColumn(format=written)
    return {**shown, "help": column_help(column)}


def worded(columns: list[str]) -> dict[str, dict[str, Any]]:
    """The columns whose short names need words (``lr``, ``passed``, ``dann.weight``), with them on hover."""
    return {c: st.column_config.Column(help=words) for c in columns if (words := column_help(c))}


def value_inputs(method: MethodSpec) -> dict[str, str]:
    """One input per hyper-parameter of ``method``, as text (``""``: the registry's default): a
    multiselect for a choice or a flag, else comma-separated values."""
    values: dict[str, str] = {}
    defaults, choices = method.defaults(), method.choices()
    for (name, default), column in zip(defaults.items(), st.columns(max(len(defaults), 1)), strict=False):
        key = f"{method.name}.{name}"
        placeholder = f"default: {format_value(default)}"
        if name in choices or isinstance(default, bool):
            options = list(choices.get(name, (True, False)))
            picked = column.multiselect(name, options, key=form_key(key, []), placeholder=placeholder)
            values[key] = ",".join(map(str, picked))
        else:
            values[key] = column.text_input(
                name, key=form_key(key, ""), placeholder=placeholder, help=VALUES_HELP
            )
    return values


def form_key(part: str, default: Any) -> str:
    """The widget key of one field of the form (:func:`state.sweep_key`), starting at ``default`` and
    kept across pages (:func:`state.form_default`)."""
    return state.form_default(state.sweep_key(part), default)


def open_in_compare(run_ids: list[str]) -> None:
    state.compare_runs(run_ids)
    st.switch_page("app_pages/compare.py", query_params=state.pair_params())


st.title("Sweep")
source_spec, target_spec = state.pair()
st.caption(
    f"Source {display.esc(source_spec)} → target {display.esc(target_spec)}. Methods x hyper-parameters x "
    "seeds as one experiment: every trial is an ordinary run (Compare shows it), and "
    f"`{engine.command('sweeps', 'show', 'ID')}` prints the same table."
)

# ---- define ------------------------------------------------------------------------------------------

specs = {m.name: m for m in engine.method_specs()}
plan: SweepSpec | None = None
settings: ExecutorSettings | None = None
with st.container(border=True):
    st.markdown("#### Define a sweep")
    methods = st.text_input(
        "Methods or compositions",
        key=form_key("compositions", "+".join(RECOMMENDED.methods)),
        help="Comma-separated; `+` combines methods into one run, e.g. `deep_coral+im,dann+im`. "
        f"Registered: {', '.join(specs)}.",
    )
    compositions: tuple[tuple[str, ...], ...] = ()
    with display.errors_shown():
        compositions = parse_compositions(methods)
    values: dict[str, str] = {}
    tuned = [name for name in dict.fromkeys(m for c in compositions for m in c) if specs[name].defaults()]
    if tuned:
        st.caption(f"Values to try per hyper-parameter. {VALUES_HELP}")
        for name in tuned:
            st.markdown(f"**{name}**")
            values |= value_inputs(specs[name])

    budget_cols = st.columns(4)
    budget: dict[str, Any] = {
        "epochs": budget_cols[0].number_input(
            "Epochs", *BOUNDS["epochs"], key=form_key("epochs", DEFAULTS["epochs"])
        ),
        "batch_size": budget_cols[1].number_input(
            "Batch size", *BOUNDS["batch_size"], key=form_key("batch_size", DEFAULTS["batch_size"])
        ),
        "lr": budget_cols[2].number_input(
            "Learning rate", *BOUNDS["lr"], format="%g", step=1e-4, key=form_key("lr", DEFAULTS["lr"])
        ),
    }
    seeds = budget_cols[3].text_input(
        "Seeds",
        key=form_key("seeds", SEEDS),
        help="Each configuration runs once per seed: `0,1,2` or `0-4`.",
    )
    networks = st.columns(2)[0].multiselect(
        "Networks",
        ["auto", *list_models()],
        key=form_key("model", []),
        placeholder=f"default: {DEFAULTS['model']}",
        help=f"auto: {AUTO_RULE}. Several: one sweep per network, each with its own recommendation.",
    )
    if len(networks) > 1:
        values["model"] = ",".join(networks)
    elif networks:
        budget["model"] = networks[0]

    search_cols = st.columns([2, 1, 1, 1])
    kind = search_cols[0].radio("Search", SEARCH_KINDS, horizontal=True, key=form_key("search", SEARCH.kind))
    n, search_seed, batch = None, SEARCH.seed, SEARCH.batch
    if kind != "grid":
        n = search_cols[1].number_input(
            "Points per composition", *SEARCH_BOUNDS["n"], key=form_key("n", SEARCH.n)
        )
        search_seed = search_cols[2].number_input(
            "Seed of the draws", *SEARCH_BOUNDS["seed"], key=form_key("search_seed", SEARCH.seed)
        )
    if kind == "optuna":
        batch = search_cols[3].number_input(
            "Points per Optuna round", *SEARCH_BOUNDS["batch"], key=form_key("batch", SEARCH.batch)
        )

    executor_cols = st.columns(4)
    executor = executor_cols[0].selectbox(
        "Executor",
        sweeps.executors(),
        key=form_key("executor", EXECUTOR.kind),
        help="local: each trial a background run under the workspace's run slots. ray: each trial a Ray "
        "task on an embedded loopback-only cluster, or on the cluster at $TLSTUDIO_RAY_ADDRESS.",
    )
    max_concurrent = executor_cols[1].number_input(
        "Trials at once",
        *EXECUTOR_BOUNDS["max_concurrent"],
        key=form_key("max_concurrent", EXECUTOR.max_concurrent),
        placeholder="auto",  # "default" showed as "defaul" in its 35 px at 1024 px; the help says whose
        help=MAX_CONCURRENT_HELP,
    )
    cpus = EXECUTOR.cpus_per_trial
    if executor == "ray":
        cpus = executor_cols[2].number_input(
            "CPUs per trial",
            *EXECUTOR_BOUNDS["cpus_per_trial"],
            key=form_key("cpus_per_trial", EXECUTOR.cpus_per_trial),
        )

    if compositions:  # else its error box is already shown
        with display.errors_shown():
            settings = ExecutorSettings.resolve(
                executor, None, max_concurrent=max_concurrent, cpus_per_trial=cpus
            )
            search = Search(kind, n, search_seed, batch)
            plan = sweeps.plan(
                source_spec, target_spec, methods, values, search=search, seeds=seeds, budget=budget
            )
    if plan is not None:
        per_seed = plan.planned_trials() // len(plan.seeds)
        bound = "" if plan.search.kind == "grid" else "at most "
        st.metric("Planned trials", plan.planned_trials())
        st.caption(f"{bound}{plural(per_seed, 'configuration')} x {plural(len(plan.seeds), 'seed')}")
    sweep_estimate = estimate.slot()  # filled after the launch button
    if st.button("Launch the sweep", type="primary", icon=":material/rocket_launch:", disabled=plan is None):
        assert plan is not None and settings is not None
        with display.errors_shown():
            sweeps.pick(sweeps.launch(plan, settings))
            trials = plural(plan.planned_trials(), "trial")
            st.toast(f"Sweep launched: {trials}", icon=":material/rocket_launch:")
    estimate.fill(sweep_estimate, estimate.sweep_line(plan, settings) if plan and settings else None)

# ---- follow ------------------------------------------------------------------------------------------


def status_panel(summary: SweepSummary) -> None:
    """The sweep's status, progress, its buttons (cancel, resume, stop a hung driver), and every trial with
    its state."""
    sweep = summary.sweep
    info, actions = st.columns([3, 1])
    with info:
        st.badge(sweep.status, color=display.STATUS_COLOURS[sweep.status])
        st.progress(summary.progress, text=display.esc(progress_line(summary)))
        if sweep.error:
            st.caption(display.esc_code(sweep.error))  # `sweeps resume` as code, not in backticks (QA)
    sweep_actions.show(sweep, actions)
    trials = trials_frame(summary)
    columns = ["key", "status", "progress", HINDSIGHT_KEY, SCORE_KEY, "error", "run_id"]
    config = {
        "key": "trial",
        "progress": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0),
        HINDSIGHT_KEY: number_column(HINDSIGHT_KEY),
        SCORE_KEY: number_column(SCORE_KEY),
        "run_id": st.column_config.TextColumn("run", help=RUN_HELP),
    }
    shown = [c for c in columns if c in trials.columns]
    ends = trials["run_id"].map(lambda run: run[-6:] if isinstance(run, str) else None)  # as cards name it
    rows = display.stepped(trials.assign(run_id=ends).to_dict("records"), config)
    st.dataframe(rows, hide_index=True, column_order=shown, column_config=config, placeholder=UNKNOWN)


def follow_live(sweep_id: str) -> bool:
    """:func:`status_panel` of the sweep as it stands (:func:`live.live_panel` redraws it every 2 s);
    False once a trial ended or its status changed since the page's last full run, so the whole page
    reruns and the results below follow."""
    summary = sweeps.follow(sweep_id)
    status_panel(summary)
    return sweeps.milestone(summary) == st.session_state.get(state.SWEEP_SEEN)


def offer(sweep_id: str) -> None:
    """While the page shows a still sweep: the live one offered, not followed (keyed: its label moves)."""
    st.info("A sweep is live; the page stays on the one shown.", icon=":material/info:")
    line = sweeps.offer_line(sweep_id)
    if st.button(line, key=f"follow_{sweep_id}", on_click=sweeps.follow_instead, args=(sweep_id,)):
        st.rerun()  # from the idle look's fragment: the whole page follows


st.subheader("Sweeps")
live_now = sweeps.live_ids()
sweeps.notice_started(live_now)
if not sweeps.count():
    st.info("No sweeps yet: define one above and press Launch.", icon=":material/info:")
    live.idle_watch(partial(sweeps.live_changed, live_now))  # a sweep launched from the CLI shows up
    st.stop()
find_column, page_column = st.columns([3, 1])
find = find_column.text_input(
    "Find a sweep",
    key=state.form_default(state.SWEEP_FIND, ""),
    placeholder="a method, a spec, a status, a date (2026-12-05) or an id",
    help="Every word must be part of the sweep's id, status, source or target spec, a composition "
    "(deep_coral+im) or its creation time (2026-12-05 14:30).",
    on_change=state.first_sweep_page,
)
total = sweeps.count(find)
pages = sweeps.pages(find, live_now)
page = 1
if pages > 1:
    page = page_column.number_input(
        f"Page (of {pages})",
        1,
        pages,
        key=state.choice_default(state.SWEEP_PAGE, list(range(1, pages + 1)), 1),
        help=f"{sweeps.PAGE_SIZE} sweeps a page, newest first",
    )
records = sweeps.page_of(find, int(page))
offered = sweeps.listing(records, live_now)  # the live ones first, the pick last: whatever the filter
if not records:
    st.info(display.esc(sweeps.unmatched_line(find, offered, live_now)), icon=":material/search_off:")
    st.button("Show every sweep", icon=":material/filter_alt_off:", on_click=state.newest_sweeps)
    if not offered:
        live.idle_watch(partial(sweeps.live_changed, live_now))
        st.stop()
else:
    st.caption(sweeps.listed_line(total, find, int(page), records, live_now))
sweep_id = sweeps.choose(offered, records)  # the sidebar's pair's sweeps named without it
summary = sweeps.follow(sweep_id)
st.session_state[state.SWEEP_SEEN] = sweeps.milestone(summary)
if summary.sweep.active:  # redrawn every 2 s; the page reruns when a trial ends and when the sweep does
    live.live_panel(partial(follow_live, sweep_id))
else:  # still; a sweep started, resumed or ended elsewhere reruns the page within 10 s
    status_panel(summary)
    live.idle_watch(partial(sweeps.live_changed, live_now), partial(offer, live_now[0]) if live_now else None)

# ---- results -----------------------------------------------------------------------------------------

if not any(config.n_done for config in summary.configs):
    ended = f"{summary.no_recommendation}."
    st.caption(ended[:1].upper() + ended[1:] if summary.finished else "Results appear here as trials finish.")
    st.stop()
st.subheader("Results")
st.caption(f"`{engine.command('sweeps', 'show', summary.sweep.id)}` prints this table.")
ruled = rule(summary.scored_by)  # one validator on every seed where its pools rank by two
if setups := setup_lines(summary):  # a sweep over networks or target labels: one recommendation per setup
    box = st.success if any(summary.recommended_by_setup.values()) else st.warning
    box(
        display.esc(f"Recommended without target labels, {PER_SETUP} ({ruled}: the passed column):")
        + "".join(f"\n- **{display.esc(line)}**" for line in setups),
        icon=":material/verified:",
    )
elif summary.recommended:
    st.success(
        f"Recommended without target labels ({ruled}: the passed column): "
        f"**{display.esc(summary.recommended)}**",
        icon=":material/verified:",
    )
else:
    why = str(summary.no_recommendation)
    st.warning(f"{why[:1].upper()}{why[1:]}.", icon=":material/verified:")
# none without a recommendation
if outscored := outscored_line(summary, workspace=engine.command_workspace()):
    st.caption(display.esc(outscored))
for setup, found in summary.fallback_by_setup.items():  # a kept source-only model: made a run as on Compare
    for fallback in found:
        kept_model.offer(fallback.ranking, f"sweep_make_kept_run_{setup}_{fallback.run_id}")
if setups and any(summary.best_by_setup.values()):
    best = "; ".join(f"{setup}: {key or '-'}" for setup, key in summary.best_by_setup.items())
    st.info(
        display.esc(f"Best in hindsight by mean target accuracy (needs target labels), per setup: {best}"),
        icon=":material/visibility:",
    )
elif summary.best_in_hindsight:
    same = " (the same configuration)" if summary.best_in_hindsight == summary.recommended else ""
    st.info(
        f"Best in hindsight by mean target accuracy (needs target labels): "
        f"**{display.esc(summary.best_in_hindsight)}**{same}",
        icon=":material/visibility:",
    )
table = configs_frame(summary)
metrics = [c for c in table.columns if c.endswith((" mean", " std"))]
config = {
    **worded([c for c in table.columns if c not in metrics]),
    "recommended": st.column_config.CheckboxColumn("recommended", help="chosen without target labels"),
    "best_in_hindsight": st.column_config.CheckboxColumn("best in hindsight", help="by target accuracy"),
    **{c: number_column(c) for c in metrics},
}
marks = ("recommended", "best_in_hindsight")
st.dataframe(
    display.stepped(table.to_dict("records"), config),
    hide_index=True,
    column_order=[*marks, *[c for c in table.columns if c not in marks]],
    column_config=config,
)
st.download_button(
    "Table (CSV)",
    configs_csv(summary),
    f"sweep-{summary.sweep.id}.csv",
    "text/csv",
    icon=":material/table:",
    on_click="ignore",
)
heatmap = sweep_figures.heatmap(summary)
if heatmap is not None:
    st.plotly_chart(heatmap, key="sweep_heatmap")
strip = sweep_figures.strip(summary)
if strip is not None:
    event = st.plotly_chart(
        strip, key=f"sweep_strip_{summary.sweep.id}", on_select="rerun", selection_mode="points"
    )
    clicked = [str(run_id) for run_id in display.selected_values(event)]
    if clicked:
        open_in_compare(clicked[:1])

done = {row.run.id: row.trial.key for row in summary.trials if row.run is not None and row.status == "done"}
if done:
    # a third for the button: in a quarter at 1000 px it read "Open in C…" (QA)
    pick, open_column = st.columns([2, 1], vertical_alignment="bottom")
    recommended = summary.config(next(filter(None, summary.recommended_by_setup.values()), None))
    first = next((i for i in (recommended.run_ids if recommended else []) if i in done), next(iter(done)))
    trial = pick.selectbox("Trial", list(done), index=list(done).index(first), format_func=done.get)
    if open_column.button("Open in Compare", icon=":material/compare:"):
        open_in_compare([trial])
