"""The default ranking of a pair's runs without target labels, and its recommendation.

Rule (:func:`rank`): guardrails first, then a validator; a pool of several networks or target-label
budgets is ranked once per setup (:mod:`tlcore.selection.setups`).

1. A run *passes* when none of its guardrails (:func:`tlcore.selection.alarm.check_run`) fails:
   no collapse of the predicted classes, source accuracy within ``max_source_drop`` of its
   source-only model's, EnsV not below its source-only model's (the ensemble: every source-only
   model and every adapted model that did not collapse, :class:`~tlcore.selection.pool.Pool`; not
   checked when it holds no model but the run's own, and the reason then says so). A
   run that fails one carries the negative-transfer alarm, so the recommendation never carries it.
2. Passing runs are ordered by ``settings.validator`` (highest first), then the others; ties by id.
   A score of IWCV or DEV whose importance weights have an effective sample size below
   ``settings.min_ess`` is unreliable (:func:`unreliable_weights`): ranking by it, such a passing
   run goes after the passing runs it scores reliably and is never recommended on it
   (``Ranking.note`` says so); the reason counts and compares only the reliably scored ones.
   A run stored before the effective sample size was measured (``ess`` None) is not vouched for
   either: ranking by IWCV or DEV it goes after the reliably scored runs (before the unreliable
   ones) and is not recommended on that score, and the note says why. Its weights may be as
   concentrated as any unreliable run's (on the default pair, ESS 1.8 to 30.1), and a recommendation
   is a claim the tool checks; ranked by a validator without weights (EnsV, the default) it keeps
   its place.
3. The recommendation is the first passing run with a reliable score; when no run passes it is
   "keep the source-only model" (``recommended`` is None), with the reason in one line either way.
   When runs pass but none has a reliable score there is no recommendation (None, and the reason
   says to rank by another validator).

Where EnsV's ensemble is outvoted (no more adapted models than source-only ones,
:func:`~tlcore.selection.pool.outvoted`: a source-only run and one recipe), agreement with it mostly
means agreement with the source-only models: the ensemble checks are not made (the guardrail, and the
bar across configs of :mod:`tlcore.selection.baselines`) and ranking by EnsV ranks by
:data:`~tlcore.selection.settings.OUTVOTED_VALIDATOR` in its place (``Ranking.asked`` says so;
docs/defaults.md, *Small pools*).

Target accuracies, where the target is labelled, ride along for display and are never used.

4. When the model the ranking leaves you with is collapsed on the target (a caveat,
   :meth:`Ranking.collapsed_choice`), the runs are ordered again: runs whose adapted model labels the
   target with enough classes first, no bar set by a collapsed source-only model, the source-accuracy
   guardrail set aside where the run's own source-only model collapsed (:mod:`tlcore.selection.collapse`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from tlcore.numbers import and_list
from tlcore.selection import collapse
from tlcore.selection.alarm import Alarm, collapsed, judge, waive_source_check
from tlcore.selection.baselines import Baseline, baselines, kept_reason, outranked
from tlcore.selection.collapse import COLLAPSED_SHARE, bars, collapse_check, passed_over, spread
from tlcore.selection.pool import Pool, outvoted
from tlcore.selection.reasons import reason
from tlcore.selection.reliability import ess_text, unreliable_weights
from tlcore.selection.settings import OUTVOTED_VALIDATOR, VALIDATORS, SelectionSettings
from tlcore.selection.setups import SETUPS_REASON

KEEP = "keep the source-only model"  # the choice when no run passed: each run's own source-only model


@dataclass(frozen=True)
class RankedRun:
    """One run in the ranking: every validator of its adapted model (``scores``, EnsV and MixVal
    included), the stored ones and EnsV of its source-only model (``scores_before``), the ranking's
    ``score``, and its alarm; ``ess``: its adapted model's effective sample size of the importance
    weights (None for runs stored before) and ``n_weights`` how many weights there are, ``unreliable``:
    why its IWCV and DEV are not to be trusted (None when they are, or when ``ess`` is unknown),
    ``reliable``: whether the ranking's ``score`` is to be trusted (ranked by IWCV or DEV, False
    when ``ess`` is below ``min_ess`` or unknown: ``ess`` None, ``unreliable`` None)."""

    run_id: str
    method: str
    score: float
    scores: dict[str, float]
    scores_before: dict[str, float]
    alarm: Alarm  # with the target accuracies, where the target is labelled
    ess: float | None = None
    unreliable: str | None = None
    reliable: bool = True
    n_weights: int | None = None
    baseline: str = ""  # its config (:attr:`~tlcore.selection.pool.Candidate.baseline`)
    outranked_by: str | None = None  # the other config whose source-only EnsV is above its own
    setup: str = ""  # its network and target labels (:mod:`tlcore.selection.setups`)
    params_note: str = ""  # its method parameters against today's (:attr:`Candidate.params_note`)
    n_target: int | None = None  # the target samples its stored validators scored (BNM's n)

    @property
    def passed(self) -> bool:
        return not self.alarm.raised

    @property
    def eligible(self) -> bool:
        """Passed its guardrails and no other config's source-only model outranks it
        (:mod:`tlcore.selection.baselines`)."""
        return self.passed and self.outranked_by is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "method": self.method,
            "score": self.score,
            "passed": self.passed,
            "scores": self.scores,
            "scores_before": self.scores_before,
            "ess": self.ess,
            "n_weights": self.n_weights,
            "unreliable": self.unreliable,
            "reliable": self.reliable,
            "alarm": self.alarm.to_dict(),
            "baseline": self.baseline,
            "outranked_by": self.outranked_by,
            "params_note": self.params_note or None,
        }


@dataclass(frozen=True)
class Ranking:
    """The ordered runs of one pair, the recommended run id (None: keep the source-only model, or
    no reliable score) and the one-line reason (why: the choice itself is :attr:`choice`);
    ``excluded``: ``(run id, why)`` of the pair's runs that are not candidates; ``n_classes``: the
    source's classes (None: unknown)."""

    source: str
    target: str
    settings: SelectionSettings
    entries: tuple[RankedRun, ...]
    recommended: str | None
    reason: str
    excluded: tuple[tuple[str, str], ...] = ()
    n_classes: int | None = None
    baselines: tuple[Baseline, ...] = ()  # the pool's configs (:mod:`tlcore.selection.baselines`)
    kept: str | None = None  # mixed configs: the run whose source-only model to keep
    setup: str = ""  # a part's setup (:mod:`tlcore.selection.setups`); "" for a pool of one setup
    parts: tuple[Ranking, ...] = ()  # a pool of several setups: one ranking per setup, by name
    ensemble: tuple[int, int] = (0, 0)  # EnsV's ensemble: its source-only and adapted models (Pool.makeup)
    asked: str | None = None  # the validator asked for, where the outvoted ensemble set it aside

    @property
    def recommended_runs(self) -> tuple[str, ...]:
        """The recommended run, or one per setup in a pool of several (:attr:`parts`)."""
        chosen = (p.recommended for p in self.parts) if self.parts else (self.recommended,)
        return tuple(filter(None, chosen))

    def part_of(self, run_id: str) -> Ranking:
        """The ranking that decides ``run_id``: its setup's part, or this ranking (one setup)."""
        return next((p for p in self.parts if any(e.run_id == run_id for e in p.entries)), self)

    @property
    def mixed(self) -> bool:
        """Whether the pool's runs stand on source-only models of different configs."""
        return len(self.baselines) > 1

    def collapsed_choice(self) -> tuple[str, float] | None:
        """``("recommended", c)`` when the recommended run's model predicts ``c`` effective classes on
        the target (:func:`~tlcore.selection.validators.effective_classes`), fewer than
        ``COLLAPSED_SHARE * n_classes``; ``("source-only", c)`` when the choice is to keep the
        source-only model and every run's source-only model (``c`` the most of them) does; else None
        (always with :attr:`parts`: each part says its own)."""
        if self.n_classes is None or self.parts:
            return None
        if self.recommended is not None:
            entry = next(e for e in self.entries if e.run_id == self.recommended)
            who, classes = "recommended", collapse_check(entry).after
        elif self.kept is not None:
            entry = next(e for e in self.entries if e.run_id == self.kept)
            who, classes = "source-only", collapse_check(entry).before
        elif self.choice == KEEP and self.entries:
            who, classes = "source-only", max(collapse_check(e).before for e in self.entries)
        else:
            return None
        return (who, classes) if classes < COLLAPSED_SHARE * self.n_classes else None

    @property
    def choice(self) -> str:
        """The recommendation in words: ``run ID``, ``keep the source-only model`` (no run passed),
        ``keep the source-only model of run ID`` (configs mixed: the strongest one) or ``none`` (runs
        passed, but the validator scores none of them reliably); with :attr:`parts`, each setup's:
        ``model=cnn: run ID; model=lenet_bn: keep the source-only model``."""
        if self.parts:
            return "; ".join(f"{p.setup}: {p.choice}" for p in self.parts)
        if self.recommended is not None:
            return f"run {self.recommended}"
        if self.kept is not None:
            return f"keep the source-only model of run {self.kept}"
        return "none" if any(e.eligible for e in self.entries) else KEEP

    @property
    def pool_note(self) -> str:
        """How its alarms were judged: among its runs (EnsV compares each run with the others, so an
        alarm can change when another run of the pair finishes)."""
        n = len(self.entries)
        return f"judged within a pool of {n} run{'s' if n != 1 else ''} of this pair"

    def note(self, labels: Mapping[str, str] | None = None) -> str | None:
        """Beside a recommendation, the passing runs the validator does not score reliably, named by
        ``labels`` (default: their ids), and why they went after the others: too few effective samples
        of the importance weights, or a number never measured (None: there is none); with
        :attr:`parts`, each setup's note after its name."""
        if self.parts:
            notes = [f"{p.setup}: {n}" for p in self.parts if (n := p.note(labels)) is not None]
            return "; ".join(notes) or None
        if self.recommended is None:
            return None
        label = VALIDATORS[self.settings.validator].label
        doubtful = [e for e in self.entries if e.passed and not e.reliable]
        parts = []
        for known in (True, False):
            runs = [e for e in doubtful if (e.ess is not None) == known]
            if not runs:
                continue
            one = len(runs) == 1
            names = and_list((labels or {}).get(e.run_id, e.run_id) for e in runs)
            why = (
                f"rests on {and_list(ess_text(e.ess) for e in runs)} effective samples of the importance "
                f"weights (fewer than {self.settings.min_ess:g}), too few to trust"
                if known
                else f"cannot be vouched for: {'it was' if one else 'they were'} stored before tlstudio "
                "measured the effective sample size of the importance weights"
            )
            parts.append(
                f"{names} also passed the guardrails, but {'its' if one else 'their'} {label} {why}, so "
                f"{'it is' if one else 'they are'} ranked after the runs with a reliable {label} and not "
                "recommended" + ("" if known else f" (rank by EnsV, or run {'it' if one else 'them'} again)")
            )
        return "; ".join(parts) or None

    def to_dict(self) -> dict[str, Any]:
        return (
            {
                "source": self.source,
                "target": self.target,
                "settings": self.settings.to_dict(),
                "recommended": self.recommended,
                "choice": self.choice,
                "reason": self.reason,
                "note": self.note(),
                "entries": [entry.to_dict() for entry in self.entries],
                "excluded": [{"run_id": run_id, "reason": why} for run_id, why in self.excluded],
                "n_classes": self.n_classes,
                "baselines": [b.to_dict() for b in self.baselines],
                "mixed_baselines": self.mixed,
                "kept": self.kept,
                "ensemble": {"source_only": self.ensemble[0], "adapted": self.ensemble[1]},
                "asked": self.asked,
            }
            | ({"setup": self.setup} if self.setup else {})
            | ({"setups": [p.to_dict() for p in self.parts]} if self.parts else {})
        )


def rank(pool: Pool, settings: SelectionSettings | None = None) -> Ranking:
    """Rank ``pool`` by the rule in the module docstring (default :class:`SelectionSettings`); a pool
    of several setups (networks, target labels) once per setup (:mod:`tlcore.selection.setups`)."""
    settings = settings or SelectionSettings()
    asked = None
    if outvoted(pool.makeup(_collapsed(pool, settings))) and settings.validator == "ensv":
        asked, settings = settings.validator, replace(settings, validator=OUTVOTED_VALIDATOR)
    entries = _scored(pool, settings)
    n_classes = pool.candidates[0].predictions.after.shape[1] if pool.candidates else None
    names = sorted({e.setup for e in entries})
    if len(names) < 2:
        return replace(_decided(pool, settings, entries, n_classes, pool.excluded), asked=asked)
    parts = tuple(
        replace(
            _decided(pool, settings, [e for e in entries if e.setup == n], n_classes, (), setup=n),
            asked=asked,
        )
        for n in names
    )
    every = tuple(e for part in parts for e in part.entries)
    return Ranking(
        pool.source,
        pool.target,
        settings,
        every,
        None,
        SETUPS_REASON,
        pool.excluded,
        n_classes,
        parts=parts,
        ensemble=parts[0].ensemble,
        asked=asked,
    )


def _collapsed(pool: Pool, settings: SelectionSettings) -> set[str]:
    """The runs whose adapted model collapsed: left out of EnsV's ensemble."""
    return {c.run_id for c in pool.candidates if collapsed(c, settings)}


def _scored(pool: Pool, settings: SelectionSettings) -> list[RankedRun]:
    """Every candidate's scores and guardrails, each judged on the whole pool's ensemble (EnsV)."""
    agreements = pool.agreements(_collapsed(pool, settings))
    mixval = pool.mixval()
    weighted = VALIDATORS[settings.validator].weighted
    entries = []
    for candidate in pool.candidates:
        agreement = agreements[candidate.run_id]
        pooled = {"ensv": agreement.after, "mixval": mixval[candidate.run_id]}
        scores = {**candidate.validators.after.scores(), **pooled}
        scores_before = {**candidate.validators.before.scores(), "ensv": agreement.before}
        after = candidate.validators.after  # its weights: at most max_samples source samples
        n_weights = min(after.n_source, candidate.validators.settings.max_samples)
        unreliable = unreliable_weights(after.ess, n_weights, settings)
        entries.append(
            RankedRun(
                candidate.run_id,
                candidate.method,
                scores[settings.validator],
                scores,
                scores_before,
                judge(candidate, agreement, settings),
                after.ess,
                unreliable,
                not (weighted and (unreliable is not None or after.ess is None)),
                n_weights,
                candidate.baseline,
                setup=candidate.setup,
                params_note=candidate.params_note,
                n_target=after.n_target,
            )
        )
    return entries


def _decided(
    pool: Pool,
    settings: SelectionSettings,
    entries: list[RankedRun],
    n_classes: int | None,
    excluded: tuple[tuple[str, str], ...],
    *,
    setup: str = "",
) -> Ranking:
    """The ranking of ``entries`` (one setup's runs; ``setup`` named when the pool has others):
    ordered, recommended, with the reason; again by rule 4 (:mod:`tlcore.selection.collapse`) when its
    choice is collapsed, kept when the new choice is not."""
    ranking = _ordered(pool, settings, list(entries), n_classes, excluded, setup=setup)
    if n_classes is None or (first := ranking.collapsed_choice()) is None:
        return ranking
    floor = COLLAPSED_SHARE * n_classes
    words = ranking.choice.replace("keep ", "")  # run ID, the source-only model (of run ID)
    why = passed_over(f"the first choice, {words},", first[1], entries, ranking.baselines, floor)
    waived = [replace(e, alarm=waive_source_check(e.alarm, floor)) for e in entries]
    again = _ordered(pool, settings, waived, n_classes, excluded, setup=setup, again=(floor, why))
    return again if again.collapsed_choice() is None else collapse.kept_collapsed(ranking)


def _ordered(
    pool: Pool,
    settings: SelectionSettings,
    entries: list[RankedRun],
    n_classes: int | None,
    excluded: tuple[tuple[str, str], ...],
    *,
    setup: str,
    again: tuple[float, str] | None = None,
) -> Ranking:
    """Rules 1 to 3 (module docstring) on ``entries``: ordered, recommended, with the reason; with
    ``again`` (rule 4: its effective target classes, and why the ranking is made again), its order."""
    configs, makeup = baselines(entries), pool.makeup(_collapsed(pool, settings))
    if len(configs) > 1 and not outvoted(makeup):
        above = configs if again is None else bars(entries, again[0])
        entries = [replace(e, outranked_by=getattr(outranked(e, above), "label", None)) for e in entries]
    narrow = (lambda e: not spread(e, again[0])) if again else (lambda e: False)
    entries.sort(
        key=lambda e: (not e.passed, e.outranked_by is not None, _doubt(e), narrow(e), -e.score, e.run_id)
    )
    best = entries[0] if entries and entries[0].eligible and entries[0].reliable else None
    kept = None
    if best is None and len(configs) > 1 and not any(e.eligible for e in entries):
        kept = configs[0].run_id
    return Ranking(
        pool.source,
        pool.target,
        settings,
        tuple(entries),
        None if best is None else best.run_id,
        kept_reason(configs[0], configs)
        if kept
        else reason(
            entries, best, settings, () if outvoted(makeup) else configs, n_classes=n_classes, again=again
        ),
        excluded,
        n_classes,
        configs,
        kept,
        setup,
        ensemble=makeup,
    )


def _doubt(entry: RankedRun) -> int:
    """Where the ranking's score puts a run among the passing ones: 0 reliable, 1 of unknown
    reliability (its ``ess`` was never stored), 2 unreliable."""
    return 0 if entry.reliable else (1 if entry.ess is None else 2)
