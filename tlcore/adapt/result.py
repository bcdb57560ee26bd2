"""What an adaptation run returns: :class:`AdaptResult` (JSON-safe through :meth:`AdaptResult.to_dict`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from tlcore.adapt.config import AdaptConfig
from tlcore.models import Classifier

RunStatus = Literal["done", "stopped_early", "cancelled", "failed"]


@dataclass
class AdaptResult:
    """The outcome of :func:`tlcore.adapt.run_adaptation`.

    Accuracies are on held-out splits: ``target_accuracy`` / ``source_only_accuracy`` on the target
    test split (None when the target is unlabelled), ``source_accuracy`` on the source validation
    split. ``history`` holds per-epoch dicts of both training stages, each tagged with ``stage``
    (``baseline`` | ``adapt``). ``gap_before`` / ``gap_after``: ``mmd2``, ``p_value``, ``coral``,
    ``a_distance`` on the penultimate features of the baseline / adapted model. ``umap_*``: columns
    ``x``, ``y``, ``domain``, ``label``, ``prediction`` and ``classes``. ``classes`` names the model's
    outputs (the source's classes). ``model`` (the adapted :class:`~tlcore.models.Classifier`, on the
    CPU) is left out of :meth:`to_dict`.
    """

    config: AdaptConfig
    status: RunStatus = "done"
    reason: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    target_accuracy: float | None = None
    source_only_accuracy: float | None = None
    source_accuracy: float | None = None
    per_class_accuracy: dict[str, float | None] | None = None
    confusion: list[list[int]] | None = None
    gap_before: dict[str, float] = field(default_factory=dict)
    gap_after: dict[str, float] = field(default_factory=dict)
    umap_before: dict[str, Any] | None = None
    umap_after: dict[str, Any] | None = None
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    model: Classifier | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field but ``model``, as plain JSON-able values (``config`` as its dict)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("model", "config")}
        return {"config": self.config.to_dict(), **out}
