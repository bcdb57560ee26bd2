"""Adapt's launch buttons ask before repeating a run (QA helper-155: two clicks started two identical runs).

A launch whose configs match queued, running or done runs (:mod:`tlcore.runs.repeats`) is held: the
button's box names those runs (an active one as a warning, a done one with its accuracy) and offers
"Launch anyway", "Launch only the new runs" (when some are not repeats) and "Don't launch". The held
launch lives in the session (:data:`HELD`) until answered, or until the button's configs change.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st

from app_support import display, engine
from tlcore.adapt.config import AdaptConfig
from tlcore.numbers import plural
from tlcore.runs.record import RunRecord
from tlcore.runs.repeats import identical_runs, repeat_line

HELD = "held_launch"  # (button, its configs as JSON) of a launch waiting for an answer


def _key(button: str, configs: list[AdaptConfig]) -> tuple[str, str]:
    return button, json.dumps([c.to_dict() for c in configs], sort_keys=True)


def _repeated(configs: list[AdaptConfig]) -> list[tuple[AdaptConfig, list[RunRecord]]]:
    """The configs that repeat runs, each with the runs it repeats (newest first)."""
    runs = engine.store()
    return [(config, found) for config in configs if (found := identical_runs(runs, config))]


def hold(button: str, configs: list[AdaptConfig]) -> bool:
    """Whether the launch of ``configs`` by ``button`` repeats a run: then it is held for :func:`ask`."""
    if not _repeated(configs):
        return False
    st.session_state[HELD] = _key(button, configs)
    return True


def ask(button: str, configs: list[AdaptConfig], start: Callable[[list[AdaptConfig]], None]) -> None:
    """Under ``button``: its held launch's box, and ``start`` of what the answer launches."""
    if st.session_state.get(HELD) != _key(button, configs):
        return
    repeated = _repeated(configs)
    if not repeated:  # cancelled or deleted meanwhile: the button launches as usual again
        del st.session_state[HELD]
        return
    new = [c for c in configs if all(c is not r for r, _ in repeated)]
    slot = st.empty()
    with slot.container():
        active = any(r.active for _, found in repeated for r in found)
        lines = [_line(config, found, len(configs) > 1) for config, found in repeated]
        box = st.warning if active else st.info
        box(display.esc(" ".join(lines)), icon=":material/content_copy:")
        row = st.container(horizontal=True)
        anyway = row.button("Launch anyway", key=f"repeat_{button}_anyway", icon=":material/rocket_launch:")
        only_new = bool(new) and row.button(
            f"Launch only the new {plural(len(new), 'run')}", key=f"repeat_{button}_new"
        )
        keep = row.button("Don't launch", key=f"repeat_{button}_keep", icon=":material/close:")
    if anyway or only_new or keep:
        del st.session_state[HELD]
        slot.empty()
        if anyway or only_new:
            start(configs if anyway else new)


def _line(config: AdaptConfig, found: list[RunRecord], named: bool) -> str:
    """One repeated config's sentence: :func:`repeat_line` and where its run's card is."""
    where = "its card is under Runs below" if any(r.active for r in found) else "see it on Compare"
    head = f"{config.method_label}: " if named else ""
    line = repeat_line(found)
    return f"{head}{line[0].upper()}{line[1:]}; {where}."
