"""Adapt: choose methods and settings, launch background runs, follow them live, cancel them."""

from dataclasses import replace
from typing import Any

import streamlit as st

from app_support import (
    adapt_form,
    adapt_runs,
    benchmarks,
    display,
    engine,
    estimate,
    repeat_launch,
    state,
)
from tlcore.adapt.config import BOUNDS, FIELD_WORDS, AdaptConfig
from tlcore.adapt.recipe import RECOMMENDED, evidence_intro
from tlcore.imagenet_inputs import IMAGE_SIZE, IMAGENET_NAMES, MAX_IMAGE_SIZE, MIN_IMAGE_SIZE, SIZE_RANGE
from tlcore.methods import MethodSpec
from tlcore.model_names import AUTO_RULE, auto_reason
from tlcore.models import list_models
from tlcore.numbers import plural
from tlcore.runs.repeats import RepeatedError


def param_inputs(method: MethodSpec) -> dict[str, Any]:
    """One input per hyper-parameter of ``method`` (a select box for a choice), at the registry's defaults."""
    values: dict[str, Any] = {}
    defaults, choices = method.defaults(), method.choices()
    for (name, default), column in zip(defaults.items(), st.columns(max(len(defaults), 1)), strict=False):
        key = adapt_form.param_key(method.name, name)
        if name in choices:
            values[name] = column.selectbox(name, choices[name], key=state.form_default(key, default))
        elif isinstance(default, bool):
            values[name] = column.checkbox(name, key=state.form_default(key, default))
        elif isinstance(default, int):
            values[name] = column.number_input(name, step=1, key=state.form_default(key, default))
        elif isinstance(default, float):
            step = abs(default) / 10 if default else 0.01
            values[name] = column.number_input(
                name, step=step, format="%g", key=state.form_default(key, default)
            )
        else:
            values[name] = column.text_input(name, key=state.form_default(key, str(default)))
    return values


st.title("Adapt")
source_spec, target_spec = state.pair()
st.caption(f"Source {display.esc(source_spec)} → target {display.esc(target_spec)}")
shared_slot = st.empty()  # the samples the pair shares, as the form's runs split it: filled below
DEFAULTS = AdaptConfig.defaults()


def launch(configs: list[AdaptConfig], button: str | None = None) -> None:
    """Start the runs and say so; a bad config shows an error box and starts none. From a ``button``, a
    launch that repeats runs is held for its answer first (:mod:`app_support.repeat_launch`), as is one
    that another session or the CLI launched meanwhile (the engine looks again as it creates the runs)."""
    with display.errors_shown():
        if button is not None and repeat_launch.hold(button, configs):
            return
        try:
            launched = engine.launch(configs, unless_repeated=button is not None)
        except RepeatedError:  # only from a button: its box asks, as for a repeat seen before the launch
            repeat_launch.hold(button or "", configs)
            return
        st.toast(f"Launched {plural(len(launched), 'run')}", icon=":material/rocket_launch:")


with st.container(border=True):
    st.markdown(f"#### :material/star: Recommended recipe: {RECOMMENDED.label}")
    images = engine.holds_images(source_spec)
    st.caption(RECOMMENDED.describe(images))
    labels = st.number_input(
        "Labelled target samples per class (0: none)",
        *BOUNDS["target_labels"],
        key=state.form_default("recipe_target_labels", DEFAULTS["target_labels"]),
        help="If you can label a few target samples, the recipe also trains on that many per class "
        "(its `labelled_target` term), drawn from the target's train split: it needs a labelled target.",
    )
    recipe_config = RECOMMENDED.config(source_spec, target_spec, target_labels=int(labels))
    budget = recipe_config.budget_text
    params = f"; parameters {recipe_config.params_text}" if recipe_config.params else ""
    st.caption(f"Budget: {budget}, model {recipe_config.model}, seed {recipe_config.seed}{params}.")
    if (shape := engine.sample_shape(source_spec)) is not None:
        st.caption(f"{auto_reason(shape)}.")
    if labels:
        st.caption(
            f"Methods: {recipe_config.method_label}, on {int(labels)} labelled target samples per class."
        )
    if quotes := [] if labels else benchmarks.recipe_quote(RECOMMENDED):
        st.caption(f"{evidence_intro(shape)}: {'; '.join(quotes)}.")  # the intro once, not per pair
    recipe_estimate = estimate.slot()  # filled at the page's end
    if st.button("Launch the recommended recipe", type="primary", icon=":material/star:"):
        launch([recipe_config], "recipe")
    repeat_launch.ask("recipe", [recipe_config], launch)

specs = {m.name: m for m in engine.method_specs()}
form_starts: dict[adapt_form.Start, AdaptConfig] = {
    "recipe": recipe_config,  # as launched above, its labelled target samples included
    "defaults": AdaptConfig(source=source_spec, target=target_spec, methods=RECOMMENDED.methods),
}
start = adapt_form.started_from(recipe_config, list(specs.values()))
with st.container(border=True):
    st.markdown("#### Your own runs")
    begin = st.container(horizontal=True)  # buttons as wide as their labels; they wrap
    begin.button(
        "Start from the recommended recipe",
        icon=":material/star:",
        on_click=adapt_form.fill,
        args=("recipe", recipe_config, list(specs.values())),
        help="Fills the form again with the recipe's methods, parameters and budget, as launched above "
        "(the form starts so): change one setting and launch.",
    )
    begin.button(
        "Back to the defaults",
        icon=":material/restart_alt:",
        on_click=adapt_form.fill,
        args=("defaults", form_starts["defaults"], list(specs.values())),
        help="AdaptConfig's and the registry's defaults, with the recipe's methods.",
    )
    chosen = st.multiselect(
        "Methods",
        list(specs),
        key=state.form_default(adapt_form.METHODS, list(RECOMMENDED.methods)),
        format_func=lambda name: f"{name} · {specs[name].family}",
        help="Each method becomes its own background run, compared against the same source-only model.",
        select_all=False,  # Enter picks the first match, not every match ("dann" is no bulk choice)
    )
    for name in chosen:
        st.caption(f"**{name}**: {specs[name].description}")
    combine = st.toggle(
        "Combine the selected methods into one run (e.g. deep_coral + im)", value=len(chosen) > 1
    )
    cols = st.columns(5)
    field = {
        name: state.form_default(adapt_form.field_key(name), DEFAULTS[name]) for name in adapt_form.FIELDS
    }
    epochs = cols[0].number_input(
        "Epochs", *BOUNDS["epochs"], key=field["epochs"], help=FIELD_WORDS["epochs"]
    )
    batch_size = cols[1].number_input("Batch size", *BOUNDS["batch_size"], key=field["batch_size"])
    lr = cols[2].number_input("Learning rate", *BOUNDS["lr"], format="%g", step=1e-4, key=field["lr"])
    model = cols[3].selectbox(
        "Model", ["auto", *list_models()], key=field["model"], help=f"auto: {AUTO_RULE}"
    )
    seed = cols[4].number_input("Seed", *BOUNDS["seed"], key=field["seed"])
    image_size = None
    if model in IMAGENET_NAMES:
        image_size = st.columns(5)[0].number_input(
            "Input size (px)",
            MIN_IMAGE_SIZE,
            MAX_IMAGE_SIZE,
            key=state.form_default(adapt_form.field_key("image_size"), DEFAULTS["image_size"] or IMAGE_SIZE),
            help=f"the side {model} resizes images to ({IMAGE_SIZE}: its ImageNet training resolution); "
            f"smaller is faster on CPU, at some accuracy; a whole number {SIZE_RANGE}",
        )
    stage = st.columns(4)
    adapt_epochs = stage[0].number_input(
        "Adapt epochs",
        0,  # unset
        BOUNDS["adapt_epochs"].most,
        key=state.form_default(adapt_form.field_key("adapt_epochs"), DEFAULTS["adapt_epochs"] or 0),
        # QA read the old help, "the adapt stage's", as nothing
        help=f"{FIELD_WORDS['adapt_epochs']}: the training with the target that follows the source-only "
        "model's; 0: as many as Epochs",
    )
    steps_per_epoch = stage[1].number_input(
        "Steps per epoch",
        0,  # unset
        BOUNDS["steps_per_epoch"].most,
        key=state.form_default(adapt_form.field_key("steps_per_epoch"), DEFAULTS["steps_per_epoch"] or 0),
        help="caps every epoch at this many optimizer steps: for a small source beside a large target; 0: "
        "a pass over the larger domain",
    )
    ema_decay = stage[2].number_input(
        "Weight average",
        *BOUNDS["ema_decay"],
        key=field["ema_decay"],
        format="%g",
        step=0.001,
        help="the decay of an exponential moving average (EMA) of the adapt stage's weights, scored and kept "
        "(it averages ~ 1 / (1 - decay) steps); 0: off",
    )
    settle_tol = stage[3].number_input(
        "Stop if settled",
        *BOUNDS["settle_tol"],
        key=field["settle_tol"],
        format="%g",
        step=0.001,
        help="end adapting once at most this share of the target predictions changes from one epoch to "
        "the next, two epochs running (no target labels needed; the curves show the share); 0: off",
    )
    # the switches on a row of their own, each as wide as its label: in a sixth and a fifth of the form
    # at 1000 px they read "A…" and "War…" (QA)
    flags = st.container(horizontal=True, gap="large")
    augment = flags.checkbox(  # greyed for a table: it read ticked where nothing is augmented (QA)
        "Augment source",
        help="random affine (images)" if images else "random affine of images: tables are not augmented",
        key=field["augment"],
        disabled=not images,
    )
    warm_start = flags.checkbox(
        "Warm start",
        key=field["warm_start"],
        help="adapt from the trained source-only model instead of a fresh network",
    )
    target_labels = DEFAULTS["target_labels"]
    if any(specs[name].needs_target_labels for name in chosen):
        target_labels = st.number_input(
            "Labelled target samples per class (0 = the method's default)",
            *BOUNDS["target_labels"],
            key=field["target_labels"],
        )
    params: dict[str, dict[str, Any]] = {}
    tuned = [name for name in chosen if specs[name].defaults()]
    if tuned:
        with st.expander("Hyper-parameters", icon=":material/tune:"):
            for name in tuned:
                st.markdown(f"**{name}**")
                params[name] = param_inputs(specs[name])
    planned: list[AdaptConfig] = []
    with display.errors_shown():
        values = {
            "model": model,
            "image_size": None if image_size is None else int(image_size),
            "epochs": int(epochs),
            "adapt_epochs": int(adapt_epochs) or None,
            "warm_start": bool(warm_start),
            "steps_per_epoch": int(steps_per_epoch) or None,
            "ema_decay": float(ema_decay),
            "settle_tol": float(settle_tol),
            "batch_size": int(batch_size),
            "lr": float(lr),
            "seed": int(seed),
            "augment": bool(augment),
            "target_labels": int(target_labels),
        }
        groups = adapt_form.groups(chosen, combine)
        planned = adapt_form.configs(form_starts[start], groups, params, values) if chosen else []
    if planned:
        differs = adapt_form.differences(planned, recipe_config)
        note = st.caption if start == "defaults" else st.warning if differs else st.success
        baseline = adapt_form.baseline_only(planned)  # source-only: the recipe's baseline, or another
        kept = adapt_form.unshown(form_starts[start])  # the start's settings the form has no field for
        note(display.esc(adapt_form.start_line(start, differs, bool(quotes), baseline, kept)))
    form_estimate = estimate.slot()
    if st.button("Launch", icon=":material/rocket_launch:", disabled=not planned):
        launch(planned, "form")
    repeat_launch.ask("form", planned, launch)
# the form's seed and test fraction, as its runs (or, without methods, its start) would split the pair
split_by = planned[0] if planned else replace(form_starts[start], seed=int(seed))
with shared_slot.container():
    display.shared_warning(engine.shared_samples(split_by))


st.subheader("Runs")
if left_out := adapt_runs.runs_left_out(source_spec, target_spec):
    st.caption(display.esc_code(left_out))  # its commands as code, as the Data page's (QA)
adapt_runs.runs_panel(source_spec, target_spec)  # live cards redraw themselves; runs begun elsewhere show
estimate.fill(recipe_estimate, estimate.runs_line([recipe_config]))
estimate.fill(form_estimate, estimate.runs_line(planned))
