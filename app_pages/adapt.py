"""Adapt: choose methods and settings, launch background runs, follow them live, cancel them."""

from typing import Any

import streamlit as st

from app_support import display, engine, state
from tlcore.adapt.config import AdaptConfig
from tlcore.methods import RECOMMENDED_RECIPE, MethodSpec
from tlcore.models import list_models
from tlcore.runs import jobs
from tlcore.views import compare, figures

STATUS_COLOUR = {
    "queued": "gray",
    "running": "blue",
    "done": "green",
    "failed": "red",
    "cancelled": "orange",
    "interrupted": "orange",
}
DEFAULT_METHODS = ["deep_coral", "dann"]


def param_inputs(method: MethodSpec) -> dict[str, Any]:
    """One input per hyper-parameter of ``method`` (a select box for a choice), at the registry's defaults."""
    values: dict[str, Any] = {}
    defaults, choices = method.defaults(), method.choices()
    for (name, default), column in zip(defaults.items(), st.columns(max(len(defaults), 1)), strict=False):
        key = f"param_{method.name}_{name}"
        if name in choices:
            options = choices[name]
            values[name] = column.selectbox(name, options, index=options.index(default), key=key)
        elif isinstance(default, bool):
            values[name] = column.checkbox(name, value=default, key=key)
        elif isinstance(default, int):
            values[name] = column.number_input(name, value=default, step=1, key=key)
        elif isinstance(default, float):
            step = abs(default) / 10 if default else 0.01
            values[name] = column.number_input(name, value=default, step=step, format="%g", key=key)
        else:
            values[name] = column.text_input(name, value=str(default), key=key)
    return values


st.title("Adapt")
source_spec, target_spec = state.pair()
st.caption(f"Source {display.esc(source_spec)} → target {display.esc(target_spec)}")

specs = {m.name: m for m in engine.method_specs()}
with st.container(border=True):
    chosen = st.multiselect(
        "Methods",
        list(specs),
        default=[m for m in DEFAULT_METHODS if m in specs],
        format_func=lambda name: f"{name} · {specs[name].family}",
        help="Each method becomes its own background run, compared against the same source-only model.",
    )
    for name in chosen:
        st.caption(f"**{name}**: {specs[name].description}")
    combine = st.toggle("Combine the selected methods into one run (e.g. deep_coral + im)")
    cols = st.columns(5)
    epochs = cols[0].number_input("Epochs", 1, 200, value=2)
    batch_size = cols[1].selectbox("Batch size", [32, 64, 128, 256], index=1)
    lr = cols[2].select_slider(
        "Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], value=1e-3, format_func="{:g}".format
    )
    model = cols[3].selectbox("Model", ["auto", *list_models()])
    seed = cols[4].number_input("Seed", 0, 2**31 - 1, value=0)
    params: dict[str, dict[str, Any]] = {}
    tuned = [name for name in chosen if specs[name].defaults()]
    if tuned:
        with st.expander("Hyper-parameters", icon=":material/tune:"):
            for name in tuned:
                st.markdown(f"**{name}**")
                params[name] = param_inputs(specs[name])
    recipe = " + ".join(RECOMMENDED_RECIPE)
    launch, recommended = st.columns([1, 3])
    groups: list[tuple[str, ...]] = []
    if launch.button("Launch", type="primary", icon=":material/rocket_launch:", disabled=not chosen):
        groups = [tuple(chosen)] if combine else [(name,) for name in chosen]
    if recommended.button(
        f"Launch the recommended recipe: {recipe}",
        icon=":material/star:",
        help="The strongest unsupervised composition measured on mnist5k → digits (docs/benchmarks.md), "
        "as one run with the settings above (hyper-parameters set above for its methods apply too).",
    ):
        groups = [RECOMMENDED_RECIPE]
    if groups:
        with display.errors_shown():
            configs = [
                AdaptConfig(
                    source=source_spec,
                    target=target_spec,
                    methods=group,
                    params={m: params[m] for m in group if m in params},
                    model=model,
                    epochs=int(epochs),
                    batch_size=int(batch_size),
                    lr=float(lr),
                    seed=int(seed),
                )
                for group in groups
            ]
            launched = engine.launch(configs)
            st.toast(f"Launched {len(launched)} run(s)", icon=":material/rocket_launch:")


@st.fragment(run_every=2.0)
def runs_panel() -> None:
    """Every recent run with its progress, live curves and a cancel button; refreshes itself."""
    records = engine.store().list(limit=8)
    if not records:
        st.info("No runs yet: choose methods above and press Launch.", icon=":material/info:")
        return
    for record in records:
        label = engine.run_label(record)
        with st.container(border=True):
            info, curves = st.columns([1, 2])
            with info:
                st.markdown(f"**{display.esc(label)}**")
                st.badge(record.status, color=STATUS_COLOUR[record.status])
                st.caption(f"{display.esc(record.source)} → {display.esc(record.target)}")
                if record.active:
                    st.progress(record.progress, text=display.esc(f"{record.stage}: {record.message}"[:80]))
                    if st.button("Cancel", key=f"cancel_{record.id}", icon=":material/stop_circle:"):
                        with display.errors_shown():
                            jobs.cancel(engine.workspace(), record.id)
                elif record.status == "done":
                    st.progress(1.0, text="finished")
                    change = compare.accuracy_change(record.headline)
                    if change is not None:
                        st.metric(
                            "Target accuracy",
                            f"{record.headline['target_accuracy']:.1%}",
                            f"{100 * change:+.1f} pts vs source-only",
                            delta_arrow="auto" if change else "off",
                            delta_color="normal" if change else "off",
                        )
                else:
                    st.error(display.esc(record.error or record.status), icon=":material/error:")
            with curves:
                rows = compare.curve_rows(engine.store().history(record.id, kinds={"epoch"}))
                if rows:
                    st.plotly_chart(figures.learning_curves({label: rows}, ""), key=f"curves_{record.id}")
                else:
                    st.caption("Curves appear after the first epoch.")


st.subheader("Runs")
runs_panel()
