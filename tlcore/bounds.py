"""A number setting's range, owned by the engine's config that checks it (:data:`tlcore.adapt.config.BOUNDS`,
:data:`tlcore.runs.search.BOUNDS`, :data:`tlcore.runs.executors.BOUNDS`): the config refuses a value
below ``least`` in its own words, and the app's form offers ``least..most``, so the two never drift."""

from __future__ import annotations

from typing import NamedTuple


class Bound(NamedTuple):
    """``least``: the least value the config accepts; ``most``: the most the app's form offers, the
    config's own largest where it has one, else a cap of the form's only (the CLI leaves e.g.
    ``--epochs`` unbounded on purpose: it prints the estimate first). Both of the setting's type, so
    ``st.number_input(label, *bound)`` takes them as they are."""

    least: int | float
    most: int | float
