"""The Sweep page as the app tests drive it: its picker and finder, and sweeps of the small pair stored
as a shell leaves them (started with ``sweep --detach``, or ended), none run."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET
from tlcore.runs import driver
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

PAIR = (SMALL_SOURCE, SMALL_TARGET)  # the sidebar's pair of every page the tests open
SPEC = SweepSpec(SMALL_SOURCE, SMALL_TARGET, (("dann",),), Space(parse_grid(["dann.weight=0.1,0.3"])))


def picker(at: AppTest) -> Any:
    """The select box of the sweep the page shows."""
    return next(s for s in at.selectbox if s.label == "Sweep")


def finder(at: AppTest) -> Any:
    """The field that filters the picker's sweeps."""
    return next(t for t in at.text_input if t.label == "Find a sweep")


def started_elsewhere(ws: Workspace) -> str:
    """A sweep as ``sweep --detach`` leaves it: stored, its driver (this live process) running it."""
    sweep_id = driver.create(ws, SPEC)
    SweepStore(ws).claim(sweep_id, os.getpid())
    return sweep_id


def ended(ws: Workspace) -> str:
    """A sweep cancelled on request before any trial ran."""
    sweep_id = driver.create(ws, SPEC)
    assert SweepStore(ws).end(sweep_id, "cancelled", "cancelled on request")
    return sweep_id
