"""One run's stored result (:class:`tlcore.adapt.AdaptResult`'s dict) as plain tables and words: its
learning-curve rows, per-class accuracies, confusion counts, training length and network, its target
accuracies counted with their Wilson intervals and its paired test. Torch-free, so ``runs show`` starts
without torch; :mod:`tlcore.views.compare` and the app draw the same numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tlcore.adapt import stored_params
from tlcore.data.overlap import copies_words, swayed_words, training_words
from tlcore.imagenet_inputs import IMAGE_SIZE, IMAGENET_NAMES
from tlcore.metrics.mcnemar import PairedChange
from tlcore.metrics.proportion import CountedAccuracy, counted
from tlcore.model_names import auto_options, auto_reason, resolve_model_name
from tlcore.numbers import plural
from tlcore.split_names import held_out_counts

CURVE_KEYS = ("loss", "source_val_loss", "source_accuracy", "target_accuracy", "target_changed")
# each curve's name in a chart's legend (QA: the legend read the stored keys, source_val_loss); the keys
# stay the columns of ``runs curves`` and of a result's history
CURVE_NAMES = {
    "loss": "training loss",
    "source_val_loss": "source val loss",
    "source_accuracy": "source accuracy",
    "target_accuracy": "target accuracy",
    "target_changed": "target changed",  # "predictions changed" took the legend a row an entry
}
FINAL_STAGE = "final"  # a curve row of the model a run kept and scored, drawn as a star, not joined
FINAL_KEYS = ("source_accuracy", "target_accuracy")  # a result's scores of its final model


def curve_rows(
    events: Sequence[Mapping[str, Any]], final: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Per-epoch rows numbered through both stages (baseline, then adapt), for
    :func:`tlcore.views.curves.learning_curves`.

    Accepts a result's ``history`` (flat dicts with ``stage``) or the run store's ``epoch`` events
    (``metrics`` nested, ``stage`` beside them). ``final``, a done run's stored result, adds one row of
    stage :data:`FINAL_STAGE` at the last epoch: the accuracies of the model the run kept and
    scored (after its transforms, e.g. AdaBN's target BatchNorm statistics), the numbers its card shows,
    with its ``label``.
    """
    rows: list[dict[str, Any]] = []
    for i, event in enumerate(events, start=1):
        metrics = event.get("metrics", event)
        row: dict[str, Any] = {
            k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and k != "epoch"
        }
        rows.append({**row, "epoch": float(i), "stage": event.get("stage", "")})
    scores = {k: float(final[k]) for k in FINAL_KEYS if final and final.get(k) is not None}
    if rows and scores:
        label = _final_label(final or {})
        rows.append({**scores, "epoch": rows[-1]["epoch"], "stage": FINAL_STAGE, "label": label})
    return rows


def _final_label(result: Mapping[str, Any]) -> str:
    """What the final point of a run's curves is: ``final model (after adabn)``, naming the transforms
    the run applied after training (none: the model of the last, or early stopping's best, epoch)."""
    transforms = list(result.get("info", {}).get("transforms", {}))
    return f"final model (after {', '.join(transforms)})" if transforms else "final model"


def n_target_test(result: Mapping[str, Any]) -> int | None:
    """How many target test samples the result's target accuracies were scored on (None: unknown)."""
    return result.get("info", {}).get("n_target_test") or None


def counted_accuracies(result: Mapping[str, Any]) -> dict[str, CountedAccuracy | None]:
    """The result's target accuracies (``target_accuracy``, ``source_only_accuracy``) as counts of its
    target test samples with their 95% Wilson intervals (:mod:`tlcore.metrics.proportion`); None where
    the accuracy or the number of samples is unknown."""
    n = n_target_test(result)
    return {key: counted(result.get(key), n) for key in ("target_accuracy", "source_only_accuracy")}


def paired_change(result: Mapping[str, Any]) -> PairedChange | None:
    """The run's McNemar test of its adapted against its source-only model on the same target test
    samples (:mod:`tlcore.metrics.mcnemar`); None when the target is unlabelled or the run is older."""
    return PairedChange.from_dict(result.get("paired"))


def training_length(result: Mapping[str, Any]) -> dict[str, Any]:
    """How long a run trained, by stage: ``source_only_epochs`` and ``adapt_epochs``, counted in its
    history (so early stopping or settling shows; a closed-form or baseline method adapts 0 epochs),
    ``warm_start`` (the adapt stage started from the trained source-only model) and
    ``baseline_cached`` (the source-only model came from the baseline cache, trained by an earlier
    run), ``torch_threads`` (the torch threads it trained on: the same seed at another count trains
    another model). None where the result does not record it."""
    config, history = result.get("config", {}), result.get("history")
    stages = None if history is None else [event.get("stage") for event in history]
    return {
        "source_only_epochs": config.get("epochs") if stages is None else stages.count("baseline"),
        "adapt_epochs": None if stages is None else stages.count("adapt"),
        "warm_start": config.get("warm_start"),
        "baseline_cached": result.get("info", {}).get("baseline_cached"),
        "torch_threads": result.get("info", {}).get("torch_threads"),
    }


def training_text(result: Mapping[str, Any]) -> str:
    """:func:`training_length` in words: ``4 epochs source-only (reused from the cache), then 10
    adapting from it``; ``5 epochs source-only, no adapting epochs`` (a source-only or closed-form run),
    then ``; on 2 torch threads`` where the result records them."""
    length = training_length(result)
    baseline = f"{plural(length['source_only_epochs'], 'epoch')} source-only"
    if length["baseline_cached"]:
        baseline += " (reused from the cache)"
    adapt = length["adapt_epochs"]
    if not adapt:
        text = baseline if adapt is None else f"{baseline}, no adapting epochs"
    else:
        text = f"{baseline}, then {adapt} adapting" + (" from it" if length["warm_start"] else "")
    if threads := threads_words(result):  # the seed reproduces the run at this count
        text += f"; {threads}"
    network = network_text(result)
    return text if network is None else f"{text}; {network}"


def older_version_text(config: Mapping[str, Any], resolved: Mapping[str, Any] | None) -> str | None:
    """For a run an older tlstudio stored (its ``config`` lacks a field of today's, or its method
    parameters were not kept, :func:`~tlcore.adapt.stored_params.older_version`), what that means:
    ``stored by an older tlstudio (before image_size): ...``; for a run built with method parameters
    (``resolved``) that today's defaults resolve otherwise, ``trained with deep_coral.layer=features
    (today's defaults: logits): ...`` (:func:`~tlcore.adapt.stored_params.drifts`); None for a run of
    today's fields and defaults."""
    said = []
    if older := stored_params.older_version(config, resolved):
        said.append(f"{older}: trained with that version's code and method defaults")
    if drift := stored_params.drift_text(stored_params.drifts(config, resolved)):
        said.append(drift)
    return f"{'; '.join(said)}; a repeat today may differ" if said else None


def shared_note(result: Mapping[str, Any]) -> str | None:
    """What a done run's splits share with its source, in short (its ``shared_samples``,
    :meth:`tlcore.data.overlap.SharedSamples.to_dict`): ``35 of the 40 target test samples it scored on
    are source training samples, so its target accuracy reads too high (all 200 of its target's samples
    are source samples)``; None when the pair shares none or the result does not record it (stored
    before runs kept it: unknown, so nothing is said)."""
    shared = result.get("shared_samples")
    if not shared:
        return None
    copies = shared["by"] == "content"
    near = shared.get("near_copies") or 0  # absent from a result stored before near copies were found
    n = shared["n_target"]
    one = "a source sample" if shared["shared"] == 1 else "source samples"
    are = copies_words(shared["shared"], near) if copies else one
    count = (
        f"all {n} of its target's samples"
        if shared["shared"] == n
        else f"{shared['shared']} of its target's {n} samples"
    )
    target = f"{count} {'is' if shared['shared'] == 1 else 'are'} {are}"
    if not target_labelled(result) and "n_train" in shared:  # stored since runs count what they adapt to
        return _used_note(shared, target, copies)
    tested = f"the {shared['n_test']} target test samples it scored on"
    if not shared["shared_test"]:
        return f"{target}, though none of {tested} {training_words(1, copies)}"
    training = training_words(shared["shared_test"], copies)
    return (
        f"{shared['shared_test']} of {tested} {training}, {swayed_words(target_labelled(result))} ({target})"
    )


def _used_note(shared: Mapping[str, Any], target: str, copies: bool) -> str:
    """:func:`shared_note` of an unlabelled target (no accuracy to read too high): how many of the
    target samples the run adapted to, and of those it measured its gap and validators on, are source
    training samples (or copies), as :meth:`~tlcore.data.overlap.SharedSamples.line` counts them."""
    adapted, measured = shared["shared_train"], shared["shared_test"]
    if not adapted + measured:
        used = shared["n_train"] + shared["n_test"]
        return f"{target}, though none of the {used} target samples it used {training_words(1, copies)}"
    swayed = swayed_words(False, adapted=bool(adapted), measured=bool(measured))
    return f"{used_counts(shared)}, {swayed} ({target})"


def used_counts(shared: Mapping[str, Any]) -> str:
    """How many of the target samples an unlabelled target's run adapted to, and of those it measured its
    gap and validators on, are source training samples or copies (its stored ``shared_samples``, kept
    since runs count what they adapt to): ``1 of the 2 target samples it adapted to and 1 of the 3 it
    measured its gap and validators on are copies of source training samples``."""
    adapted, measured = shared["shared_train"], shared["shared_test"]
    splits = (
        f"{adapted} of the {shared['n_train']} target samples it adapted to and {measured} of the "
        f"{shared['n_test']} it measured its gap and validators on"
    )
    return f"{splits} {training_words(adapted + measured, shared['by'] == 'content')}"


def target_labelled(result: Mapping[str, Any]) -> bool:
    """Whether a done run's target is labelled, as its shared-samples finding stored it, else (a finding
    stored before it kept that) as its target accuracy says: None only for an unlabelled target."""
    unlabelled = "target_accuracy" in result and result["target_accuracy"] is None
    return bool((result.get("shared_samples") or {}).get("target_labelled", not unlabelled))


def inflated(result: Mapping[str, Any]) -> bool:
    """Whether the run scored its target accuracy on source training samples (or copies of them), as its
    result records (False when it does not: a result stored before runs kept it)."""
    return bool((result.get("shared_samples") or {}).get("shared_test"))


def swayed(result: Mapping[str, Any]) -> bool:
    """Whether samples the run trained on (source training samples, or copies of them) sway it, as its
    result records: its target test split holds some (:func:`inflated`) or, of an unlabelled target,
    the training split it adapted to does (:func:`shared_note` says which); False when it does not."""
    adapted = (result.get("shared_samples") or {}).get("shared_train")
    return inflated(result) or (bool(adapted) and not target_labelled(result))


def card_text(result: Mapping[str, Any]) -> str | None:
    """A done run's line on its Adapt card: :func:`network_text` and the torch threads it trained on
    (the same seed at another count trains another model); None where the result records neither."""
    threads = threads_words(result)
    said = [network_text(result), f"trained {threads}" if threads else None]
    return "; ".join(part for part in said if part) or None


def threads_words(result: Mapping[str, Any]) -> str | None:
    """``on 2 torch threads``: the torch threads a run trained on (:func:`training_length`); None where
    its result does not record them."""
    threads = training_length(result)["torch_threads"]
    return f"on {plural(threads, 'torch thread')}" if threads else None


def network_text(result: Mapping[str, Any]) -> str | None:
    """The network a done run trained and, for ``auto``, why (:func:`~tlcore.model_names.auto_reason`):
    ``auto picked efficientnet_lite0 (...): the images are 109x109 px, ...``; a named model is the
    user's choice; None where the result does not record its model."""
    spec = result.get("info", {}).get("model")
    if not spec:
        return None
    name, shape = spec["name"], tuple(spec["input_shape"])
    size = spec.get("options", {}).get("image_size", IMAGE_SIZE if name in IMAGENET_NAMES else None)
    built = name + (f" at {size} px" if size else "")
    chosen = result.get("config", {}).get("model")
    if chosen != "auto":
        return built if chosen is None else f"{built} (chosen by name)"
    built_now = (resolve_model_name("auto", shape), auto_options("auto", shape))
    if built_now != (name, spec.get("options", {})):  # a run from before today's rule (network or size)
        return f"auto picked {built} for samples of shape {'x'.join(map(str, shape))} (an earlier rule)"
    return auto_reason(shape)


def confusion_table(result: Mapping[str, Any]) -> tuple[list[str], list[str], np.ndarray] | None:
    """The run's target confusion counts as ``(true classes, predicted classes, matrix)``: rows = true
    class, columns = predicted, rows of classes absent from the target test split left out (None when
    the target is unlabelled). The Compare page's heatmap and ``runs show`` print these."""
    if not result.get("confusion") or not result.get("per_class_accuracy"):
        return None
    matrix = np.asarray(result["confusion"])
    classes = list(result["per_class_accuracy"])
    present = matrix.sum(axis=1) > 0
    return [c for c, p in zip(classes, present, strict=True) if p], classes, matrix[present]


def class_accuracies(result: Mapping[str, Any]) -> dict[str, float]:
    """The run's target accuracy per class, for the classes the target test split holds ({} when the
    target is unlabelled)."""
    return {c: a for c, a in (result.get("per_class_accuracy") or {}).items() if a is not None}


def gap_samples(gap: Mapping[str, Any] | None) -> str | None:
    """What a stored gap was measured on: ``200 source validation, 8 target test samples``
    (:func:`~tlcore.split_names.held_out_counts`; None for older results)."""
    if not gap or gap.get("n_source") is None or gap.get("n_target") is None:
        return None
    return held_out_counts(gap["n_source"], gap["n_target"])
