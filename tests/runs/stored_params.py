"""Set a run's stored method parameters as an older default (or an older tlstudio: ``None``) left them."""

from __future__ import annotations

import json
from typing import Any

from tlcore.runs.store import RunStore


def set_resolved(store: RunStore, run_id: str, resolved: dict[str, Any] | None) -> None:
    """Replace ``run_id``'s row of the index's ``run_params`` (none for ``None``: a run stored before
    runs kept them)."""
    with store.connect() as conn:
        conn.execute("DELETE FROM run_params WHERE id = ?", (run_id,))
        if resolved is not None:
            text = json.dumps(resolved)
            conn.execute("INSERT INTO run_params (id, resolved) VALUES (?, ?)", (run_id, text))
