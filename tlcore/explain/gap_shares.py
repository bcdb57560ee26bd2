"""Each cause's share of the gap, in one currency: how much MMD² falls when the cause is removed.

The gap is the fix checks' MMD² before any fix, ``G`` (:func:`tlcore.explain.check_measure.cheap_measure`:
raw features of ``check_samples`` per side, PCA to ``check_pca``, ``seed``). A cause is removed from
the pair, MMD² re-measured the same way (:func:`~tlcore.metrics.gap.median_mmd2` of
:func:`~tlcore.explain.check_measure.check_features`), ``G'``, and its share is ``(G - G') / G``, clipped to
[0, 1]:

* an appearance finding: its fix applied (:attr:`tlcore.explain.fixes.FixCheck.shrinks_by`);
* label shift: the source drawn (seeded, without replacement) by class quotas of the estimated
  target priors (:attr:`~tlcore.explain.evidence.LabelShiftSummary.priors`, EM or BBSE), as many
  samples as the check takes; a class with fewer samples than its quota gives all it has;
* source classes a labelled target lacks: the source without them, its other classes as they are;
* new regions: the target without its novel samples beyond chance
  (:meth:`tlcore.metrics.coverage.Novelty.covered_index`, in the check's features), before any fix
  (``covered_mmd2``) like every other cause, also when the verdict finds them still new after a fix
  (it is then new data, not appearance, and measured on the same ``G`` as the fixes). Unbiased MMD² has
  the same expectation at any sample size, so the smaller target compares with the full one; dropping
  only the excess over chance keeps a target drawn like the source at 0 (its farthest ~1% are novel
  by construction, and dropping them would shrink MMD² for no cause);
* blank images (no ink), when at least :data:`~tlcore.explain.image_stats.BLANK_MIN` of a side's
  are: the pair without them (``without_blank``, measured by the fix checks' own measure). New
  regions are then read on that pair, not driven by the blank images (which have no neighbour on
  the other side): removing them there takes MMD² from ``without_blank`` to ``covered``, and their
  share is that fall, of ``G`` like every other;
* target classes the source lacks: they were dropped before ``G`` was measured, so they are removed
  from the gap *with* them, ``G+`` (the target reloaded from its spec with every class, harmonised to
  the source): ``(G+ - G) / G+``. The gap is then ``G+``, and every other share, of ``G``, is scaled
  by ``1 -`` that share to be a share of ``G+`` too;
* a drifted column of feature vectors (:mod:`tlcore.explain.columns`, the
  :attr:`~tlcore.explain.settings.ExplainSettings.max_column_checks` most drifted): the target's
  column re-centred and re-scaled to the source's mean and spread, ``x -> (x - m_t) / s_t * s_s +
  m_s`` (:func:`~tlcore.explain.columns.matched`; a text column's 0/1 columns together, the target
  given the source's mix of its values: :mod:`tlcore.explain.text_drift`), on top of the columns
  ranked before it (forward selection): each round matches, with those already matched, the column
  that leaves the least MMD², and its share is the fall from the round before, ``(G_{k-1} - G_k) /
  G`` (``G_0 = G``). Measured alone, a column's share would hide behind a larger one: a column
  moved many standard deviations saturates the Gaussian kernel, so the pair stays apart whatever
  else is matched, and a column whose units changed tenfold would earn nothing next to it. The
  column shares add up to ``columns_together``, MMD² with every checked column matched, which
  bounds what adaptation is left.
  A drifted column that counts rows on both sides (:func:`~tlcore.explain.columns.set_aside`) is
  matched first, before the first round (``G_0`` is MMD² with it matched), and has no share: only
  dropping it removes its part, which is in ``columns_together`` but in no ranked share.

A cause that cannot be removed this way (no source labels or no estimated priors, no spec to reload
the target from, fewer than :data:`tlcore.gap_level.MIN_POWER` samples left, ``G <= 0``) has no
share: ``notes`` says why, and the verdict ranks it after the measured causes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
from threadpoolctl import threadpool_limits

from tlcore.data.domain import Domain
from tlcore.data.harmonise import harmonise
from tlcore.data.rng import generator
from tlcore.errors import TLError
from tlcore.explain.check_measure import CheckMeasure, check_features
from tlcore.explain.columns import Drift, removed, set_aside, to_check
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.text_drift import TextDrift, quotas
from tlcore.gap_level import MIN_POWER
from tlcore.metrics.gap import median_mmd2


@dataclass(frozen=True)
class GapShares:
    """MMD² before any fix (``mmd2``, the ``G`` of the module docstring) and with each cause removed
    (``None`` when it could not be, with the reason in ``notes`` by cause kind); ``with_new_classes``
    is ``G+``; ``covered`` is measured on the pair without its blank images when ``without_blank`` is
    set (:attr:`covered_from`); ``columns`` every column of feature vectors compared (its MMD² and
    share set when checked), ``columns_together`` MMD² with the checked columns all matched."""

    mmd2: float
    covered: float | None = None
    label_shift: float | None = None
    missing_classes: float | None = None
    with_new_classes: float | None = None
    without_blank: float | None = None
    notes: dict[str, str] = field(default_factory=dict)
    columns: tuple[Drift, ...] = ()
    columns_together: float | None = None

    @property
    def columns_share(self) -> float | None:
        """The share of the gap the checked columns account for, matched together."""
        return self.share(self.mmd2, self.columns_together)

    @property
    def mixes(self) -> bool:
        """A text column's mix of values drifted: a change of population, which no matching undoes."""
        return any(isinstance(c, TextDrift) and c.fires for c in self.columns)

    @property
    def covered_from(self) -> float:
        """MMD² from which removing the novel target samples falls to ``covered``."""
        return self.mmd2 if self.without_blank is None else self.without_blank

    @property
    def new_classes(self) -> float | None:
        """The share of ``G+`` the target classes the source lacks account for."""
        plus = self.with_new_classes
        if plus is None or plus <= 0:
            return None
        return min(1.0, max(0.0, (plus - self.mmd2) / plus))

    def share(self, before: float, after: float | None) -> float | None:
        """The share of the gap removed when MMD² falls from ``before`` to ``after``: of ``G``, scaled
        to a share of ``G+`` when target classes the source lacks were measured."""
        if after is None or self.mmd2 <= 0:
            return None
        return min(1.0, max(0.0, (before - after) / self.mmd2)) * (1.0 - (self.new_classes or 0.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; the columns are the explanation's own rows (``columns``), not repeated here."""
        out = {k: v for k, v in asdict(self).items() if k != "columns"}
        return out | {"new_classes": self.new_classes, "columns_share": self.columns_share}


def quota_index(y: torch.Tensor, priors: Sequence[float], n: int, seed: int) -> torch.Tensor:
    """Sorted indices of a seeded draw without replacement of ``n`` samples whose labels ``y`` follow
    ``priors`` (one per class index): class ``c`` gets its largest-remainder quota of ``n * priors[c]``,
    or all its samples when it has fewer."""
    quota = quotas(torch.tensor(priors, dtype=torch.float64), n)
    gen = generator(seed, "explain", "priors")
    parts = []
    for c, q in enumerate(quota.tolist()):
        members = torch.nonzero(y == c).flatten()
        parts.append(members[torch.randperm(len(members), generator=gen)[:q]])
    return torch.cat(parts).sort().values


def _with_priors(source: Domain, target: Domain, prior: dict[str, float], settings: ExplainSettings) -> float:
    """MMD² once the source is drawn to the class proportions ``prior`` (by class name)."""
    if source.y is None:
        raise TLError("the source has no labels to draw by class")
    n = min(settings.check_samples, source.n_samples)
    index = quota_index(source.y, [prior.get(c, 0.0) for c in source.classes], n, settings.seed)
    if len(index) < MIN_POWER:
        raise TLError(f"fewer than {MIN_POWER} source samples of those classes")
    return _mmd2(source.subset(index), target, settings)


def _mmd2(source: Domain, target: Domain, settings: ExplainSettings) -> float:
    with threadpool_limits(limits=1, user_api="blas"):
        return median_mmd2(*check_features(source, target, settings), settings.seed)[0]


def _attempt(notes: dict[str, str], kind: str, measure: Callable[[], float]) -> float | None:
    """``measure()``, or None with its one-line reason in ``notes[kind]``."""
    try:
        return measure()
    except TLError as exc:
        notes[kind] = str(exc)
        return None


def measure_shares(
    source: Domain,
    target: Domain,
    before: CheckMeasure,
    settings: ExplainSettings,
    *,
    label_shift: LabelShiftSummary | None = None,
    classes: ClassMismatch | None = None,
    every_class: Callable[[], Domain] | None = None,
    columns: Sequence[Drift] = (),
    without_blank: CheckMeasure | None = None,
) -> GapShares:
    """MMD² of the pair with each cause there is evidence of removed (module docstring); ``before`` is
    the pair's check measure, ``every_class`` loads the target with the classes the source lacks,
    harmonised to the source (``None``: no spec to load it from); ``columns`` the pair's columns
    compared (:func:`tlcore.explain.columns.column_drift`, feature vectors only), ``without_blank``
    the check measure of the pair without its blank images when they are a cause."""
    notes: dict[str, str] = {}
    novel = before if without_blank is None else without_blank
    if novel.covered_mmd2 is None:
        notes["novelty"] = f"fewer than {MIN_POWER} target samples left without the novel ones"

    def drawn(prior: dict[str, float]) -> float:
        if not prior:
            raise TLError("no estimated target priors to draw the source by")
        return _with_priors(source, target, prior, settings)

    def with_them() -> float:
        if every_class is None:
            raise TLError("the target is not named by a spec to reload it with every class")
        return _mmd2(source, every_class(), settings)

    out = GapShares(
        before.gap.mmd2,
        covered=novel.covered_mmd2,
        without_blank=None if without_blank is None else without_blank.gap.mmd2,
    )
    if label_shift is not None:
        prior = dict(zip(label_shift.classes, label_shift.priors, strict=True))
        out = replace(out, label_shift=_attempt(notes, "label_shift", lambda: drawn(prior)))
    if classes is not None and classes.missing:
        kept = {c: float(n) for c, n in source.class_counts().items() if c not in classes.missing}
        out = replace(out, missing_classes=_attempt(notes, "missing_classes", lambda: drawn(kept)))
    if classes is not None and classes.new:
        out = replace(out, with_new_classes=_attempt(notes, "new_classes", with_them))
        if out.new_classes is None and "new_classes" not in notes:
            notes["new_classes"] = "no gap to share even with them: MMD² was at most 0"
    if out.mmd2 <= 0:
        notes |= {
            k: "no gap to share: MMD² was at most 0"
            for k in ("label_shift", "missing_classes", "novelty", "blank", "columns")
        }
    return replace(_with_columns(out, source, target, columns, settings, notes=notes), notes=notes)


def _with_columns(
    out: GapShares,
    source: Domain,
    target: Domain,
    columns: Sequence[Drift],
    settings: ExplainSettings,
    *,
    notes: dict[str, str],
) -> GapShares:
    """``out`` with every column and the checked ones' removals (module docstring)."""
    checked = to_check(columns, settings.max_column_checks) if out.mmd2 > 0 else []
    drifted = sum(c.fires and not c.row_number for c in columns)
    if drifted > len(checked) > 0:
        notes["columns"] = f"only the {len(checked)} most drifted of {drifted} drifted columns are checked"
    aside = set_aside(columns) if out.mmd2 > 0 else []
    rounds = _forward(source, target, checked, settings, out.mmd2, aside=aside)
    rows = tuple(
        replace(
            c,
            **rounds[c.index],
            share=None
            if c.row_number
            else out.share(rounds[c.index]["mmd2_before"], rounds[c.index]["mmd2_after"]),
        )
        if c.index in rounds
        else c
        for c in columns
    )
    together = list(rounds.values())[-1]["mmd2_after"] if rounds else None
    return replace(out, columns=rows, columns_together=together)


def _forward(
    source: Domain,
    target: Domain,
    checked: Sequence[Drift],
    settings: ExplainSettings,
    start: float,
    *,
    aside: Sequence[Drift] = (),
) -> dict[int, dict[str, Any]]:
    """By column index, in the order matched: its ``mmd2_before`` and ``mmd2_after`` being matched and
    the columns ``matched_before`` it, in forward selection from MMD² ``start`` (module docstring),
    after the columns set ``aside``, matched together first; ties go to the more drifted column."""
    done, level = list(aside), start
    rounds: dict[int, dict[str, Any]] = {}
    if aside:
        level = _mmd2(source, removed(source, target, aside, settings.seed), settings)
        rounds |= {c.index: {"mmd2_before": start, "mmd2_after": level, "matched_before": ()} for c in aside}
    left = list(checked)
    while left:
        after = [_mmd2(source, removed(source, target, [*done, c], settings.seed), settings) for c in left]
        best = min(range(len(left)), key=after.__getitem__)
        names = tuple(d.name for d in done)
        rounds[left[best].index] = {"mmd2_before": level, "mmd2_after": after[best], "matched_before": names}
        level = after[best]
        done.append(left.pop(best))
    return rounds


def every_class_target(source: Domain, load: Callable[[], Domain]) -> Domain:
    """The target as ``load`` gives it, every class kept: harmonised to ``source`` without its labels
    (:func:`tlcore.data.harmonise.harmonise` drops the samples of classes the source lacks)."""
    return harmonise(source, replace(load(), y=None, classes=()))[1]
