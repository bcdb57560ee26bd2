"""The Adapt page's buttons on a run's card: Cancel a live run; Stop the run, for a worker that has not
answered the cancel (hung: :func:`tlcore.runs.process_stop.unanswered`); Stop the worker, for one that
outlives the run (:func:`~tlcore.runs.process_stop.still_runs`)."""

from __future__ import annotations

import streamlit as st

from app_support import display, engine, stop_offer
from tlcore.runs import jobs
from tlcore.runs.process_stop import RUN, worker_still_runs
from tlcore.runs.record import RunRecord

ASKED = "Cancel asked: the run stops at its worker's next step."


def cancel_button(record: RunRecord) -> None:
    """Cancel: ask the active run's worker to stop (it reads the flag at its next step); once asked, the
    card says so under the button (QA helper-254: the card read running, unchanged, until the worker
    answered, and invited a second press)."""
    if st.button("Cancel", key=f"cancel_{record.id}", icon=":material/stop_circle:"):
        with display.errors_shown():
            jobs.cancel(engine.workspace(), record.id)
    if record.cancel_requested:
        st.caption(ASKED)


def stop_button(record: RunRecord) -> None:
    """While the run's cancel goes unanswered: why its worker looks hung and a **Stop the run** button
    that ends the worker's process and closes the run (:func:`tlcore.runs.jobs.cancel` with ``force``);
    where the worker outlives the run (closed interrupted on its silence, or stuck on its way out after
    closing it): a **Stop the worker** button that ends that process
    (:func:`tlcore.runs.jobs.stop_outliving_worker`), the run kept as it is."""
    stop_offer.offer(
        record,
        "worker",
        " and closes the run (cancelled)",
        label="Stop the run",
        key=f"stop_{record.id}",
        stop=lambda: jobs.cancel(engine.workspace(), record.id, force=True),
    )
    stop_offer.offer_outliving(
        record,
        worker_still_runs(record),
        RUN,
        label="Stop the worker",
        key=f"stop_{record.id}",
        stop=lambda: jobs.stop_outliving_worker(engine.workspace(), record.id),
    )
