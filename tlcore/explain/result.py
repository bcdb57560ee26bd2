"""What :func:`tlcore.explain.explanation.explain` returns: :class:`Explanation`, why two domains
differ, with its readings (what a side of blank images leaves unmeasured, the firing findings, the
novel share after a fix) and its JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tlcore.diagnosis import GapReport
from tlcore.explain.causes import adapt_command
from tlcore.explain.columns import Drift
from tlcore.explain.evidence import BlankImages
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.image_stats import ImageStats
from tlcore.explain.mean_images import MeanImages
from tlcore.explain.novelty_reading import FEW, NOVELTY_MIN, novelty_fix
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.verdict import Verdict
from tlcore.metrics.coverage import Novelty
from tlcore.metrics.gap import Gap


@dataclass(frozen=True)
class Explanation:
    """Why ``source`` and ``target`` differ.

    ``applies`` says whether the image checks ran (``note`` says why not, and what was subsampled).
    ``findings``: one per statistic and the native size, severity ``none`` included, the firing ones
    with their fix when a registered shift undoes them (checked for the ``settings.max_checks``
    strongest). ``gap`` is the fix checks' gap before any fix (cheap settings, see
    :func:`tlcore.explain.check_measure.cheap_measure`; each check holds it with the novel share before and
    after its fix); ``shares`` the gap with each other cause removed
    (:mod:`tlcore.explain.gap_shares`), on which ``verdict`` ranks the causes; for feature vectors
    they hold every column compared (:attr:`columns`). ``blank``: the sides at least
    :data:`~tlcore.explain.image_stats.BLANK_MIN` of whose images are blank, counted on every image
    (a side all of whose images the statistics found blank: all of them). ``combined``: the helpful
    fixes applied together, with those that help on top of them, and checked
    (:func:`tlcore.explain.fix_checks.grown_fix`), None unless that is two or more fixes.
    """

    source: str
    target: str
    source_spec: str
    target_spec: str
    applies: bool
    note: str
    settings: ExplainSettings
    gap: Gap
    verdict: Verdict
    shares: GapShares | None = None
    source_stats: ImageStats | None = None
    target_stats: ImageStats | None = None
    findings: tuple[Finding, ...] = ()
    mean_images: MeanImages | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    blank: tuple[BlankImages, ...] = ()
    combined: Fix | None = None

    @property
    def not_measured(self) -> str:
        """Why what a model reads on the pair (the target's class proportions, its predicted labels)
        and the target's novel share mean nothing when every image of a side is blank; '' otherwise."""
        empty = [b.side for b in self.blank if b.every]
        if not empty:
            return ""
        return (
            f"not measured: every {' and '.join(empty)} image is blank "
            f"({self.blank[0].lacks}), and a model's outputs "
            "on blank images, or their nearest neighbours, say nothing of the data"
        )

    def unread(self, report: GapReport) -> dict[str, str]:
        """What :attr:`not_measured` voids, by key of the diagnosis's JSON: the label-shift estimate
        (``label_shift_estimate``), the novel share and, with labels a model predicted, the label shift
        and the per-class gaps; each with its reason (empty unless every image of a side is blank)."""
        if not self.not_measured:
            return {}
        keys = ["label_shift_estimate", "novelty"]
        keys += ["label_shift", "per_class"] if report.per_class_labels == "predicted" else []
        return dict.fromkeys(keys, self.not_measured)

    @property
    def firing(self) -> tuple[Finding, ...]:
        """The findings with a severity, strongest first."""
        return tuple(sorted((f for f in self.findings if f.fires), key=lambda f: -abs(f.difference)))

    @property
    def within_chance(self) -> tuple[Finding, ...]:
        """The findings of a mild size or more that Welch's test does not find: not counted."""
        return tuple(f for f in self.findings if f.within_chance)

    @property
    def columns(self) -> tuple[Drift, ...]:
        """Every column of feature vectors compared (:mod:`tlcore.explain.columns`), the checked ones
        with their share of the gap; empty for images."""
        return () if self.shares is None else self.shares.columns

    @property
    def novelty_fix(self) -> Fix | None:
        """The checked fix after which the verdict reads the target's novel share (its check holds
        the share before and after it), None when no check can tell
        (:func:`tlcore.explain.novelty_reading.novelty_fix`)."""
        return novelty_fix(self.findings, blank=bool(self.blank), combined=self.combined)

    @property
    def basis(self) -> str:
        """Where the fix checks and the shares of the gap measure (``on the fix check's 500+500
        samples, 20 PCA dims``): their numbers differ from the diagnosis's, on all samples."""
        return self.settings.basis(self.gap.n_source, self.gap.n_target)

    def describe_novelty_fix(self) -> str:
        """The novel share before and after :attr:`novelty_fix` in one sentence, and whether the
        verdict still counts it as a cause (it reads the share after the fix) and why; empty without
        one."""
        fix = self.novelty_fix
        if fix is None or fix.check is None or fix.check.novelty_after is None:
            return ""
        check, after = fix.check, fix.check.novelty_after
        if self.verdict.counts_novelty:
            why = f"still a cause (above chance and at least {NOVELTY_MIN:.0%})"
        elif after.new:
            why = f"not a cause ({FEW})"
        else:
            why = "not a cause (no more than chance gives)"
        return (
            f"Novel target after the fix {fix.words}: "
            f"{check.describe_novelty()}, before -> after {self.basis}; the verdict reads the share "
            f"after it: {why}."
        )

    def describe_coverage(self, novelty: Novelty, feature_space: str) -> str:
        """The diagnosis's ``novelty`` in one sentence (:meth:`~tlcore.metrics.coverage.Novelty.describe`)
        whose advice defers to the verdict when that does not count the new target as a cause, saying
        where each share is measured when the verdict reads the fix checks' (``feature_space``: the
        diagnosis's, :attr:`~tlcore.diagnosis.GapReport.feature_space`); not measured when every image
        of a side is blank (:attr:`not_measured`)."""
        if self.not_measured:
            return f"The target's novel share is {self.not_measured}."
        if novelty.level != "new" or self.verdict.counts_novelty or not self.verdict.coverage:
            return novelty.describe()
        here, how = "", ", yet no cause in the verdict"
        if self.verdict.elsewhere:  # QA: 13.1% in a model's features beside "5% -> 3%" in raw ones
            model = feature_space == "model"
            here = " in the model's features" if model else " on every sample"
            how += f", which reads the novel share{' in raw features' * model} on the fix checks' samples"
        if self.verdict.folded:
            how = "; the verdict reads it as part of the fix it names"
        return novelty.describe(f"more than chance gives{here}{how}: {self.verdict.coverage}")

    def for_workspace(self, workspace: str | None) -> Explanation:
        """This explanation with its ``adapt`` command (:func:`~tlcore.explain.causes.adapt_command`: the
        adaptation cause's action, the next step) carrying ``--workspace workspace``: it is computed and
        cached without one, as the CLI and the app share it (:mod:`tlcore.commands` says which one each
        shows); itself when ``workspace`` is None."""
        if workspace is None:
            return self
        old, new = (adapt_command(self.source_spec, self.target_spec, workspace=w) for w in (None, workspace))
        said = self.verdict
        causes = tuple(replace(c, action=c.action.replace(old, new)) for c in said.causes)
        return replace(self, verdict=replace(said, next_step=said.next_step.replace(old, new), causes=causes))

    def to_dict(self, include_images: bool = False) -> dict[str, Any]:
        """JSON-safe: every statistic, finding (with its fix and check) and the verdict; the mean
        images only with ``include_images``."""
        return {
            "source": self.source,
            "target": self.target,
            "source_spec": self.source_spec,
            "target_spec": self.target_spec,
            "applies": self.applies,
            "note": self.note,
            "settings": self.settings.to_dict(),
            "gap": self.gap.to_dict(),
            "verdict": self.verdict.to_dict(),
            "gap_shares": None if self.shares is None else self.shares.to_dict(),
            "statistics": {
                "source": None if self.source_stats is None else self.source_stats.to_dict(),
                "target": None if self.target_stats is None else self.target_stats.to_dict(),
            },
            "findings": [f.to_dict() for f in self.findings],
            "columns": [c.to_dict() for c in self.columns],
            "novelty_fix": None if self.novelty_fix is None else self.novelty_fix.to_dict(),
            "mean_images": self.mean_images.to_dict() if include_images and self.mean_images else None,
            "seconds": self.seconds,
            "blank_images": [b.to_dict() for b in self.blank],
            "combined_fix": None if self.combined is None else self.combined.to_dict(),
            "not_measured": self.not_measured or None,
        }
