"""What an adaptation run returns: :class:`AdaptResult` (JSON-safe through :meth:`AdaptResult.to_dict`).

Importing this module loads no torch (the run store reads :data:`HEADLINE_KEYS` from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

from tlcore.adapt.config import AdaptConfig

if TYPE_CHECKING:
    from tlcore.data.domain import Domain
    from tlcore.metrics.gap import Gap
    from tlcore.metrics.mcnemar import PairedChange
    from tlcore.models import Classifier
    from tlcore.selection.predictions import TargetPredictions
    from tlcore.selection.scores import RunValidators

RunStatus = Literal["done", "stopped_early", "cancelled", "failed"]
HEADLINE_KEYS = ("target_accuracy", "source_only_accuracy", "gap_before", "gap_after")
"""The result's headline numbers: the run index keeps them, ``adapt`` prints them."""


@dataclass
class AdaptResult:
    """The outcome of :func:`tlcore.adapt.run_adaptation`.

    Accuracies are on held-out splits: ``target_accuracy`` / ``source_only_accuracy`` on the target
    test split (None when the target is unlabelled), ``source_accuracy`` on the source validation
    split. ``paired``: the exact McNemar test of the two on the same target test samples
    (:class:`~tlcore.metrics.mcnemar.PairedChange`, stored as its dict; None when the target is
    unlabelled, and absent from results stored before runs kept it). ``history`` holds per-epoch
    dicts of both training stages, each tagged with ``stage`` (``baseline`` | ``adapt``).
    ``gap_before`` / ``gap_after``: the :class:`~tlcore.metrics.gap.Gap` between the held-out source
    and target in the penultimate features of the baseline / adapted model (None when
    the run ended early), stored as :meth:`~tlcore.metrics.gap.Gap.to_dict`. ``seconds``: wall
    seconds of training and evaluation, once the pair is in hand; ``load_seconds``: those of loading
    the pair and searching it for shared samples (:meth:`tlcore.adapt.pair.RunPair.load_seconds`),
    spent by the run or, for ``adapt`` run inline, by the CLI before it (absent from results stored
    before runs kept it, whose ``seconds`` counted them when the run loaded its own pair).
    ``umap_*``: columns ``x``, ``y``, ``domain``, ``label``, ``prediction`` and ``classes``.
    ``classes`` names the model's outputs (the source's classes). ``validators``: the label-free
    scores of both models (:class:`~tlcore.selection.scores.RunValidators`, stored as its dict).
    ``model`` (the adapted :class:`~tlcore.models.Classifier`, on the CPU), ``source_model`` (the
    model that scored the source splits when a transform gave one, e.g. AdaBN's source statistics;
    the checkpoint keeps it, :func:`tlcore.checkpoints.save_checkpoint`) and ``predictions`` (both
    models' target probabilities, :class:`~tlcore.selection.predictions.TargetPredictions`, the run
    store's ``predictions.npz``) and ``target`` (the harmonised target domain the run loaded, whose
    blank images its run store's ``blank.json`` counts: :func:`tlcore.runs.blank_target.run_blank_warning`)
    are left out of :meth:`to_dict`. ``shared_samples``: what the run's splits share with its source
    (:meth:`tlcore.adapt.pair.RunPair.shared`, as its dict; None when the pair shares none, absent from
    results stored before runs kept it): its target accuracy reads too high when ``shared_test`` > 0.
    """

    config: AdaptConfig
    status: RunStatus = "done"
    reason: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    target_accuracy: float | None = None
    source_only_accuracy: float | None = None
    paired: PairedChange | None = None
    source_accuracy: float | None = None
    per_class_accuracy: dict[str, float | None] | None = None
    confusion: list[list[int]] | None = None
    gap_before: Gap | None = None
    gap_after: Gap | None = None
    umap_before: dict[str, Any] | None = None
    umap_after: dict[str, Any] | None = None
    seconds: float = 0.0
    load_seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    shared_samples: dict[str, Any] | None = None
    validators: RunValidators | None = None
    model: Classifier | None = None
    source_model: Classifier | None = None
    predictions: TargetPredictions | None = None
    target: Domain | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field but the models and ``predictions``, as plain JSON-able values (``config``, the
        gaps, the paired test and the validators as their dicts)."""
        skip = ("model", "source_model", "predictions", "target", "config")
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        for key in ("gap_before", "gap_after", "validators", "paired"):
            out[key] = None if out[key] is None else out[key].to_dict()
        return {"config": self.config.to_dict(), **out}
