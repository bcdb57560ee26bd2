"""Compare's and the report's warnings on runs whose target splits hold samples they trained on (pure).

A run's stored finding (``shared_samples``: :mod:`tlcore.data.overlap`) says how many of its target
samples are source training samples or copies of them; :func:`inflated_line` names the runs it sways,
:func:`unchecked_line` the older runs of one dataset stored before runs kept it. A comparison is
``{run label: result}`` (:mod:`tlcore.views.compare`); the lines name runs as the ranking table does
(:func:`~tlcore.views.run_names.short_label`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from tlcore.commands import command_line
from tlcore.data.overlap import base_dataset, other_splits, stored_fix, training_words
from tlcore.numbers import and_more
from tlcore.views.gaps import Results
from tlcore.views.run_names import short_label
from tlcore.views.run_tables import swayed, target_labelled, used_counts

T = TypeVar("T")

INFLATED_NAMED = 3  # runs scored on source training samples that Compare's warning names; the rest counted


def _training(shared: dict[str, Any]) -> str:
    """What a stored finding's target test samples are (:func:`~tlcore.data.overlap.training_words`)."""
    return training_words(shared["shared_test"], shared["by"] == "content")


def inflated_line(
    results: Results, labels: Mapping[str, str] | None = None, *, workspace: str | None = None
) -> str | None:
    """One warning naming the runs swayed by samples they trained on (source training samples, or copies
    of them: :func:`~tlcore.views.run_tables.swayed`, as the Adapt card warns: they scored their
    target accuracy on them, or, of an unlabelled target, adapted to them or measured their gap and
    validators on them), by id (``labels``: run id → label, as
    :func:`~tlcore.views.compare.comparison_report` takes them), and the fix each one's finding stored
    (:func:`~tlcore.data.overlap.stored_fix`): ``Target accuracy reads too high for dann · 84f06e (run
    ID: 35 of its 40 target test samples are source training samples): ...; to score transfer, use
    source ... and target ...``; the first :data:`INFLATED_NAMED` runs named, the rest counted. Runs of
    a labelled and of an unlabelled target each get their own sentence, the labelled ones' first (QA:
    one sentence said of both that their accuracy read too high).
    None when no run's result records any (a result stored before runs kept it says nothing). The
    commands it names (the fixes' ``data drop-copies``, the ``runs show`` that names the fixes of runs
    not named) carry ``--workspace workspace`` when given (:func:`~tlcore.commands.command_line`)."""
    found = [label for label, result in results.items() if swayed(result)]
    groups = ([label for label in found if target_labelled(results[label]) is want] for want in (True, False))
    return " ".join(_inflated(results, group, labels, workspace) for group in groups if group) or None


def _inflated(
    results: Results, swayed_labels: Sequence[str], labels: Mapping[str, str] | None, workspace: str | None
) -> str:
    """:func:`inflated_line`'s sentence on ``swayed_labels``, runs whose targets are all labelled or all
    unlabelled."""
    found = {label: results[label]["shared_samples"] for label in swayed_labels}
    named, ids, more = _named_runs(found, labels)
    labelled = target_labelled(results[swayed_labels[0]])
    counts = "; ".join(
        f"{short_label(label)} ({f'run {ids[label]}: ' if label in ids else ''}{_counts(results[label])})"
        for label in named
    )
    fixes: dict[str, list[str]] = {}
    for label, shared in named.items():
        fixes.setdefault(stored_fix(shared, workspace=workspace), []).append(short_label(label))
    fix = (
        next(iter(fixes))
        if len(fixes) == 1
        else "; ".join(f"for {' and '.join(runs)}, {text}" for text, runs in fixes.items())
    )
    if any(stored_fix(shared, workspace=workspace) not in fixes for shared in found.values()):
        fix += f" ({command_line('runs', 'show', 'ID', workspace=workspace)} names the others' fixes)"
    one = len(found) == 1
    trained = "its model" if one else "their models"
    if labelled:
        held = "its target test split holds" if one else "their target test splits hold"
        return (
            f"Target accuracy reads too high for {counts}{more}: {held} samples {trained} trained on; "
            f"to score transfer, {fix}."
        )
    # an unlabelled target: no accuracy to score, but a run adapts to its training split and measures its
    # gap and validators on its test split
    adapted = any(shared.get("shared_train") for shared in found.values())
    measured = any(shared["shared_test"] for shared in found.values())
    if adapted and measured:
        what, held = (
            "Adaptation, gap and validators are",
            "its target splits hold" if one else "their target splits hold",
        )
    else:
        what = "Adaptation is" if adapted else "Gap and validators are"
        split = "training" if adapted else "test"
        held = f"its target {split} split holds" if one else f"their target {split} splits hold"
    return (
        f"{what} swayed for {counts}{more}: {held} samples {trained} trained on (the target is "
        f"unlabelled); to measure transfer, {fix}."
    )


def _counts(result: Mapping[str, Any]) -> str:
    """A run's count in :func:`inflated_line`: of its target test samples; of an unlabelled target, of
    those it adapted to too (:func:`~tlcore.views.run_tables.used_counts`, as the Adapt card says it)
    where its finding counts them."""
    shared = result["shared_samples"]
    if not target_labelled(result) and "n_train" in shared:
        return used_counts(shared)
    return f"{shared['shared_test']} of its {shared['n_test']} target test samples {_training(shared)}"


def _named_runs(
    found: Mapping[str, T], labels: Mapping[str, str] | None
) -> tuple[dict[str, T], dict[str, str], str]:
    """The first :data:`INFLATED_NAMED` of ``found`` (by label), each label's run id (``labels``: run id
    → label) and `` and 3 more runs`` for the rest ("" when none)."""
    named = dict(list(found.items())[:INFLATED_NAMED])
    rest = len(found) - len(named)
    ids = {label: run_id for run_id, label in (labels or {}).items()}
    return named, ids, and_more(rest, "run")


def unchecked_line(results: Results, labels: Mapping[str, str] | None = None) -> str | None:
    """One caution naming the runs stored before runs kept their shared-samples finding (no
    ``shared_samples`` in the result) whose source and target read one base dataset
    (:func:`~tlcore.data.overlap.base_dataset`; not two of its native splits, which share nothing:
    :func:`~tlcore.data.overlap.other_splits`), so their target test split may hold source training
    samples as a run of today that :func:`inflated_line` names does (QA helper-167: an older run and
    today's of one config side by side, only today's flagged). None when there is none; a pair of two
    datasets (compared by content alone) is not named."""
    found = {}
    for label, result in results.items():
        config = result.get("config", {})
        if "shared_samples" not in result and config.get("source") and config.get("target"):
            base = base_dataset(config["source"])
            if base == base_dataset(config["target"]) and not other_splits(
                config["source"], config["target"]
            ):
                found[label] = base
    if not found:
        return None
    named, ids, more = _named_runs(found, labels)
    runs = ", ".join(
        f"{short_label(label)}{f' (run {ids[label]})' if label in ids else ''}" for label in named
    )
    one = len(found) == 1
    its = "its" if one else "their"
    return (
        f"Not checked for shared samples: {runs}{more}, stored by an older tlstudio (before "
        f"shared_samples), {'reads its' if one else 'read their'} source and target from one dataset "
        f"({', '.join(sorted(set(found.values())))}): {its} target test split may hold samples {its} "
        f"model trained on, and {its} target accuracy read too high; a launch of {its} config today "
        "checks it."
    )
