"""A gap's numbers by name, as every view labels them, without torch (``runs show`` and ``adapt`` read a
run's stored gap with them): :data:`GAP_METRICS`, the headline numbers tables and figures show, and
:data:`GAP_LABELS`, every number ``diagnose`` and ``runs show`` print."""

from __future__ import annotations

GAP_METRICS = {"mmd2": "MMD²", "coral": "CORAL", "a_distance": "proxy A-distance"}
"""The gap's headline numbers (key of :class:`~tlcore.metrics.gap.Gap` -> display name), as tables and
figures show them."""

GAP_LABELS = {
    "mmd2": GAP_METRICS["mmd2"],
    "coral": GAP_METRICS["coral"],
    "mean_distance": "mean distance",
    "a_distance": GAP_METRICS["a_distance"],
}
"""The numbers of a gap's text (:mod:`tlcore.cli.gap_text`), in its order: :data:`GAP_METRICS` and the
distance between the feature means."""
