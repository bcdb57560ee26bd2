"""The Adapt page's "Your own runs" form: its widget keys, filling it from a start config (the
recommended recipe's, where it starts, or the defaults) and the configs it launches, derived from that
start by :func:`tlcore.adapt.overrides.derive` (a form left as it started launches exactly the start's
config).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import streamlit as st

from tlcore.adapt.checks import needs_target_labels
from tlcore.adapt.config import METHOD_ONLY_FIELDS, AdaptConfig
from tlcore.adapt.overrides import changes, derive
from tlcore.adapt.source_only_run import SOURCE_ONLY
from tlcore.imagenet_inputs import IMAGE_SIZE
from tlcore.methods import MethodSpec, get_method, run_order

Start = Literal["recipe", "defaults"]
START = "adapt_start"  # the config the form last started from (kept across pages: ``adapt_`` prefix)
FILLED = "adapt_filled"  # {widget key: value} as the form was last filled from its start
METHODS = "adapt_methods"
FIELDS = (
    "epochs",
    "batch_size",
    "lr",
    "model",
    "seed",
    "augment",
    "warm_start",
    "ema_decay",
    "settle_tol",
    "target_labels",
)
UNSET_AS_0 = ("adapt_epochs", "steps_per_epoch")  # an unset value shows as 0
# the config fields the form has a widget for (image_size: for an ImageNet backbone, the only models it
# applies to; target_labels: for a method trained on them, the only runs that take them)
SHOWN = (*FIELDS, *UNSET_AS_0, "image_size", "methods", "params")


def field_key(name: str) -> str:
    """The widget key of the config field ``name`` (``adapt_steps_per_epoch_or_0`` for one that shows
    unset as 0)."""
    return f"adapt_{name}_or_0" if name in UNSET_AS_0 else f"adapt_{name}"


def param_key(method: str, name: str) -> str:
    """The widget key of the hyper-parameter ``name`` of ``method``."""
    return f"param_{method}_{name}"


def started_from(recipe: AdaptConfig, specs: list[MethodSpec]) -> Start:
    """The config the form started from: the ``recipe``'s at a session's first draw of the form (every
    widget filled from it, :func:`fill`: Launch unchanged trains exactly the recipe), then the one a
    start button chose. A form still as the recipe filled it follows the recipe (its labelled target
    samples, set above the form), so it lists no change the user did not make."""
    filled = st.session_state.get(FILLED)
    untouched = filled is not None and all(st.session_state.get(k) == v for k, v in filled.items())
    if filled is None or (untouched and filled[START] == "recipe"):
        fill("recipe", recipe, specs)
    return st.session_state[START]


def fill(start: Start, config: AdaptConfig, specs: list[MethodSpec]) -> None:
    """Callback of the form's start buttons: every widget shows ``config`` (its fields; each registered
    method's hyper-parameters as ``config`` runs them: its value, else the registry's default)."""
    values: dict[str, Any] = {START: start, METHODS: list(config.methods)}
    values |= {field_key(name): getattr(config, name) for name in FIELDS}
    values |= {field_key(name): getattr(config, name) or 0 for name in UNSET_AS_0}
    values[field_key("image_size")] = config.image_size or IMAGE_SIZE
    for spec in specs:
        given, choices = config.params.get(spec.name, {}), spec.choices()
        for name, default in spec.defaults().items():
            value = given.get(name, default)
            if name not in choices:  # as the widget holds it: a text field a string, a number its type
                value = type(default)(value) if isinstance(default, bool | int | float) else str(value)
            values[param_key(spec.name, name)] = value
    st.session_state.update(values | {FILLED: values})


def groups(chosen: Sequence[str], combine: bool) -> list[tuple[str, ...]]:
    """The methods of each run the form launches: one composed run of ``chosen`` in the order it runs
    them (transforms last, whatever the click order: :func:`~tlcore.methods.registry.run_order`), or
    one run per method."""
    return [run_order(chosen)] if combine else [(name,) for name in chosen]


def configs(
    start: AdaptConfig,
    groups: list[tuple[str, ...]],
    params: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Any],
) -> list[AdaptConfig]:
    """One config per group of methods: ``start`` with the form's ``values`` (config fields) and the
    hyper-parameters of ``params`` that differ from how ``start`` runs them; a group trained on no
    target labels without the form's ``target_labels`` (a run refuses them: ``check_config``)."""
    out = []
    for group in groups:
        unlabelled = not needs_target_labels([get_method(name) for name in group])
        fields = {**values, "target_labels": 0} if unlabelled else values
        out.append(derive(start, group, {m: params[m] for m in group if m in params}, **fields))
    return out


def baseline_only(planned: list[AdaptConfig]) -> bool:
    """Whether the form launches one source-only run: the baseline the recipe's run is compared against."""
    return [c.methods for c in planned] == [SOURCE_ONLY]


def differences(planned: list[AdaptConfig], recipe: AdaptConfig) -> list[str]:
    """How the runs the form would launch differ from the recipe's one run (``seed 1 (recipe: 0)``);
    several runs say so once, then the settings of the first; a source-only run (:func:`baseline_only`)
    only where it trains another baseline than the recipe's (its methods and adapt stage are no
    difference: a baseline has none)."""
    if baseline_only(planned):
        return [c.text("recipe") for c in changes(planned[0], recipe) if c.setting not in METHOD_ONLY_FIELDS]
    if len(planned) == 1:
        return [change.text("recipe") for change in changes(planned[0], recipe)]
    apart = f"{len(planned)} separate runs, not the recipe's one composed run"
    return [apart, *(c.text("recipe") for c in changes(planned[0], recipe) if c.setting != "methods")]


def unshown(start: AdaptConfig) -> list[str]:
    """The settings ``start`` gives that the form has no widget for (``patience 3``): its runs keep
    them (:func:`configs` derives them from ``start``), and the form's line says so."""
    plain = AdaptConfig(start.source, start.target, start.methods, start.params)
    return [change.value_text for change in changes(start, plain) if change.setting not in SHOWN]


def start_line(
    start: Start, differs: list[str], quoted: bool, baseline: bool = False, kept: Sequence[str] = ()
) -> str:
    """What the form says above Launch: the config it started from, and what now differs from the
    recommended recipe (whose accuracy, if ``quoted``, then does not apply); of a source-only run
    (``baseline``, :func:`baseline_only`), that it is the baseline and whether it is the recipe's; the
    start's settings ``kept`` that the form does not show (:func:`unshown`)."""
    began = "Started from the recommended recipe" if start == "recipe" else "Started from the defaults"
    owner, them = "recipe's" if start == "recipe" else "defaults'", "it" if len(kept) == 1 else "them"
    hidden = f" The form does not show the {owner} {', '.join(kept)}; Launch keeps {them}." if kept else ""
    if baseline:
        other = f"a baseline other than the recipe's: {'; '.join(differs)}"
        ours = "the recipe's baseline: the model its run is compared against"
        return f"{began}; source_only trains {other if differs else ours}.{hidden}"
    if not differs:
        return f"{began}, unchanged: Launch starts the recommended recipe's run, its config exactly.{hidden}"
    what = "changed" if start == "recipe" else "differs from the recommended recipe in"
    quote = " The accuracy quoted for the recipe does not apply to these runs." if quoted else ""
    return f"{began}; {what}: {'; '.join(differs)}.{quote}{hidden}"
