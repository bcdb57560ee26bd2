"""The offer to stop a process that has not answered a cancel (a sweep's driver, a run's worker): why it
looks hung and a button that ends it through the engine; the rule of when is the engine's
(:func:`tlcore.runs.process_stop.unanswered`)."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from app_support import display
from tlcore.runs.process_stop import TERM_GRACE, Held, silence, unanswered


def offer(record: Held, role: str, effect: str, *, label: str, key: str, stop: Callable[[], object]) -> None:
    """While the cancel asked of ``record`` goes unanswered: a warning that its ``role`` (``"driver"``,
    ``"worker"``) looks hung and what stopping it does after ending the process (``effect``, from its
    punctuation on: ``", closes the sweep"``), and a
    button ``label`` calling ``stop`` (a :class:`TLError` shown as an error), then a rerun."""
    now = time.time()
    if not unanswered(record, now):
        return
    st.warning(
        f"The {role} (process {record.pid}) has not answered the cancel for {silence(record, now):.0f} s: it "
        f"looks hung. Stopping it ends that process (SIGTERM, then SIGKILL {TERM_GRACE:g} s later){effect}.",
        icon=":material/warning:",
    )
    with display.errors_shown():
        if st.button(label, key=key, icon=":material/dangerous:"):
            stop()
            st.rerun()
