"""The downloadable HTML diagnosis report: verdict, gap, where the target is new, what differs (with
checked fixes), pictures.

Built from a :class:`~tlcore.diagnosis.GapReport` and an :class:`~tlcore.explain.result.Explanation`
(either may be missing) with :func:`tlcore.views.report.render_report`, which escapes every string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

from tlcore.diagnosis import GapReport, predictions_doubt
from tlcore.explain.causes import mmd2_left
from tlcore.explain.findings import NOT_COMPARED, WITHIN_CHANCE, Finding, value_text
from tlcore.explain.fixes import Fix
from tlcore.explain.headline import gap_reading
from tlcore.explain.novelty_reading import explains_more, helpful_fixes
from tlcore.explain.result import Explanation
from tlcore.gap_level import gap_level
from tlcore.metrics.coverage import Novelty
from tlcore.metrics.gap_names import GAP_METRICS
from tlcore.metrics.per_class import PRIOR_PERMUTATIONS, LabelShift
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.numbers import p_is, sds, significant
from tlcore.views.class_gaps import class_gap_figure, class_gap_note, class_gap_rows, per_class_title
from tlcore.views.column_table import column_rows, columns_note, drifted_columns
from tlcore.views.explain_figures import (
    class_proportions_figure,
    columns_figure,
    findings_figure,
    mean_image_pngs,
)
from tlcore.views.report import Section, render_report

Shift = TypeVar("Shift")  # what counted_in returns: the type it was given
NAME_CHARS = 40  # characters of each spec in the report's file name


def pairing_notes(report: GapReport) -> list[str]:
    """What harmonising the pair changed, one sentence each: ``Target: feature columns taken by name, …``
    (each note names its side, so no "Pairing:" prefix before it)."""
    return [line[:1].upper() + line[1:] for line in report.pair_notes]


def finding_rows(findings: Sequence[Finding], combined: Fix | None = None) -> list[dict[str, Any]]:
    """One table row per finding: values and their difference in source SDs as text (the page and the
    report show the same), severity, the fix and its checked effect; the helpful fixes applied together
    (``combined``, when checked) in a row of their own after the last finding they combine
    (:func:`combined_reading`)."""
    rows = [_finding_row(f) for f in findings]
    last = combined_after(combined, findings)
    if combined is not None and last is not None:
        blank = dict.fromkeys(("source", "target", "difference", "severity"), "")
        row = {"statistic": "fixes together", **blank, "finding": combined_reading(combined, findings)}
        rows.insert(last + 1, {**row, **_fix_cells(combined)})
    return rows


FINDING_ORDER = (
    "statistic",
    "severity",
    "difference",
    "fix",
    "change",
    "MMD² before → after",
    "novel target before → after",
    "source",
    "target",
    "note",
)


def finding_order(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The Diagnose page's order of :func:`finding_rows`' columns, what decides first so a 1280 px
    window shows it whole: the statistic, its severity and difference, the fix and its checked change,
    then the MMD² and novel share it moves, the values and the note. The sentence (``finding``) is left
    out: after the fix columns, one line each, it ran past the right edge (QA helper-217 at 1280 and
    1024 px); the page says each whole under the table."""
    present = {key for row in rows for key in row}
    return [c for c in FINDING_ORDER if c in present]


def combined_after(combined: Fix | None, findings: Sequence[Finding]) -> int | None:
    """The index of the last of ``findings`` whose fix ``combined`` applies (the views list it after
    that one); None without a combined fix, when it was not checked (its note says why) or when none
    of ``findings`` is one it combines."""
    if combined is None or combined.check is None:
        return None
    return max((i for i, f in enumerate(findings) if f.fix in combined.parts), default=None)


def _finding_row(f: Finding) -> dict[str, Any]:
    return {
        "statistic": f.label,
        "source": value_text(f.source),
        "target": value_text(f.target),
        "difference": sds(f.difference) if math.isfinite(f.source + f.target) else NOT_COMPARED,
        "severity": f.severity,
        "finding": f.message,
        **_fix_cells(f.fix),
    }


def _fix_cells(fix: Fix | None) -> dict[str, str]:
    check = None if fix is None else fix.check
    return {
        "fix": "" if fix is None else fix.describe(),
        "MMD² before → after": ""
        if check is None
        else f"{significant(check.mmd2_before)} → {mmd2_left(check.mmd2_after, 4)}",
        "change": "" if check is None else check.describe_change(),
        "novel target before → after": "" if check is None else check.describe_novelty("→"),
        "note": "" if fix is None else fix.note,
    }


def combined_reading(combined: Fix, findings: Sequence[Finding]) -> str:
    """Which findings the helpful fixes applied together (``combined``, checked) undo, and whether
    they explain more than the best fix alone (:func:`~tlcore.explain.novelty_reading.explains_more`):
    only then does the verdict suggest them together."""
    accepted = helpful_fixes(findings)[0]
    labels = " and ".join(f.label for f in findings if f.fix in combined.parts)
    best = accepted[0].fix.words  # type: ignore[union-attr]
    together = f"The fixes of {labels} applied together explain"
    if explains_more(combined, accepted):
        return f"{together} more than {best} alone: the verdict suggests them together."
    return f"{together} no more than {best} alone, which the verdict suggests first."


def chance_caption(explanation: Explanation) -> str | None:
    """The image findings of a mild size or more that Welch's test does not find, in one line (what
    ``diagnose`` lists under the same heading); None when there are none."""
    chance = explanation.within_chance
    return f"{WITHIN_CHANCE}: " + " ".join(f.message for f in chance) if chance else None


def check_note(explanation: Explanation) -> str | None:
    """The one sentence that says where the verdict's and the fixes' numbers are measured; None when
    the verdict holds none of them (no cause, no novel share after a fix: a blank side, say)."""
    if not explanation.verdict.causes and not explanation.describe_novelty_fix():
        return None
    return (
        f"Shares of the gap, fix effects and novel shares before → after are measured {explanation.basis} "
        "(raw features): not the diagnosis's samples and features, so they differ from its figures."
    )


def _verdict_section(explanation: Explanation) -> Section:
    verdict = explanation.verdict
    rows = [
        {
            "rank": i,
            "cause": c.title,
            "share of the gap": "" if c.share is None else f"{100 * min(c.share, 1.0):.0f}%",
            "detail": c.detail,
            "what to do": c.action,
        }
        for i, c in enumerate(verdict.causes, start=1)
    ]
    after = explanation.describe_novelty_fix()
    asides = [f"Next step: {verdict.next_step}", *filter(None, (check_note(explanation), after))]
    return Section("Verdict", note=verdict.headline, table=rows, asides=asides)


def _gap_sections(
    report: GapReport,
    unread: dict[str, str],
    estimate: LabelShiftEstimate | None,
    copied: tuple[int, int] | None,
) -> list[Section]:
    gap = report.gap
    rows = [
        {
            "metric": GAP_METRICS["mmd2"],
            "value": gap.mmd2,
            "reading": f"p = {gap.p_value:.3g}, {gap.n_permutations} permutations",
        },
        {"metric": GAP_METRICS["coral"], "value": gap.coral, "reading": ""},
        {
            "metric": GAP_METRICS["a_distance"],
            "value": gap.a_distance,
            "reading": f"{p_is(gap.domain_p_value)} against chance, gap level: {gap_level(gap)}",
        },
    ]
    note, _ = gap_reading(report, "per_class" not in unread, copied)
    note += f" Features: {report.feature_space}, seed {report.settings.seed}."
    sections = [Section("Gap", note=note, table=rows, asides=pairing_notes(report))]
    if "per_class" in unread:
        sections.append(Section(per_class_title(report), note=unread["per_class"]))
    elif report.per_class:
        note = f"{class_gap_note(report)} {describe_label_shift(report, estimate)}".strip()
        figure = class_gap_figure(report)
        sections.append(
            Section(per_class_title(report), note=note, table=class_gap_rows(report), figure=figure)
        )
    return sections


def _explanation_sections(explanation: Explanation) -> list[Section]:
    if explanation.columns:
        drifted = drifted_columns(explanation)
        figure = columns_figure(drifted) if any(c.share is not None for c in drifted) else None
        table = column_rows(drifted)
        return [Section("What differs (columns)", note=columns_note(explanation), table=table, figure=figure)]
    if not explanation.applies:
        return [Section("What differs", note=explanation.note)]
    settings = explanation.settings
    note = (
        "Each statistic compared source vs target in standard deviations (mild from 0.5, strong from 1). "
        f"Fix effects are measured {explanation.basis} (raw features, seed {settings.seed}). "
        f"{explanation.note}"
    ).strip()
    sections = [
        Section(
            "What differs",
            note=note,
            table=finding_rows(explanation.findings, explanation.combined),
            figure=findings_figure(explanation.findings),
        ),
    ]
    if explanation.mean_images is not None:
        pictures = mean_image_pngs(explanation.mean_images, explanation.source, explanation.target)
        sections.append(Section("Mean images", pictures=pictures))
    if explanation.source_stats is not None and explanation.target_stats is not None:
        rows = [
            {
                "statistic": s.name,
                "source mean": value_text(s.mean),
                "source std": value_text(s.std),
                "target mean": value_text(t.mean),
                "target std": value_text(t.std),
            }
            for s, t in zip(
                explanation.source_stats.statistics, explanation.target_stats.statistics, strict=True
            )
        ]
        sections.append(Section("Image statistics", table=rows))
    return sections


def coverage_row(novelty: Novelty) -> dict[str, str]:
    """The novel share as ``diagnose`` prints it in its table and the report lists it."""
    return {"metric": "novel target", "value": f"{100 * novelty.share:.1f}%", "reading": novelty.summary()}


def counted_in(report: GapReport, estimate: Shift) -> Shift:
    """``estimate`` (a :class:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate`; anything else is
    returned as is) quoting the diagnosis's label shift counted from the target's labels (every
    diagnosed source label against the target's, and its test) in place of its own count against the
    source validation split the estimator reads, so ``diagnose``, the Diagnose page and this report
    show one counted number; unchanged without true target labels on both."""
    shift = report.label_shift
    if (
        not isinstance(estimate, LabelShiftEstimate)
        or estimate.true_prior is None
        or report.per_class_labels != "true"
        or shift is None
        or shift.get("n_source") is None
        or len(shift["source_prior"]) != len(estimate.classes)
    ):
        return estimate
    counted = LabelShift(**shift)
    return replace(estimate, counted=counted, true_p_value=counted.p_value)


def describe_label_shift(report: GapReport, estimate: LabelShiftEstimate | None = None) -> str:
    """The label shift of the per-class labels in one or two sentences (the Diagnose page, the
    report): with labels a model predicted, that it is the shift of its predictions, not of the
    target's unknown labels, and why not to trust them (:func:`~tlcore.diagnosis.predictions_doubt`);
    '' without one."""
    shift = report.label_shift
    if shift is None:
        return ""
    tv = f"{shift['tv_distance']:.1%}"
    p = f"p = {shift['p_value']:.3g} against random splits of the pooled labels"
    if report.per_class_labels != "predicted":
        labels = f"{report.per_class_labels} target labels"
        return f"Label shift: the class priors differ by {tv} (total variation, {labels}; {p})."
    doubt = predictions_doubt(report, estimate)
    return (
        "Shift of the predicted labels: the labels the model predicts for the target differ from the "
        f"source's class priors by {tv} (total variation; {p}), a shift of the model's predictions, not a "
        "measured label shift of the target, whose labels are unknown."
        + (f" Not to be trusted, nor the per-class gaps by them: {doubt}." if doubt else "")
    )


def label_shift_row(report: GapReport, estimate: LabelShiftEstimate | None = None) -> dict[str, str]:
    """The label shift as ``diagnose`` prints it in its table, read as :func:`describe_label_shift`."""
    shift = report.label_shift
    assert shift is not None
    value = f"{shift['tv_distance']:.3f}"
    p = f"p = {shift['p_value']:.3g} ({PRIOR_PERMUTATIONS} random splits of the pooled labels)"
    if report.per_class_labels != "predicted":
        reading = f"{report.per_class_labels} target labels, {p}"
        return {"metric": "label shift (TV)", "value": value, "reading": reading}
    doubt = predictions_doubt(report, estimate)
    reading = f"TV of the model's predicted target labels from the source's priors (not the target's), {p}"
    reading += f"; not to be trusted: {doubt}" if doubt else ""
    return {"metric": "predicted shift", "value": value, "reading": reading}


def coverage_note(novelty: Novelty, explanation: Explanation | None, feature_space: str) -> str:
    """How well the source covers the target (``novelty``, measured in ``feature_space``), in one
    sentence: as the verdict reads it, when there is one
    (:meth:`~tlcore.explain.result.Explanation.describe_coverage`)."""
    if explanation is None:
        return novelty.describe()
    return explanation.describe_coverage(novelty, feature_space)


def _coverage_section(report: GapReport, explanation: Explanation | None, unread: dict[str, str]) -> Section:
    """Where the target is new: the Diagnose page's section of that name (a side of blank images voids
    it: :meth:`~tlcore.explain.result.Explanation.unread`)."""
    title = "Where the target is new"
    if "novelty" in unread:
        return Section(title, note=f"The novel share is {unread['novelty']}.")
    novelty = report.novelty
    if novelty is None:
        return Section(title, note="Not measured for this pair.")
    after = "" if explanation is None else explanation.describe_novelty_fix()
    return Section(
        title,
        note=coverage_note(novelty, explanation, report.feature_space),
        table=[coverage_row(novelty)],
        asides=[after] if after else [],
    )


def _label_shift_section(estimate: LabelShiftEstimate) -> Section:
    trust = "" if estimate.consistent else " EM and BBSE disagree: neither estimate is to be trusted."
    note = f"{estimate.describe()}{trust} {estimate.model}".strip()  # and which model read it
    return Section("How the labels moved", note=note, figure=class_proportions_figure(estimate))


def report_name(source: str, target: str) -> str:
    """The diagnosis report's file name, after its pair: ``tlstudio-diagnosis-mnist5k-to-digits.html``;
    each spec file-safe (a run of other characters than letters, digits, ``_.=-`` as one ``-``) and cut to
    :data:`NAME_CHARS` (QA helper-246: every pair's report was ``tlstudio-diagnosis.html``)."""
    return f"tlstudio-diagnosis-{_name_part(source)}-to-{_name_part(target)}.html"


def _name_part(spec: str) -> str:
    """``spec`` file-safe and, past :data:`NAME_CHARS`, cut at its last ``-``, ``_`` or ``=`` within them,
    no word halved (QA helper-249: ``label=churn-m``); at the limit where no separator comes before it."""
    safe = re.sub(r"[^A-Za-z0-9_.=-]+", "-", spec).strip("-.")
    if len(safe) <= NAME_CHARS:
        return safe
    kept = safe[: NAME_CHARS + 1]  # a separator just past the limit ends a whole word at it
    at = max(kept.rfind(separator) for separator in "-_=")
    return (kept[:at] if at > 0 else safe[:NAME_CHARS]).strip("-.")


def diagnosis_report(
    report: GapReport | None,
    explanation: Explanation | None,
    title: str = "tlstudio diagnosis",
    *,
    label_shift: LabelShiftEstimate | None = None,
    shared: str | None = None,
    copied: tuple[int, int] | None = None,
) -> str:
    """The whole HTML document (verdict first); at least one of ``report`` and ``explanation``; the
    label-shift estimate when a source-only model made one (not measured on a side of blank images:
    :meth:`~tlcore.explain.result.Explanation.unread`); ``shared``, the pair's shared-samples line
    (:meth:`~tlcore.data.overlap.SharedSamples.line`: which copies, how to drop them), beside the
    pairing notes as ``diagnose`` prints it; ``copied`` (:attr:`~tlcore.data.overlap.SharedSamples.copied`)
    leads the gap's reading as it leads the verdict (:func:`~tlcore.explain.headline.gap_reading`)."""
    if report is None and explanation is None:
        raise ValueError("a diagnosis report needs a gap report or an explanation")
    if report is not None:
        label_shift = counted_in(report, label_shift)
    sections: list[Section] = []
    unread = {} if explanation is None or report is None else explanation.unread(report)
    if explanation is not None:
        sections.append(_verdict_section(explanation))
    if report is not None:
        gaps = _gap_sections(report, unread, label_shift, copied)
        if shared:
            gaps[0] = replace(gaps[0], asides=[*gaps[0].asides, f"Shared samples: {shared}"])
        sections += [*gaps, _coverage_section(report, explanation, unread)]
    if "label_shift_estimate" in unread:
        sections.append(Section("How the labels moved", note=unread["label_shift_estimate"]))
    elif label_shift is not None:
        sections.append(_label_shift_section(label_shift))
    if explanation is not None:
        sections += _explanation_sections(explanation)
    pair = report or explanation
    return render_report(title, f"{pair.source} → {pair.target}", sections)
