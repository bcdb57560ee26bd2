"""The candidates of one pair: done runs whose stored predictions cover the same target samples.

:func:`tlcore.runs.candidates.load_pool` builds a :class:`Pool` from a run store; tests and the
benchmark can build one from arrays. :meth:`Pool.agreements` computes EnsV for every candidate's
adapted model and for its source-only model against one ensemble: every *distinct* model of the
pool (each source-only model, since keeping it is one of the choices, shared baselines counted
once; each run's adapted model), except the adapted models the caller leaves out. Hu et al. 2024
ensemble every candidate; the ranking leaves out the collapsed ones (:mod:`tlcore.selection.ranking`),
whose confident single class would otherwise pull the pseudo-labels of a small pool towards it.
Each :class:`Agreement` counts the ensemble's models other than that run's own two: with none, the
ensemble cannot judge between them (:func:`tlcore.selection.alarm.check_run`); it carries the
ensemble's makeup (:meth:`Pool.makeup`): with no more adapted models than source-only ones the
ensemble is *outvoted* (:attr:`Agreement.outvoted`: agreeing with it mostly means agreeing with the
source-only models, so it cannot judge either; docs/defaults.md, *Small pools*); and pairs the two
models' agreement sample by sample, as the exact McNemar test reads it (:mod:`tlcore.metrics.mcnemar`:
``b`` samples only the source-only model agrees with the ensemble on, ``c`` only the adapted model).
:meth:`Pool.mixval` ranks the adapted models by their stored MixVal probes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from tlcore.metrics.mcnemar import PairedChange
from tlcore.numbers import plural
from tlcore.selection.ensemble import agrees, ensemble_agreement, ensemble_labels
from tlcore.selection.mixval import mixval_scores
from tlcore.selection.predictions import TargetPredictions
from tlcore.selection.scores import RunValidators


@dataclass(frozen=True)
class Candidate:
    """One done run as the ranking sees it. ``target_accuracy`` / ``source_only_accuracy`` (on
    the target test split) and ``paired``, the McNemar test of the two (None also for a run stored
    before runs kept it), exist only for a labelled target: shown beside, never used to choose."""

    run_id: str
    method: str
    validators: RunValidators
    predictions: TargetPredictions
    target_accuracy: float | None = None
    source_only_accuracy: float | None = None
    paired: PairedChange | None = None
    baseline: str = ""  # its source-only model's config (:mod:`tlcore.selection.baselines`)
    setup: str = ""  # its network and target labels, ``model=cnn`` (:mod:`tlcore.selection.setups`)
    # how its method parameters differ from today's launch of its config, "" when they do not
    # (:func:`tlcore.adapt.stored_params.params_note`)
    params_note: str = ""


@dataclass(frozen=True)
class Agreement:
    """EnsV of a run's source-only model (``before``) and adapted model (``after``); ``others``: how
    many models of the ensemble are neither of the two (0: the ensemble is the run's own models, or
    its source-only model alone, and cannot judge between them); ``peers``: how many other runs the
    pool holds, ``collapsed_peers`` of them left out of the ensemble (with ``others`` 0, the rest
    predict exactly as the run's own models: duplicates); ``paired``: the two models' agreement with
    the ensemble on the same ``n`` samples, ``b`` samples only the source-only model agrees on, ``c``
    only the adapted model (None when built without it); ``ensemble``: the ensemble's source-only and
    adapted models (:meth:`Pool.makeup`; None when built without it)."""

    before: float
    after: float
    others: int
    peers: int = 0
    collapsed_peers: int = 0
    paired: PairedChange | None = None
    ensemble: tuple[int, int] | None = None

    @property
    def outvoted(self) -> bool:
        """Whether the ensemble holds no more adapted models than source-only ones (:func:`outvoted`)."""
        return self.ensemble is not None and outvoted(self.ensemble)


def outvoted(makeup: tuple[int, int]) -> bool:
    """Whether an ensemble of ``(source-only, adapted)`` models (:meth:`Pool.makeup`) holds no more
    adapted models than source-only ones, so that agreeing with it mostly means agreeing with the
    source-only models (a source-only run and one recipe, whose first stage is another source-only
    model); False for an empty ensemble."""
    source_only, adapted = makeup
    return source_only > 0 and adapted <= source_only


OUTVOTED = "no more adapted models than source-only ones"  # the rule of :func:`outvoted` in words


def makeup_words(makeup: tuple[int, int]) -> str:
    """An ensemble of ``(source-only, adapted)`` models (:meth:`Pool.makeup`) in words: ``1 adapted
    model and 2 source-only models``."""
    source_only, adapted = makeup
    return f"{plural(adapted, 'adapted model')} and {plural(source_only, 'source-only model')}"


def outvoted_reason(makeup: tuple[int, int]) -> str:
    """Why an outvoted ensemble (:func:`outvoted`) set EnsV aside, in brief, where a ranking says what
    ranked in its place (``runs rank``'s first line, the Compare page's caption): ``its ensemble holds
    1 adapted model and 1 source-only model, too few adapted ones to judge by``."""
    return f"its ensemble holds {makeup_words(makeup)}, too few adapted ones to judge by"


@dataclass(frozen=True)
class Pool:
    """The candidates of ``source -> target``; ``excluded``: ``(run id, why)`` of the pair's other
    done runs (stored before validators existed, or predictions on other target samples)."""

    source: str
    target: str
    candidates: tuple[Candidate, ...]
    excluded: tuple[tuple[str, str], ...] = ()

    def members(self, left_out: Collection[str] = ()) -> list[np.ndarray]:
        """The ensemble: every distinct probability matrix among the candidates' source-only models
        and the adapted models of the runs not in ``left_out``, in pool order."""
        return list(self._members(left_out).values())

    def _members(self, left_out: Collection[str]) -> dict[str, np.ndarray]:
        """:meth:`members` by :func:`_key`."""
        seen: dict[str, np.ndarray] = {}
        for candidate in self.candidates:
            after = () if candidate.run_id in left_out else (candidate.predictions.after,)
            for p in (candidate.predictions.before, *after):
                seen.setdefault(_key(p), np.ascontiguousarray(p, dtype=np.float32))
        return seen

    def makeup(self, left_out: Collection[str] = ()) -> tuple[int, int]:
        """How many of the ensemble's models (:meth:`members`) are source-only models, and how many
        adapted models (distinct from every source-only one)."""
        before = {_key(c.predictions.before) for c in self.candidates}
        after = {_key(c.predictions.after) for c in self.candidates if c.run_id not in left_out}
        return len(before), len(after - before)

    def mixval(self) -> dict[str, float]:
        """MixVal of every candidate's adapted model among the pool's (:mod:`tlcore.selection.mixval`)."""
        after = {c.run_id: c.validators.after for c in self.candidates}
        return mixval_scores({run_id: (v.ice_inter, v.ice_intra) for run_id, v in after.items()})

    def agreements(self, left_out: Collection[str] = ()) -> dict[str, Agreement]:
        """EnsV before / after of every candidate, by run id, against the ensemble of
        :meth:`members`, with how many members are neither of its two models, how many other runs
        the pool holds (left out or not), the two models' paired agreement and the ensemble's makeup
        (empty for an empty pool)."""
        if not self.candidates:
            return {}
        members = self._members(left_out)
        makeup = self.makeup(left_out)
        labels = ensemble_labels(list(members.values()))
        collapsed = {c.run_id for c in self.candidates if c.run_id in left_out}
        return {
            c.run_id: Agreement(
                ensemble_agreement(c.predictions.before, labels),
                ensemble_agreement(c.predictions.after, labels),
                len(members.keys() - {_key(c.predictions.before), _key(c.predictions.after)}),
                len(self.candidates) - 1,
                len(collapsed - {c.run_id}),
                PairedChange.of(
                    agrees(c.predictions.before, labels).tolist(),
                    agrees(c.predictions.after, labels).tolist(),
                ),
                makeup,
            )
            for c in self.candidates
        }


def _key(p: np.ndarray) -> str:
    """The identity of a probability matrix in the ensemble: the SHA-256 of its float32 bytes."""
    data = np.ascontiguousarray(p, dtype=np.float32)
    return hashlib.sha256(memoryview(data).cast("B")).hexdigest()
