"""The explanation as text lines for ``python -m tlcore diagnose``: the verdict, then what differs; and
the class proportions the label-shift estimate gives the target."""

from __future__ import annotations

from tlcore.adapt.source_model import NeedsSourceOnlyModel
from tlcore.cli.output import text_table, wrapped
from tlcore.explain.causes import mmd2_left, pct
from tlcore.explain.columns import ROW_NUMBER_SHARE, chance_note, compared_on, ranked_columns
from tlcore.explain.findings import WITHIN_CHANCE, Finding
from tlcore.explain.fixes import Fix
from tlcore.explain.result import Explanation
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.numbers import and_more, significant
from tlcore.views.diagnosis_report import combined_after, combined_reading

MAX_LINES = 10  # drifted columns listed in the text


def format_explanation(explanation: Explanation) -> list[str]:
    """The verdict (headline, ranked causes, next step) and the firing findings with their fixes."""
    verdict = explanation.verdict
    lines = ["", *wrapped(verdict.headline, "Verdict: ", "")]
    if verdict.causes:
        lines.append("")
    for rank, cause in enumerate(verdict.causes, start=1):
        share = f" ({cause.describe_share()})" if cause.share is not None else ""
        lines += wrapped(f"{cause.title}{share}: {cause.action}", f"  {rank}. ")
    if any(c.share is not None for c in verdict.causes):
        lines += wrapped(
            f"(a share of the gap: how much MMD² falls with the cause removed, {explanation.basis})", "  "
        )
    lines += ["", *wrapped(verdict.next_step, "Next step: ", "")]
    if not explanation.applies:
        return [*lines, *column_lines(explanation), "", *wrapped(explanation.note)]
    firing = explanation.firing
    if not firing:
        lines += ["", "What differs: nothing in the image statistics."]
    elif any(f.fix is not None and f.fix.check is not None for f in firing):
        lines += ["", *wrapped(f"What differs (fix effects {explanation.basis}):")]
    else:
        lines += ["", "What differs:"]
    together, last = explanation.combined, combined_after(explanation.combined, firing)
    for i, finding in enumerate(firing):
        lines += finding_lines(finding)
        if together is not None and i == last:  # after the last finding it combines
            lines += [*wrapped(combined_reading(together, firing), "  "), *_fix(fix_line(together))]
    if chance := explanation.within_chance:
        lines += ["", f"{WITHIN_CHANCE}:"]
        lines += [line for f in chance for line in wrapped(f.message, "  ")]
    if explanation.note:
        lines += ["", *wrapped(explanation.note)]
    return lines


def finding_lines(finding: Finding) -> list[str]:
    """A firing finding and its fix with the fix check's effect (or why it was not checked)."""
    lines = wrapped(finding.message, f"  {finding.severity:<7}")
    return lines if finding.fix is None else [*lines, *_fix(fix_line(finding.fix))]


def _fix(text: str) -> list[str]:
    return wrapped(text, "         fix: ")


def fix_line(fix: Fix) -> str:
    """A fix and its check's effect and note (or why it was not checked)."""
    check = fix.check
    if check is None:
        return f"{fix.describe()}  [{fix.note}]"
    after = mmd2_left(check.mmd2_after, 4)
    effect = f"MMD² {significant(check.mmd2_before)} -> {after} ({check.describe_change()})"
    novel = check.describe_novelty()
    effect += f"; novel target {novel}" if novel else ""
    effect += f"; {fix.note}" if fix.note else ""
    return f"{fix.describe()}  [{effect}]"


def column_lines(explanation: Explanation, limit: int = MAX_LINES) -> list[str]:
    """Feature vectors: the drifted columns, largest share of the gap first, then by drift (at most
    ``limit``); empty for images."""
    columns = explanation.columns
    if not columns:
        return []
    drifted = ranked_columns(c for c in columns if c.fires)
    chance = chance_note(columns, explanation.settings.fdr)
    if not drifted:
        none = f"What differs: none of the {len(columns)} columns moved ({compared_on(columns)})."
        return ["", *wrapped(none), *(wrapped(f"({chance})", "  ") if chance else [])]
    lines = [
        "",
        *wrapped(f"What differs ({len(drifted)} of {len(columns)} columns; shares {explanation.basis}):"),
    ]
    for c in drifted[:limit]:
        share = "" if c.share is None else f" Share of the gap: {pct(c.share)}."
        share = f" Share of the gap: {ROW_NUMBER_SHARE}." if c.row_number else share
        lines += wrapped(f"{c.message}{share}", f"  {c.severity:<7}")
    if len(drifted) > limit:
        lines.append(f" {and_more(len(drifted) - limit, 'drifted column')} (--json lists every column)")
    note = explanation.shares.notes.get("columns") if explanation.shares else None
    return [*lines, *(line for n in (note, chance) if n for line in wrapped(f"({n})", "  "))]


def label_shift_lines(shift: LabelShiftEstimate | NeedsSourceOnlyModel) -> list[str]:
    """The class proportions table (source, EM and BBSE estimates with bands, true when known)."""
    if isinstance(shift, NeedsSourceOnlyModel):
        return wrapped(f"not estimated: {shift.message}", "label shift: ")
    level = f"{100 * shift.settings.level:.0f}%"
    true = shift.true_prior is not None
    counts = f"{level} bands, {shift.n_source_val} source validation and {shift.n_target} target samples"
    trust = "" if shift.trusted else ", not to be trusted (below)"
    lines = wrapped(f"class proportions of the target, estimated without its labels ({counts}){trust}:")
    lines += wrapped(shift.model, "  ") if shift.model else []  # which source-only model read it
    header = ["class", "source", "EM", "band", "BBSE", "band", *(["true"] if true else [])]
    rows: list[list[str]] = []
    for i, name in enumerate(shift.classes):
        row = [name, f"{100 * shift.source_prior[i]:.1f}%"]
        for estimate in (shift.em, shift.bbse):
            band = (
                ""
                if estimate.low is None or estimate.high is None
                else f"{100 * estimate.low[i]:.1f}-{100 * estimate.high[i]:.1f}"
            )
            row += [f"{100 * estimate.priors[i]:.1f}%", band]
        if shift.true_prior is not None:
            row.append(f"{100 * shift.true_prior[i]:.1f}%")
        rows.append(row)
    rows.append(["TV to source", "", f"{shift.em.tv:.3f}", "", f"{shift.bbse.tv:.3f}", ""])
    if shift.em.tv_to_truth is not None and shift.bbse.tv_to_truth is not None:
        rows.append(
            ["TV to true", "", f"{shift.em.tv_to_truth:.3f}", "", f"{shift.bbse.tv_to_truth:.3f}", ""]
        )
    table = text_table(
        header, [row + [""] * (len(header) - len(row)) for row in rows], right=range(1, len(header))
    )
    return [*lines, *(f"  {line}" for line in table), *wrapped(shift.describe())]
