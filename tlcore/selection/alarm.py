"""Negative transfer without target labels: each run against its own source-only model.

Three checks (:func:`check_run`), the guardrails of the ranking and the flags of the alarm:

* **collapse**: the adapted model's effective number of predicted target classes is at least
  ``min_class_ratio`` times its source-only model's;
* **source accuracy**: its source validation accuracy is at most ``max_source_drop`` below the
  source-only model's (the source task is not forgotten);
* **ensemble agreement**: its EnsV is not below the source-only model's (in the same pool). Not
  checked when the ensemble holds no model but the run's own two (:attr:`Agreement.others` 0: its
  pool's first run, or every other run collapsed or predicts exactly as its own models): leaving
  its collapsed model out, the ensemble is its source-only model alone, which agrees with itself
  100%; with its adapted model in, the ensemble is their average, and the check would only say which
  of the two is more confident. Nor when the ensemble is outvoted (:attr:`Agreement.outvoted`: no more
  adapted models than source-only ones, as in a user's first pool, a source-only run and one recipe):
  agreeing with it then mostly means agreeing with the source-only models, and the check flagged recipes
  far above their source-only models (docs/defaults.md, *Small pools*). Otherwise it is checked. A
  fall says its size in paired samples, the exact McNemar test of the two models' agreement with the
  ensemble's labels (:attr:`Agreement.paired`): "fell 3 samples of 900 (..., McNemar p = 0.58:
  within chance)". The test decides nothing: a fall of one sample raises the alarm as before.

When the ranking would leave you with a collapsed model, :func:`waive_source_check` sets the
source-accuracy check aside for the runs whose own source-only model collapsed
(rule 4 of the ranking: :mod:`tlcore.selection.collapse`).

The alarm is raised when a check fails, each failure a sentence with its numbers. With target
labels, :attr:`Alarm.truly_negative` says whether adapting really lost target accuracy (negative
transfer: target accuracy below the source-only model's by a change that shows at the display's
0.1 points, the rule the Compare page's box and chart share: :mod:`tlcore.metrics.accuracy_change`),
:attr:`Alarm.correct` whether the alarm said so and :meth:`Alarm.verdict` says it in words, with the
exact McNemar test of the two models on the same target test samples as its evidence
(:mod:`tlcore.metrics.mcnemar`: a fall of one sample of 30 is within chance). The test decides nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from tlcore.metrics import accuracy_change
from tlcore.metrics.mcnemar import PairedChange, described_change, p_text
from tlcore.selection.pool import Agreement, Candidate, makeup_words
from tlcore.selection.settings import SelectionSettings

CheckName = Literal["collapse", "source_accuracy", "ensemble_agreement"]


@dataclass(frozen=True)
class Check:
    """One guardrail of one run: the source-only model's value, the run's, and the run's limit;
    ``checked`` False when there was nothing to judge it by (``passed`` is then True, and
    ``message`` says why); ``paired``, of a checked ensemble agreement: the two models' agreement
    with the ensemble on the same ``n`` samples, ``b`` samples only the source-only model agrees on,
    ``c`` only the adapted model (:attr:`Agreement.paired`)."""

    name: CheckName
    passed: bool
    before: float
    after: float
    limit: float
    message: str  # what happened, with the numbers (the alarm's reason when it failed)
    checked: bool = True
    paired: PairedChange | None = None

    @property
    def brief(self) -> str:
        """The message in a table cell's few words: a failed ensemble agreement's fall without its
        paired counts, ``fell 3 samples of 900 (within chance)`` (as
        :func:`~tlcore.metrics.mcnemar.described_change`'s ``brief``); else the message."""
        if self.name != "ensemble_agreement" or self.passed or self.paired is None:
            return self.message
        return _agreement_words(self.before, self.after, self.paired, brief=True)

    def to_dict(self) -> dict[str, Any]:
        """Its fields, ``paired`` with its McNemar p-value (None when there is none)."""
        return {**asdict(self), "paired": None if self.paired is None else self.paired.to_dict()}


@dataclass(frozen=True)
class Alarm:
    """The checks of one run; with target labels also its target accuracy and its source-only
    model's (on the target test split), to tell whether the alarm was right, and the paired test of
    the two (None when the run did not store it)."""

    run_id: str
    checks: tuple[Check, ...]
    target_accuracy: float | None = None
    source_only_accuracy: float | None = None
    paired: PairedChange | None = None

    @property
    def raised(self) -> bool:
        return any(not check.passed for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [check.message for check in self.checks if not check.passed]

    @property
    def brief_reasons(self) -> list[str]:
        """:attr:`reasons` in a table cell's few words (:attr:`Check.brief`)."""
        return [check.brief for check in self.checks if not check.passed]

    @property
    def unchecked(self) -> list[str]:
        """Why a check was not made, one sentence each (empty when every check was made)."""
        return [check.message for check in self.checks if not check.checked]

    @property
    def truly_negative(self) -> bool | None:
        """Target accuracy below the source-only model's by a change that shows (None without target
        labels): one sample of a target of up to 2,000 samples counts, float noise never does."""
        if self.target_accuracy is None or self.source_only_accuracy is None:
            return None
        return accuracy_change.fell(self.target_accuracy, self.source_only_accuracy)

    @property
    def correct(self) -> bool | None:
        """Whether the alarm matches the truth (None without target labels)."""
        truth = self.truly_negative
        return None if truth is None else self.raised == truth

    def verdict(self) -> str | None:
        """ "right: ...", "false alarm: ..." or "missed: ..." with the target accuracy change in
        points and its paired test (:func:`tlcore.metrics.mcnemar.described_change`), or None without
        target labels."""
        if self.target_accuracy is None or self.source_only_accuracy is None:
            return None
        after, before = self.target_accuracy, self.source_only_accuracy
        moved = described_change(after, before, self.paired, "against source-only")
        label = "right" if self.correct else ("false alarm" if self.raised else "missed")
        return f"{label}: target accuracy {moved}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "raised": self.raised,
            "reasons": self.reasons,
            "unchecked": self.unchecked,
            "checks": [check.to_dict() for check in self.checks],
            "target_accuracy": self.target_accuracy,
            "source_only_accuracy": self.source_only_accuracy,
            "truly_negative": self.truly_negative,
            "paired": None if self.paired is None else self.paired.to_dict(),
            "correct": self.correct,
            "verdict": self.verdict(),
        }


def collapsed(candidate: Candidate, settings: SelectionSettings) -> bool:
    """Whether the run's adapted model fails the collapse check (the only one EnsV does not enter)."""
    before, after = candidate.validators.before, candidate.validators.after
    return after.effective_classes < settings.min_class_ratio * before.effective_classes


def check_run(candidate: Candidate, agreement: Agreement, settings: SelectionSettings) -> tuple[Check, ...]:
    """The three guardrails of one run against its own source-only model (module docstring)."""
    before, after = candidate.validators.before, candidate.validators.after
    floor = settings.min_class_ratio * before.effective_classes
    kept = not collapsed(candidate, settings)
    drop = before.source_accuracy - after.source_accuracy
    points = 100 * drop
    return (
        Check(
            "collapse",
            kept,
            before.effective_classes,
            after.effective_classes,
            floor,
            f"{'kept' if kept else 'predictions collapsed onto'} {after.effective_classes:.1f} effective "
            f"classes (source-only: {before.effective_classes:.1f})",
        ),
        Check(
            "source_accuracy",
            drop <= settings.max_source_drop + 1e-12,
            before.source_accuracy,
            after.source_accuracy,
            before.source_accuracy - settings.max_source_drop,
            (
                f"source accuracy {'fell' if drop > 0 else 'rose'} {abs(points):.1f} points"
                if round(abs(points), 1) > 0
                else "source accuracy unchanged"
            )
            + f" ({before.source_accuracy:.1%} -> {after.source_accuracy:.1%})",
        ),
        _ensemble_check(agreement, kept),
    )


def _ensemble_check(agreement: Agreement, kept: bool) -> Check:
    """The ensemble-agreement guardrail; not checked when the ensemble holds no other model
    (``agreement.others`` 0) or is outvoted (:attr:`Agreement.outvoted`; module docstring). ``kept``:
    the run did not collapse, so its adapted model is in the ensemble."""
    before, after = agreement.before, agreement.after
    why = None
    if agreement.others == 0:
        own = "its source-only and adapted models" if kept else "its source-only model alone"
        why = f"the ensemble holds no model but this run's own ({own}){_why_alone(agreement)}"
    elif agreement.outvoted and agreement.ensemble is not None:
        why = (
            f"the ensemble holds {makeup_words(agreement.ensemble)}, so agreeing with it mostly means "
            "agreeing with the source-only models"
        )
    if why is not None:
        message = f"ensemble agreement not checked: {why}"
        return Check("ensemble_agreement", True, before, after, before, message, checked=False)
    return Check(
        "ensemble_agreement",
        after >= before,
        before,
        after,
        before,
        _agreement_words(before, after, agreement.paired),
        paired=agreement.paired,
    )


def _agreement_words(before: float, after: float, paired: PairedChange | None, *, brief: bool = False) -> str:
    """``ensemble agreement below source-only's (91.2% vs 91.6%): fell 3 samples of 900 (only the
    adapted model agrees with the ensemble on 5, only the source-only model on 8; McNemar p = 0.58:
    within chance)``, or ``at least``; ``brief``: the evidence only when it says ``(within chance)``."""
    way = "below" if after < before else "at least"
    words = f"ensemble agreement {way} source-only's ({after:.1%} vs {before:.1%})"
    if after >= before or paired is None:
        return words
    net = paired.b - paired.c
    fell = f"{words}: fell {net:,} sample{'s' * (net != 1)} of {paired.n:,}"
    if brief:
        return f"{fell} (within chance)" if paired.within_chance else fell
    chance = ": within chance" if paired.within_chance else ""
    return (
        f"{fell} (only the adapted model agrees with the ensemble on {paired.c:,}, only the source-only "
        f"model on {paired.b:,}; {p_text(paired.p_value)}{chance})"
    )


def waive_source_check(alarm: Alarm, floor: float) -> Alarm:
    """``alarm`` with its failed source-accuracy check set aside (passed, not checked, the message says
    why) when its source-only model predicts fewer than ``floor`` effective target classes
    (``exp(H(h))``, :func:`~tlcore.selection.validators.effective_classes`), its adapted model at least
    ``floor``, and its ensemble-agreement check was made and passed; else ``alarm`` itself. The check
    holds a run to its source-only model's source accuracy so that adapting never loses what keeping
    that model would give; a source-only model collapsed on the target gives little to keep, and a run
    that lifts its predictions over the collapse line and agrees with the pool's ensemble at least as
    well (EnsV) is judged on those (a model wrecked by adapting stays collapsed and keeps its alarm)."""
    checks = {check.name: check for check in alarm.checks}
    source, ensemble, collapse = checks["source_accuracy"], checks["ensemble_agreement"], checks["collapse"]
    before = collapse.before
    if source.passed or not before < floor <= collapse.after or not (ensemble.checked and ensemble.passed):
        return alarm
    waived = replace(
        source,
        passed=True,
        checked=False,
        message=f"{source.message}, but is not held to its source-only model's: that model collapsed onto "
        f"{before:.1f} effective target classes (fewer than {floor:g}), no model to keep",
    )
    return replace(alarm, checks=tuple(waived if check is source else check for check in alarm.checks))


def _why_alone(agreement: Agreement) -> str:
    """Why the ensemble holds only the run's own models, and when it will not: the pair's first run,
    or its other runs duplicate this run's models (same predictions) or collapsed (left out)."""
    cannot = ", so it cannot judge between them; it is checked once"
    if agreement.peers == 0:
        return f"{cannot} another run of this pair joins the ensemble"
    same, collapsed = agreement.peers - agreement.collapsed_peers, agreement.collapsed_peers
    runs = "run" if agreement.peers == 1 else f"{agreement.peers} runs"
    alike = f"{'predicts' if same == 1 else 'predict'} exactly as this run's own models"
    if collapsed == 0:
        why = f"the pair's other {runs} {alike}"
    elif same == 0:
        why = f"the pair's other {runs} collapsed and {'is' if collapsed == 1 else 'are'} left out of it"
    else:
        why = f"of the pair's other {runs}, {same} {alike} and {collapsed} collapsed (left out)"
    return f": {why}{cannot} a run that predicts differently joins it"


def judge(candidate: Candidate, agreement: Agreement, settings: SelectionSettings) -> Alarm:
    """The negative-transfer alarm of one run (and, with target labels, whether it was right)."""
    checks = check_run(candidate, agreement, settings)
    return Alarm(
        candidate.run_id,
        checks,
        candidate.target_accuracy,
        candidate.source_only_accuracy,
        candidate.paired,
    )
