"""The offer to stop a process that has not answered a cancel (a sweep's driver, a run's worker), or that
still runs though its record was closed interrupted: why, and a button that ends it through the engine;
the rules of when are the engine's (:func:`tlcore.runs.process_stop.unanswered`,
:func:`~tlcore.runs.process_stop.still_runs`)."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from app_support import display
from tlcore.runs.process_stop import TERM_GRACE, Held, silence, unanswered

ENDS = f"Stopping it ends that process (SIGTERM, then SIGKILL {TERM_GRACE:g} s later)"


def offer(record: Held, role: str, effect: str, *, label: str, key: str, stop: Callable[[], object]) -> None:
    """While the cancel asked of ``record`` goes unanswered: a warning that its ``role`` (``"driver"``,
    ``"worker"``) looks hung and what stopping it does after ending the process (``effect``, from its
    punctuation on: ``", closes the sweep"``), and a
    button ``label`` calling ``stop`` (a :class:`TLError` shown as an error), then a rerun."""
    now = time.time()
    if not unanswered(record, now):
        return
    why = f"The {role} (process {record.pid}) has not answered the cancel for {silence(record, now):.0f} s"
    _offer(f"{why}: it looks hung. {ENDS}{effect}.", label, key, stop)


def offer_outliving(
    pid: int | None, noun: str, role: str, *, label: str, key: str, stop: Callable[[], object]
) -> None:
    """Where the ``noun`` (``"run"``) was closed interrupted while its ``role``'s process ``pid`` still runs
    (:func:`~tlcore.runs.process_stop.still_runs`; None: it does not): a warning saying so and what
    stopping it does, and a button ``label`` calling ``stop``, then a rerun."""
    if pid is None:
        return
    _offer(
        f"The {noun} was closed as interrupted (no sign of life), but its {role} (process {pid}) still runs: "
        f"paused or stuck, it holds CPU and memory and may still write into the {noun}'s files. {ENDS}; the "
        f"{noun} stays interrupted.",
        label,
        key,
        stop,
    )


def _offer(warning: str, label: str, key: str, stop: Callable[[], object]) -> None:
    """The ``warning`` and a button ``label`` calling ``stop`` (a :class:`TLError` shown as an error), then
    a rerun."""
    st.warning(warning, icon=":material/warning:")
    with display.errors_shown():
        if st.button(label, key=key, icon=":material/dangerous:"):
            stop()
            st.rerun()
