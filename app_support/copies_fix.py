"""The pair's shared-samples box on the Data and Diagnose pages (:func:`app_support.display.shared_warning`)
and, when the target copies source samples (found by content), its fix: the target less its copies
stored as a new upload under a name the user may edit (:func:`tlcore.adapt.drop_copies.drop_copies`,
what ``python -m tlcore data drop-copies`` calls), then, one click on, the pair's target."""

from __future__ import annotations

import streamlit as st

from app_support import display, engine, state
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.drop_copies import drop_copies, proposed_name
from tlcore.data.overlap import DROP_WORDS, SharedSamples
from tlcore.errors import TLError

NAME = "drop_copies_name"  # the name field's key, per target (a key of its own for each)
WRITTEN = "drop_copies_written"  # (source, target) of the pair dropped from, the line said, the spec written
ERROR = "drop_copies_error"  # (source, target), why nothing was written


def shared_box(source: str, target: str) -> SharedSamples | None:
    """The pair's shared-samples warning (the test-split counts for the engine's default split), and
    under it, when the copies are found by content, the field and buttons that drop them; the samples
    shared, for the page to tell elsewhere."""
    shared = engine.shared_samples(AdaptConfig(source=source, target=target))
    display.shared_warning(shared, split_by_defaults=True)
    if shared is None or shared.copied is None:
        return shared
    key = f"{NAME}={target}"
    if key not in st.session_state:
        st.session_state[key] = _proposed(target)
    st.text_input(
        "Name of the target without its copies",
        key=key,
        help="A new upload: the target's samples less its copies of source samples (exact and near), "
        f"each kept sample under its own id (`{engine.command(*DROP_WORDS)}`)",
    )
    st.button(  # under the field, not beside it: a column at 1024 px cut its label short
        "Save the target without its copies",
        icon=":material/content_cut:",
        on_click=_drop,
        args=(source, target, key),
    )
    error = st.session_state.get(ERROR)
    if error is not None and error[0] == (source, target):
        st.error(display.esc(error[1]), icon=":material/error:")
    written = st.session_state.get(WRITTEN)
    if written is not None and written[0] == (source, target):
        st.success(display.sentence(written[1]), icon=":material/check_circle:")
        st.button(
            f"Use {written[2]} as the target",
            icon=":material/swap_horiz:",
            on_click=_use,
            args=(source, target, written[2]),
        )
    return shared


def _proposed(target: str) -> str:
    """The name the field proposes (:func:`~tlcore.adapt.drop_copies.proposed_name`), '' when none is."""
    try:
        return proposed_name(engine.workspace(), target)
    except TLError:
        return ""


def _drop(source: str, target: str, key: str) -> None:
    """Callback: store ``target`` less its copies of ``source``'s samples under the name in ``key``;
    what was written (or why not) is kept for the page to say, and the field proposes a free name.
    Nothing when the click came with an edit of the pair (the page no longer shows this one)."""
    if _typed() != (source, target):
        return
    st.session_state.pop(ERROR, None)
    st.session_state.pop(WRITTEN, None)
    name = st.session_state.get(key, "").strip() or None
    try:
        written = drop_copies(engine.workspace(), source, target, name, allow_paths=False)
    except TLError as exc:
        st.session_state[ERROR] = ((source, target), str(exc))
        return
    st.session_state[WRITTEN] = ((source, target), written.line(), written.spec)
    st.session_state[key] = _proposed(target)


def _use(source: str, target: str, written: str) -> None:
    """Callback: ``written`` (``target`` less its copies of ``source``'s samples) becomes the target,
    unless the click came with an edit of the pair."""
    if _typed() == (source, target):
        state.set_pair(target=written)


def _typed() -> tuple[str, str]:
    """The pair as the sidebar's fields hold it: with an edit sent in the same message as the click,
    whose callback (:func:`~app_support.state.pair_edited`) runs after the button's."""
    shown = {key: st.session_state[key] for key in (state.SOURCE, state.TARGET)}
    typed = {key: st.session_state.get(state.FIELD.format(key, value), value) for key, value in shown.items()}
    return typed[state.SOURCE].strip(), typed[state.TARGET].strip()
