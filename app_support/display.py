"""Display helpers shared by the pages: escaping user text, reading chart selections, error boxes."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import streamlit as st

from tlcore.errors import TLError

STATUS_COLOURS = {
    "queued": "gray",
    "running": "blue",
    "done": "green",
    "failed": "red",
    "cancelled": "orange",
    "interrupted": "orange",
}
"""The badge colour of a run's or a sweep's status."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:])")


def esc(text: object) -> str:
    """``text`` with Markdown syntax escaped, for user-supplied strings inside Markdown (``st.markdown``,
    captions, alerts). Never for plain-text labels (select box options, ``format_func``): those show
    the backslashes."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def selected_values(event: Any) -> list[Any]:
    """The (first) ``customdata`` value of each point selected in an ``st.plotly_chart`` selection event."""
    points = (event or {}).get("selection", {}).get("points", [])
    values = []
    for point in points:
        value = point.get("customdata")
        value = value[0] if isinstance(value, list) and value else value
        if value is not None:
            values.append(value)
    return values


def selected_points(event: Any) -> list[int]:
    """The ``customdata`` ids of the points selected in an ``st.plotly_chart`` selection event."""
    return [int(value) for value in selected_values(event) if isinstance(value, int | float)]


@contextlib.contextmanager
def errors_shown() -> Iterator[None]:
    """Show a :class:`TLError` raised in the block as an error box instead of a traceback."""
    try:
        yield
    except TLError as exc:
        st.error(esc(exc), icon=":material/error:")
