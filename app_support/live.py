"""The self-refreshing fragments of the Adapt and Sweep pages: a panel redrawn every
:data:`LIVE_EVERY` s while what it shows is queued or running, and, while nothing is, a look every
:data:`IDLE_EVERY` s that shows nothing and reruns the page once something started elsewhere (another
tab, the CLI), so its panel goes live. An idle tab costs the server one small read per look."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

LIVE_EVERY = 2.0  # seconds between redraws of a panel while what it shows is queued or running
IDLE_EVERY = 10.0  # seconds between looks for something launched elsewhere while nothing is


@st.fragment(run_every=LIVE_EVERY)
def live_panel(draw: Callable[[], bool]) -> None:
    """Calls ``draw`` (which lays out the panel) every :data:`LIVE_EVERY` s; reruns the whole page
    once it returns False (what it follows ended or moved on), so the page goes still or follows."""
    if not draw():
        st.rerun()


@st.fragment(run_every=IDLE_EVERY)
def idle_watch(started: Callable[[], bool], draw: Callable[[], None] | None = None) -> None:
    """Every :data:`IDLE_EVERY` s, reruns the page when ``started()`` says something the page would
    show live is now queued or running; else lays out ``draw`` (nothing without one) afresh."""
    if started():
        st.rerun()
    if draw is not None:
        draw()
