"""The Sweep page's buttons for the sweep it shows: cancel a live one, resume an ended one, and stop a
driver that has not answered a cancel (hung: :func:`tlcore.runs.driver.unanswered`)."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_support import display, sweeps
from tlcore.runs.driver import unanswered
from tlcore.runs.process_stop import TERM_GRACE
from tlcore.runs.sweep_store import SweepRecord


def show(sweep: SweepRecord, column: DeltaGenerator) -> None:
    """Cancel or Resume in ``column``; below, while a requested cancel goes unanswered, why the driver
    looks hung and a **Stop the driver** button."""
    with column, display.errors_shown():
        if sweep.active:
            if st.button("Cancel the sweep", key=f"cancel_{sweep.id}", icon=":material/stop_circle:"):
                sweeps.cancel(sweep.id)
        elif sweep.status != "done" and st.button(
            "Resume",
            key=f"resume_{sweep.id}",
            icon=":material/play_circle:",
            help="Runs its unfinished trials",
        ):
            sweeps.resume(sweep.id)
            st.rerun()
    now = time.time()
    if not unanswered(sweep, now):
        return
    silent = now - max(sweep.updated, sweep.heartbeat or 0.0)
    st.warning(
        f"The driver (process {sweep.pid}) has not answered the cancel for {silent:.0f} s: it looks hung. "
        f"Stopping it ends that process (SIGTERM, then SIGKILL {TERM_GRACE:g} s later), closes the sweep "
        "and asks its trials to stop.",
        icon=":material/warning:",
    )
    with display.errors_shown():
        if st.button("Stop the driver", key=f"stop_{sweep.id}", icon=":material/dangerous:"):
            sweeps.stop_driver(sweep.id)
            st.rerun()
