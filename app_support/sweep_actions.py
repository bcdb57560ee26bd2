"""The Sweep page's buttons for the sweep it shows: cancel a live one, resume an ended one, and stop a
driver that has not answered a cancel (hung: :func:`tlcore.runs.process_stop.unanswered`) or that
outlives the sweep (:func:`~tlcore.runs.process_stop.still_runs`)."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_support import display, stop_offer, sweeps
from tlcore.runs.process_stop import SWEEP, driver_still_runs
from tlcore.runs.sweep_store import SweepRecord


def show(sweep: SweepRecord, column: DeltaGenerator) -> None:
    """Cancel or Resume (not while the sweep's last driver outlives it) in ``column``; below, while a
    requested cancel goes unanswered, why the driver looks hung and a **Stop the driver** button; for an
    ended sweep whose launched driver is stuck on its way out, that and a **Stop the driver** button that
    ends it, the sweep kept as it is."""
    with column, display.errors_shown():
        if sweep.active:
            if st.button(  # "Cancel the sweep" was cut to "Cancel the …" in this column at 1024 px
                "Cancel",
                key=f"cancel_{sweep.id}",
                icon=":material/stop_circle:",
                help="Cancel the sweep: queued trials never start, running ones stop",
            ):
                sweeps.cancel(sweep.id)
        elif (
            sweep.status != "done"
            and driver_still_runs(sweep) is None
            and st.button(  # refused meanwhile
                "Resume",
                key=f"resume_{sweep.id}",
                icon=":material/play_circle:",
                help="Runs its unfinished trials",
            )
        ):
            sweeps.resume(sweep.id)
            st.rerun()
    stop_offer.offer(
        sweep,
        "driver",
        ", closes the sweep and asks its trials to stop",
        label="Stop the driver",
        key=f"stop_{sweep.id}",
        stop=lambda: sweeps.stop_driver(sweep.id),
    )
    stop_offer.offer_outliving(
        sweep,
        driver_still_runs(sweep),
        SWEEP,
        label="Stop the driver",
        key=f"stop_{sweep.id}",
        stop=lambda: sweeps.stop_outliving_driver(sweep.id),
    )
