"""``python -m tlcore diagnose``'s gap report as text and as ``--json``'s payload: what harmonising
the pair changed, the gap's table, per-class gaps and the plain-words reading; the report, the
label-shift estimate, the explanation and which steps came from the cache in one JSON object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tlcore.cli.gap_text import LABEL, VALUE, gap_lines
from tlcore.cli.output import text_table, wrapped

if TYPE_CHECKING:
    from tlcore.adapt.source_model import NeedsSourceOnlyModel
    from tlcore.diagnosis import GapReport
    from tlcore.diagnosis_cache import Cached
    from tlcore.explain.result import Explanation
    from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate


def json_payload(
    report: GapReport,
    explanation: Explanation | None,
    shift: LabelShiftEstimate | NeedsSourceOnlyModel,
    steps: Mapping[str, Cached[Any]],
) -> dict[str, Any]:
    """What ``--json`` prints: the report, the label-shift estimate, the explanation, which steps came
    from the cache and what a side of blank images left unmeasured."""
    from tlcore.diagnosis import predictions_doubt  # noqa: PLC0415 - loads torch
    from tlcore.diagnosis_cache import computed_at  # noqa: PLC0415 - loads torch
    from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate  # noqa: PLC0415 - loads torch
    from tlcore.views.diagnosis_report import coverage_note  # noqa: PLC0415 - loads torch

    estimate = shift if isinstance(shift, LabelShiftEstimate) else None
    unread = {} if explanation is None else explanation.unread(report)
    extra = {"explanation": explanation.to_dict()} if explanation else {}
    payload = report.to_dict() | {"label_shift_estimate": shift.to_dict()} | extra
    if report.label_shift is not None:  # what it is of, and whether to trust it: as the text says
        doubt = predictions_doubt(report, estimate) or None
        payload["label_shift"] = report.label_shift | {"not_trusted": doubt}
    if report.novelty is not None:  # read as the verdict reads it, like the text says it
        reading = coverage_note(report.novelty, explanation, report.feature_space)
        payload["novelty"] = payload["novelty"] | {"description": reading}
    payload["from_cache"] = {n: computed_at(s.computed) if s.reused else None for n, s in steps.items()}
    return payload | {key: {"not_measured": why} for key, why in unread.items()}


def format_report(
    report: GapReport,
    explanation: Explanation | None = None,
    estimate: LabelShiftEstimate | None = None,
    copied: tuple[int, int] | None = None,
) -> list[str]:
    """The text summary: what harmonising the pair changed, a small aligned table, per-class gaps
    and the plain-words reading (with the novel share after the fix the verdict reads it after); what
    a side of blank images voids (:meth:`~tlcore.explain.result.Explanation.unread`) says so; the
    label-shift ``estimate`` says, with the labels a model predicted, whether to trust them; the target's
    ``copied`` samples lead the reading as they lead the verdict."""
    from tlcore.explain.headline import gap_reading  # noqa: PLC0415 - loads torch
    from tlcore.views.class_gaps import NOT_MEASURED, class_gap_note, class_gap_rows, per_class_title  # noqa: PLC0415 - loads torch
    from tlcore.views.diagnosis_report import coverage_note, coverage_row, label_shift_row  # noqa: PLC0415 - loads torch

    gap = report.gap
    unread = {} if explanation is None else explanation.unread(report)
    head = f"{report.source} -> {report.target}: {gap.n_source} vs {gap.n_target} samples, "
    lines = wrapped(head + f"{report.feature_space} features, seed {report.settings.seed}")
    lines += [line for note in report.pair_notes for line in wrapped(note, "  pairing: ")]
    lines += ["", *gap_lines(gap.to_dict())]
    if "label_shift" in unread:
        lines += wrapped(unread["label_shift"], f"  {'label shift (TV)':<{LABEL}}")
    elif report.label_shift is not None:
        shift = label_shift_row(report, estimate)
        lines += wrapped(shift["reading"], f"  {shift['metric']:<{LABEL}}{shift['value']:<{VALUE}}")
    if "novelty" in unread:
        lines += wrapped(unread["novelty"], f"  {'novel target':<{LABEL}}")
    elif report.novelty is not None:
        row = coverage_row(report.novelty)
        lines += wrapped(row["reading"], f"  {row['metric']:<{LABEL}}{row['value']:<{VALUE}}")
    lines.append("")
    if "per_class" in unread:
        lines += wrapped(unread["per_class"], "  per-class gaps by predicted labels: ", "  ")
    elif report.per_class:
        rows = class_gap_rows(report)  # a reason is too long for a cell: it follows its row
        why = [str(row.pop(NOT_MEASURED, "")) for row in rows]
        header, *table = text_table(list(rows[0]), [list(row.values()) for row in rows])
        lines += [f"  {per_class_title(report)}:", f"  {header}"]
        lines += [f"  {line}" + (f"  {text}" if text else "") for line, text in zip(table, why, strict=True)]
        lines += wrapped(class_gap_note(report), "  ")
    else:
        lines += wrapped(report.per_class_note, "  per-class gaps skipped: ", "  ")
    steps = ", ".join(f"{name} {sec:.1f}" for name, sec in report.seconds.items() if name != "total")
    lines += ["", *wrapped(gap_reading(report, "per_class" not in unread, copied)[0])]
    if report.novelty is not None:
        lines += wrapped(coverage_note(report.novelty, explanation, report.feature_space))
    after = "" if explanation is None else explanation.describe_novelty_fix()
    lines += wrapped(after) if after else []
    lines += wrapped(f"time: {report.seconds['total']:.1f} s ({steps})")
    return lines
