"""The offer to stop a process that has not answered a cancel (a sweep's driver, a run's worker), or that
outlives its ended record (closed interrupted on its silence, or launched for it alone and stuck on its
way out): why, and a button that ends it through the engine; the rules of when are the engine's
(:func:`tlcore.runs.process_stop.unanswered`, :func:`~tlcore.runs.process_stop.still_runs`)."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from app_support import display
from tlcore.runs.process_stop import (
    TERM_GRACE,
    Held,
    Holding,
    closed_by_look,
    outliving_words,
    silence,
    unanswered,
)

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
    record: Held, pid: int | None, holding: Holding, *, label: str, key: str, stop: Callable[[], str | None]
) -> None:
    """Where the ended ``record`` is outlived by its process ``pid``
    (:func:`~tlcore.runs.process_stop.still_runs`; None: it is not): a warning saying so, why that process
    is stuck (a run closed on its worker's silence; a process launched for its record alone that closed it
    and does not exit) and what stopping it does, and a button ``label`` calling ``stop``; on the rerun, the
    line it returned in its place (QA: the warning only vanished, nothing said what was ended; a toast sent
    before the rerun never showed, and one after it cut the line)."""
    said_key = f"{key}_said"
    if said := st.session_state.pop(said_key, None):
        st.success(said, icon=":material/check_circle:")
    if pid is None:
        return
    noun, status = holding.noun, record.status
    still = outliving_words(record, pid, holding, time.time())
    if closed_by_look(record, holding):
        why = (
            f"The {noun} was closed as interrupted (no sign of life), but {still}: paused or stuck, it holds "
            f"CPU and memory and may still write into the {noun}'s files."
        )
    else:
        why = (
            f"The {noun} has ended ({status}), but {still}: launched for this {noun} alone, it has nothing "
            "left to do, so it is stuck on its way out, holding CPU and memory."
        )

    def stop_and_say() -> None:
        said = stop() or f"its {holding.role} (process {pid}) had ended meanwhile: nothing was signalled"
        st.session_state[said_key] = display.sentence(said)

    _offer(f"{why} {ENDS}; the {noun} stays {status}.", label, key, stop_and_say)


def _offer(warning: str, label: str, key: str, stop: Callable[[], object]) -> None:
    """The ``warning`` and a button ``label`` calling ``stop`` (a :class:`TLError` shown as an error), then
    a rerun."""
    st.warning(warning, icon=":material/warning:")
    with display.errors_shown():
        if st.button(label, key=key, icon=":material/dangerous:"):
            stop()
            st.rerun()
