"""Session state: the current pair and the Data page's spec builders (the uploaders' form and callbacks:
:mod:`app_support.upload_form`). Every session key is named here once; the pages use these names,
never the strings. Data that belongs to one browser session lives in ``st.session_state`` only, never
in a cross-session cache."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from tlcore.data import list_shifts
from tlcore.data.overlap import base_dataset, split_fix
from tlcore.data.spec import DEFAULT_PAIR
from tlcore.data.spec_edit import compose_spec, spec_parts
from tlcore.data.spec_text import DROP, IMPUTE, parse_spec
from tlcore.data.uploads import SUFFIXES
from tlcore.errors import TLError
from tlcore.runs.record import RunRecord

SOURCE, TARGET = "pair_source", "pair_target"
ROLES = {"source": SOURCE, "target": TARGET}
UPLOAD_ERROR, UPLOAD_SAVED, UPLOAD_LABEL = "upload_error", "upload_saved", "upload_label"
PREDICT_SPEC, PREDICT_REQUEST, EXPORT_REQUEST = "predict_spec", "predict_request", "export_request"
PREDICT_LABEL = "predict_batch_label"  # the Predict page's new batch's Label column field
MISSING_SUFFIX = "_missing"  # a Label column field's key + this: its Missing cells choice (missing=)
MISSING_CHOICE = "Missing cells"
REFUSE = ""  # the choice that refuses a table with missing cells (no missing= option)
MISSING_LABELS = {REFUSE: "refuse", DROP: "drop rows", IMPUTE: "fill in"}
ONEHOT_SUFFIX = "_onehot"  # a Label column field's key + this: its box for text=onehot
ONEHOT_BOX = "Encode text columns as 0/1 columns"
PREDICT_RUN = "predict_run"  # the run another page asked Predict to preselect ("label data with it")
PREDICT_TYPED = "predict_typed"  # (target, spec): what the user typed as data to label, for that target
SWEEP_CHOSEN, SWEEP_SEEN = "sweep_chosen", "sweep_seen"  # the followed sweep; what the page last showed of it
SWEEP_LIVE = "sweep_live"  # the queued and running sweeps' ids at the Sweep page's last full run
SWEEP_PICKED = "sweep_picked"  # the sweep the user picked or launched on the Sweep page (None: it follows)
SWEEP_LABEL = "sweep_label"  # the picker's label of the followed sweep the browser was last sent
SWEEP_FORM = "sweep_form_"  # the Sweep page's form widgets' keys start so
COMPARE_RUNS = "compare_runs"  # run ids another page asked Compare to show ("open in Compare")
KEPT_LAUNCHED = "kept_launched"  # {kept run id: the run its Make it a run button launched this session}
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in SUFFIXES]  # what the pages' file uploaders take
_SLIDER_STEPS = (5.0, 1.0, 0.5, 0.1, 0.05, 0.01)


def builder_key(role: str, part: str) -> str:
    """The widget key of one part (``dataset``, ``n``, ``blank`` or a shift name) of a role's spec
    builder."""
    return f"builder_{role}_{part}"


def builder_error_key(role: str) -> str:
    return f"builder_{role}_error"


def sweep_key(part: str) -> str:
    """The widget key of one field of the Sweep page's form (``compositions``, ``seeds``, a space key
    such as ``dann.weight`` ...)."""
    return f"{SWEEP_FORM}{part}"


# ---- forms that outlive a page switch --------------------------------------------------------------

CHOICE = "choice_"  # the keys of single choices kept across pages start so
DIAGNOSE_FEATURES = f"{CHOICE}diagnose_features"  # Diagnose's feature space ("raw" or a run id)
DIAGNOSE_PERMUTATIONS = f"{CHOICE}diagnose_permutations"
DIAGNOSE_UMAP_POINTS = f"{CHOICE}diagnose_umap_points"
DIAGNOSE_RECOMPUTE = "diagnose_recompute"  # Diagnose's "Recompute" was clicked: skip the workspace cache
COMPARE_ADVANCED = f"{CHOICE}compare_advanced"  # Compare's "Advanced validators" toggle
COMPARE_VALIDATOR = f"{CHOICE}compare_validator"  # Compare's "Rank by"
COMPARE_ALL_COLUMNS = f"{CHOICE}compare_all_columns"  # Compare's "All ranking columns" toggle
COMPARE_ALL_NUMBERS = f"{CHOICE}compare_all_numbers"  # its "All numbers" toggle of the numbers table
SWEEP_FIND, SWEEP_PAGE = f"{CHOICE}sweep_find", f"{CHOICE}sweep_page"  # the Sweep page's picker filter
DATA_TAB = f"{CHOICE}data_tab"  # the Data page's tab: "Datasets and shifts" or "Upload your own"
# widget keys kept across pages (the Data page's upload form: its Label column field, choice and box)
FORM_PREFIXES = ("adapt_", "param_", "recipe_", SWEEP_FORM, CHOICE, UPLOAD_LABEL)
KEPT = "kept_forms"  # {widget key: its value at the last full run}, under a key no widget owns


def form_default(key: str, value: Any) -> str:
    """``key``, holding ``value`` unless the session already holds one: a form widget's start value
    (the widget takes no ``value=`` of its own), which :func:`keep_forms` carries across pages."""
    st.session_state.setdefault(key, value)
    return key


def choice_default(key: str, options: list[Any], value: Any) -> str:
    """:func:`form_default` for a choice among ``options`` that change (a pair's runs, the validators
    shown): a kept choice no longer offered gives way to ``value``."""
    if st.session_state.get(key, value) not in options:
        st.session_state[key] = value
    return form_default(key, value)


def newest_sweeps() -> None:
    """Show the newest sweeps in the Sweep page's picker (no filter, first page): call before it is
    drawn, e.g. when a sweep was just launched."""
    st.session_state[SWEEP_FIND], st.session_state[SWEEP_PAGE] = "", 1


def first_sweep_page() -> None:
    """Callback of the Sweep page's filter: its matches start at their first page."""
    st.session_state[SWEEP_PAGE] = 1


def keep_forms() -> None:
    """Keep the form widgets' values (keys starting with :data:`FORM_PREFIXES`) while their page is not
    shown; called once per full run, before the page.

    Streamlit forgets a widget's value after a run that does not draw it, and on a page switch it
    drops them before the new page's run even starts (keeping only the widgets the browser's request
    lists): while the Adapt page's runs panel reran on its 2 s timer, a switch often arrived without
    the form's widgets, so reassigning the values at the start of the run (Streamlit's multipage
    advice) came too late. The values are copied instead under :data:`KEPT`, which no widget owns and
    no cleanup drops, and every full run writes them back from there."""
    kept = st.session_state.setdefault(KEPT, {})
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(FORM_PREFIXES)]:
        kept[key] = st.session_state[key]
    for key, value in kept.items():
        st.session_state[key] = value


# ---- the current pair ------------------------------------------------------------------------------


FIELD = "{}_field={}"  # the key of the sidebar's field for a side of the pair: the side's key, its value
PAIR_PARAMS = {SOURCE: "source", TARGET: "target"}  # the pair in the page's address (?source=…&target=…)


def init_session() -> None:
    """Give a new browser session the pair in its address (a reload, a shared link), else the default."""
    for key, default in zip(PAIR_PARAMS, DEFAULT_PAIR, strict=True):
        st.session_state.setdefault(key, st.query_params.get(PAIR_PARAMS[key]) or default)


def share_pair() -> None:
    """Write the current pair into the page's address, so a reload keeps it and a link shares it."""
    for key, name in PAIR_PARAMS.items():
        value = st.session_state[key].strip()
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def pair_params() -> dict[str, str]:
    """The current pair as the page address holds it, for ``st.switch_page(..., query_params=...)``:
    a switch clears the address, and the sidebar's pair with it."""
    return {name: st.session_state[key].strip() for key, name in PAIR_PARAMS.items()}


def pair() -> tuple[str, str]:
    """The session's current ``(source spec, target spec)``."""
    return st.session_state[SOURCE].strip(), st.session_state[TARGET].strip()


def set_pair(source: str | None = None, target: str | None = None) -> None:
    """Change the pair; call from a widget callback (``on_click`` / ``on_change``)."""
    if source is not None:
        st.session_state[SOURCE] = source
    if target is not None:
        st.session_state[TARGET] = target
    pair_changed()


def pair_field(key: str) -> str:
    """The widget key of the sidebar's field for the pair's ``key`` (:data:`SOURCE` or :data:`TARGET`),
    holding the pair's value; call just before drawing the field, with :func:`pair_edited` its callback.

    The key names the value shown, so a change of the pair from elsewhere (a Data page knob, a fix, a
    swap) draws a new field instead of writing into the shown one. Written into, the field raced quick
    interactions: the browser's next message (a second knob step 100 ms later) still carried the
    field's old value, Streamlit took that for an edit and ran its ``on_change`` (the change undone,
    the builders dropped under the knob's own callback: a KeyError). Streamlit also runs the callback
    of a field no longer drawn when a message carries its value, so :func:`pair_edited` checks it."""
    field = FIELD.format(key, st.session_state[key])
    st.session_state[field] = st.session_state[key]
    return field


def pair_edited(key: str, field: str) -> None:
    """Callback of the sidebar's fields: a value typed into ``field`` becomes the pair's ``key``. The
    value the field showed (named in its key) is no edit: a message sent before the field's value
    changed carries it."""
    value = st.session_state.get(field)
    if value is None or value == field.removeprefix(FIELD.format(key, "")):
        return
    st.session_state[key] = value
    pair_changed()


def pair_changed() -> None:
    """Callback of every change of the pair (the sidebar's fields too): the data builders start again
    from it, and runs another page opened in Compare or Predict give way to the new pair's."""
    forget_builders()
    st.session_state.pop(COMPARE_RUNS, None)
    st.session_state.pop(PREDICT_RUN, None)


def apply_fix(specs: Mapping[str, str]) -> None:
    """Callback of a diagnosis' "apply this fix": make each spec of ``specs`` (side -> spec, one side
    or both) that side's, in one change of the pair."""
    set_pair(specs.get("source"), specs.get("target"))


def swap_pair() -> None:
    """Callback: exchange source and target."""
    source, target = pair()
    set_pair(target, source)


# ---- runs one page hands to another ------------------------------------------------------------------


def compare_runs(run_ids: list[str]) -> None:
    """Ask the Compare page to show these runs (kept until another page asks for others or the pair
    changes)."""
    st.session_state[COMPARE_RUNS] = list(run_ids)


def runs_to_compare() -> list[str]:
    """The runs another page asked Compare to show, if any."""
    return list(st.session_state.get(COMPARE_RUNS, []))


def predict_with(run_id: str) -> None:
    """Ask the Predict page to preselect this run (kept until another page asks for another or the
    pair changes)."""
    st.session_state[PREDICT_RUN] = run_id


def predict_run() -> str | None:
    """The run another page asked Predict to preselect, if any."""
    return st.session_state.get(PREDICT_RUN)


def opened_pair(opened: list[RunRecord]) -> tuple[str, str] | None:
    """The pair of the runs another page opened in Compare (:func:`runs_to_compare`), which Compare
    ranks instead of the sidebar's; None when none were opened or they are of several pairs."""
    pairs = {(r.source, r.target) for r in opened}
    return pairs.pop() if len(pairs) == 1 else None


# ---- the Predict page's data to label ---------------------------------------------------------------


def follow_target(target: str) -> str:
    """Fill the Predict page's "Data to label" before it is drawn, and return it: ``target`` (the
    sidebar's), unless the user typed another spec or uploaded a batch while ``target`` was the target
    (kept until the target changes)."""
    typed_for, typed = st.session_state.get(PREDICT_TYPED, (None, ""))
    if typed_for != target:
        st.session_state.pop(PREDICT_TYPED, None)  # typed for an earlier target: forgotten
    st.session_state[PREDICT_SPEC] = typed if typed_for == target else target
    return st.session_state[PREDICT_SPEC]


def keep_typed_spec() -> None:
    """Callback of "Data to label": remember what was typed, for the current target."""
    st.session_state[PREDICT_TYPED] = (pair()[1], st.session_state[PREDICT_SPEC])


# ---- the Data page's spec builder (dataset + sample count + shift knobs per role) ------------------


def shift_knobs() -> list[dict[str, Any]]:
    """The engine's shift registry plus a slider step for each."""
    knobs = []
    for shift in list_shifts():
        low, high, identity = float(shift["low"]), float(shift["high"]), float(shift["identity"])
        step = next((x for x in _SLIDER_STEPS if x <= (high - low) / 50), 0.01)
        knobs.append({**shift, "low": low, "high": high, "identity": identity, "step": step})
    return knobs


def builder_keys(role: str) -> dict[str, str]:
    """Widget keys of the role's builder: ``dataset``, ``n``, ``blank`` (drop the blank images) and one
    per shift."""
    parts = ("dataset", "n", "blank", *(k["name"] for k in shift_knobs()))
    return {part: builder_key(role, part) for part in parts}


def init_builder(role: str) -> None:
    """Fill the role's builder widgets from its current spec (once, until the spec changes)."""
    keys = builder_keys(role)
    if keys["dataset"] in st.session_state:
        return
    try:
        base, n, shifts, drop_blank = spec_parts(st.session_state[ROLES[role]])
    except TLError:
        base, n, shifts, drop_blank = spec_parts(DEFAULT_PAIR[0] if role == "source" else DEFAULT_PAIR[1])
    st.session_state[keys["dataset"]] = base
    st.session_state[keys["n"]] = n or 0
    st.session_state[keys["blank"]] = drop_blank
    for knob in shift_knobs():
        st.session_state[keys[knob["name"]]] = float(shifts.get(knob["name"], knob["identity"]))


def apply_builder(role: str) -> None:
    """Callback: compose the role's spec from its builder widgets and make it current (no blank box,
    as for a table: nothing dropped)."""
    init_builder(role)  # dropped when the pair changed in the same message: then it re-reads the pair
    state, keys = st.session_state, builder_keys(role)
    shifts = {k["name"]: state[keys[k["name"]]] for k in shift_knobs()}
    try:
        state[ROLES[role]] = compose_spec(
            state[keys["dataset"]], int(state[keys["n"]]), shifts, bool(state.get(keys["blank"], False))
        )
    except TLError as exc:
        state[builder_error_key(role)] = str(exc)


def pick_dataset(role: str) -> None:
    """Callback of a builder's Dataset: :func:`apply_builder`, and when both sides then read one
    dataset with train and test splits, neither naming a split, the source takes the train split and
    the target the test split (:func:`tlcore.data.overlap.split_fix`): else they share samples."""
    apply_builder(role)
    source, target = pair()
    try:
        fix = split_fix(source, target) if base_dataset(source) == base_dataset(target) else None
    except TLError:  # a spec the builder refused: its error box says why
        return
    if fix and parse_spec(source).split is None and parse_spec(target).split is None:
        st.session_state[SOURCE], st.session_state[TARGET] = fix
        forget_builders()


def forget_builders() -> None:
    """Drop the builders' state so they re-read the pair (after the pair changed elsewhere)."""
    for role in ROLES:
        for key in builder_keys(role).values():
            st.session_state.pop(key, None)
