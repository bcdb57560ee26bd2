"""Predictions of a trained model for every sample of any domain, streamed a batch at a time.

:func:`load_data` decodes image files (a zip or folder) straight to the model's ``C x H x W``, one
resize per file keeping its aspect ratio, centre-cropped (what the model card's steps do to a file, and
what training did to its target's files: :func:`tlcore.data.harmonise.pair_image_shape`). The domain
is then conformed to the model exactly as training conformed its target to its source
(:func:`tlcore.data.harmonise.plan_conform`: resized to the model's ``H x W``, grayscale repeated to
RGB, classes matched by name); samples of classes the model does not know are dropped and reported.
Each batch then runs through the model in eval mode without gradients on
:func:`tlcore.device.pick_device`, and yields per sample, from the softmax ``p`` of its logits:

- ``predicted`` = argmax p and ``confidence`` = max p;
- ``entropy`` = H(p) = -sum_k p_k ln p_k (nats; 0 for a one-hot p, ln K for a uniform one);
- the top min(3, K) classes and their probabilities (ties: the lower class index first);
- ``label``, the true class, when the domain is labelled;
- every class's p, which a file holds on request (:func:`probability_columns` names its columns).

Only these small per-sample outputs outlive a batch. :func:`tlcore.prediction_summary.summarise`
tallies them (counts per class, confidences, accuracy, the least confident rows);
:func:`tlcore.prediction_files.write_predictions` writes them to a file as it tallies.

>>> trained = load_run_model(workspace, run_id)
>>> summary = summarise(predict_rows(trained, load_data(trained, "upload:scans.zip")))
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from tlcore.data.conformer import Conformer
from tlcore.data.domain import Domain
from tlcore.data.harmonise import plan_conform
from tlcore.data.image_words import named_files
from tlcore.data.shift_table import format_shifts
from tlcore.data.shifts import effective
from tlcore.data.spec import load_domain
from tlcore.data.spec_edit import with_shifts
from tlcore.data.spec_text import parse_spec
from tlcore.data.unread_columns import unread_lines, unread_places
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.imagenet_inputs import input_side
from tlcore.models import Classifier
from tlcore.run_model_options import DEFAULT_BATCH_SIZE, DEFAULT_PROBABILITIES, Probabilities
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

TOP_K = 3


def _word(name: str) -> str:
    """``name`` in NFKC (``x²`` -> ``x2``), each run of characters that cannot go on a Python
    identifier (other than letters, digits and ``_``) made one ``_``, stripped of ``_`` at its ends."""
    kept = "".join(c if f"p{c}".isidentifier() else " " for c in unicodedata.normalize("NFKC", name))
    return "_".join(kept.split()).strip("_")


def probability_columns(classes: tuple[str, ...]) -> list[str]:
    """The columns of every class's probability, in the model's class order: ``p_`` and the class
    name as a word (:func:`_word`: ``"sea lion"`` -> ``p_sea_lion``); a name left empty is the class's
    index (``"?"``, class 4 -> ``p_4``). A column already taken, ignoring case, gets ``_2``, ``_3``, ...
    (``"a b"`` then ``"a_b"`` -> ``p_a_b``, ``p_a_b_2``). So each is a Python identifier, unique in
    any tool that folds case, and the ``p_`` keeps it apart from ``id``, ``predicted``, ``p1`` ..."""
    columns: list[str] = []
    taken: set[str] = set()
    for index, name in enumerate(classes):
        base = f"p_{_word(name) or index}"
        column, n = base, 1
        while column.casefold() in taken:
            n += 1
            column = f"{base}_{n}"
        taken.add(column.casefold())
        columns.append(column)
    return columns


@dataclass(frozen=True)
class TrainedModel:
    """A model and the class names of its outputs; ``name`` says which model in messages."""

    model: Classifier
    classes: tuple[str, ...]
    name: str = "the model"
    target: str | None = None  # the spec of the target it was adapted to (a run's), for the notes

    def __post_init__(self) -> None:
        if len(self.classes) != self.model.n_classes:
            n_out, n_names = self.model.n_classes, len(self.classes)
            raise TLError(f"{self.name} has {n_out} outputs but {n_names} class names")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample's shape as the model takes it: ``(C, H, W)`` or ``(D,)``."""
        return tuple(self.model.spec["input_shape"])


def load_run_model(workspace: Workspace, run_id: str) -> TrainedModel:
    """The model a ``done`` run saved, with its class names (:meth:`RunStore.load_model`)."""
    store = RunStore(workspace)
    model = store.load_model(run_id)
    target = store.get(run_id).config["target"]
    return TrainedModel(model, model.classes, f"the model of run {run_id}", target)


def load_data(
    trained: TrainedModel,
    spec: str,
    workspace: Workspace | None = None,
    seed: int = 0,
    allow_paths: bool = True,
) -> Domain:
    """The domain ``spec`` names (:func:`tlcore.data.load_domain`), its image files decoded straight to
    the input of an image model; other domains load as they are."""
    shape = trained.input_shape
    return load_domain(spec, workspace, seed, allow_paths, image_shape=shape if len(shape) == 3 else None)


@dataclass(frozen=True)
class PredictionBatch:
    """Predictions for some samples of a domain, in the domain's order."""

    rows: np.ndarray  # n int64 positions of the samples in the domain as given
    ids: tuple[str, ...]
    classes: tuple[str, ...]
    top_index: np.ndarray  # n x k int64 class indices, most probable first (k = min(3, K))
    top_p: np.ndarray  # n x k float64 softmax probabilities
    entropy: np.ndarray  # n float64, nats
    label: np.ndarray | None  # n int64 true class indices, None when unlabelled
    p: np.ndarray  # n x K float64 softmax probabilities, in the order of classes

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def predicted(self) -> np.ndarray:
        return self.top_index[:, 0]

    @property
    def confidence(self) -> np.ndarray:
        return self.top_p[:, 0]

    def to_frame(self, probabilities: Probabilities = DEFAULT_PROBABILITIES) -> pd.DataFrame:
        """One row per sample: ``id``, ``predicted``, ``confidence``, ``entropy``, ``top1``, ``p1``, ...,
        and ``label`` when labelled; class names as text. ``probabilities="all"`` adds every class's p
        after them (columns of :func:`probability_columns`)."""
        names = np.asarray(self.classes, dtype=object)
        columns: dict[str, Any] = {
            "id": list(self.ids),
            "predicted": names[self.predicted],
            "confidence": self.confidence,
            "entropy": self.entropy,
        }
        for j in range(self.top_index.shape[1]):
            columns[f"top{j + 1}"] = names[self.top_index[:, j]]
            columns[f"p{j + 1}"] = self.top_p[:, j]
        if self.label is not None:
            columns["label"] = names[self.label]
        if probabilities == "all":
            columns.update(zip(probability_columns(self.classes), self.p.T, strict=True))
        return pd.DataFrame(columns)


def _batch_outputs(
    logits: torch.Tensor,
    rows: torch.Tensor,
    ids: tuple[str, ...],
    classes: tuple[str, ...],
    label: torch.Tensor | None,
) -> PredictionBatch:
    """The per-sample outputs of one batch of ``n x K`` logits (formulas in the module docstring)."""
    p = torch.softmax(logits.double(), dim=1)
    top_p, top_index = torch.sort(p, dim=1, descending=True, stable=True)
    k = min(TOP_K, p.shape[1])
    return PredictionBatch(  # the top k copied out: a view would keep all K sorted for the tally
        rows=rows.numpy(),
        ids=ids,
        classes=classes,
        top_index=top_index[:, :k].contiguous().cpu().numpy(),
        top_p=top_p[:, :k].contiguous().cpu().numpy(),
        entropy=torch.special.entr(p).sum(1).cpu().numpy(),
        label=None if label is None else label.numpy(),
        p=p.cpu().numpy(),
    )


@dataclass(frozen=True)
class Predictions:
    """The predictions of ``trained`` for every sample of ``domain`` that fits it, computed when
    iterated (each pass runs the model again), ``batch_size`` samples at a time."""

    trained: TrainedModel
    domain: Domain  # as given, less the places ``ignored``; ``plan`` conforms each batch
    plan: Conformer
    batch_size: int
    device: torch.device
    ignored: tuple[str, ...] = ()  # the file's places the model was trained without, dropped from domain

    @property
    def n_samples(self) -> int:
        return self.domain.n_samples if self.plan.keep is None else len(self.plan.keep)

    @property
    def labelled(self) -> bool:
        return self.plan.y is not None

    def notes(self) -> list[str]:
        """What reading the files and conforming the domain to the model changed, one line each."""
        model = self.trained.model
        notes = _file_notes(self.domain, model.spec)
        notes += unread_lines(self.domain, self.ignored, model.columns, model.dropped)
        notes += _shift_notes(self.trained.target, self.domain)
        return notes + self.plan.report.lines(side="data", reference="model", absent=False)

    def __iter__(self) -> Iterator[PredictionBatch]:
        model, plan = self.trained.model, self.plan
        was_training = model.training
        model.to(self.device).eval()
        try:
            for start in range(0, self.n_samples, self.batch_size):
                stop = min(start + self.batch_size, self.n_samples)
                if plan.keep is None:
                    rows, X = torch.arange(start, stop), self.domain.X[start:stop]
                else:
                    rows = plan.keep[start:stop]
                    X = self.domain.X[rows]
                X = plan.samples(X).to(self.device)
                with torch.no_grad():
                    logits = model(X)[0].float()
                ids = tuple(self.domain.ids[i] for i in rows.tolist())
                label = None if plan.y is None else plan.y[start:stop]
                yield _batch_outputs(logits, rows, ids, self.trained.classes, label)
        finally:
            model.train(was_training)


def _file_notes(domain: Domain, spec: dict[str, Any]) -> list[str]:
    """What the image reader did to a folder's or zip's files: resized, or left without a row; a
    table's rows ``missing=drop`` dropped (:mod:`tlcore.data.table_cells`); and
    the side the network of model ``spec`` sees the images at where it resizes its input itself (an
    ImageNet backbone: efficientnet_lite0 of a 3x128x128 input at 96 px)."""
    meta, notes = domain.meta, []
    shape = tuple(spec.get("input_shape", ()))
    side = input_side(spec.get("name", ""), spec.get("options", {}).get("image_size"))
    seen = ""
    if side and len(shape) == 3 and shape[1:] != (side, side):
        seen = f"the network ({spec['name']}) sees them at {side}x{side}: it resizes its input itself"
    if n := meta.get("n_resized"):
        height, width = domain.shape[1:]
        notes.append(
            f"data: {_files(n)} resized to {height}x{width} keeping the aspect ratio, centre-cropped"
            + (f"; {seen}" if seen else "")
        )
    elif seen:
        notes.append(f"model: the images go in at {shape[1]}x{shape[2]}; {seen}")
    if n := meta.get("n_corrupt"):
        shown = named_files(list(meta.get("unreadable", ())))
        verb = "has" if n == 1 else "have"
        notes.append(f"data: {_files(n)} could not be decoded and {verb} no row: {shown}")
    if dropped := meta.get("missing_dropped"):
        notes.append(f"data: {dropped}, not predicted")
    return notes


def _files(n: int) -> str:
    return f"{n} image file{'' if n == 1 else 's'}"


def target_shifts(target: str | None) -> list[tuple[str, float]]:
    """The shifts of a run's target spec that change data, in its order (none for None): what a new
    batch like its target needs too, e.g. a diagnosis' fix ``contrast=2.95`` the run was adapted on."""
    return [] if target is None else effective(parse_spec(target).shifts)


def shifts_fix_data(target: str | None) -> bool:
    """Whether the shifts of a run's target ``target`` are a fix of the user's own data (an upload or
    file given shifts, e.g. a diagnosis' ``contrast=2.95``), which a new batch of such files needs too;
    on a named dataset (``mnist5k:colour=1``) they make the target domain, which field data already
    is: the app then offers them unticked."""
    return (
        target is not None and parse_spec(target).kind in ("upload", "file") and bool(target_shifts(target))
    )


def with_run_shifts(spec: str, target: str | None) -> str:
    """``spec`` given the shifts of the run target ``target`` that it does not name, after its own
    (:func:`tlcore.data.spec_edit.with_shifts`): ``upload:batch.zip`` of a run adapted to
    ``upload:target.zip:contrast=2.95`` becomes ``upload:batch.zip:contrast=2.95``. The app's new
    batch gets them by default, ``predict --run-shifts`` on request."""
    shifts = target_shifts(target)
    return with_shifts(spec, shifts) if shifts else spec


def _shift_notes(target: str | None, domain: Domain) -> list[str]:
    """A note when the model was adapted to a shifted target (``invert=1``, say) whose shifts the
    domain was not given: files like the target's may need them too (the model card lists them)."""
    given = {(name, float(value)) for name, value in domain.meta.get("shifts", [])}
    missing = [shift for shift in target_shifts(target) if shift not in given]
    if not missing:
        return []
    return [
        f"data: the model was adapted to {target}; these data lack its shifts {format_shifts(missing)} "
        "(add them to the data's spec if its files need the same)"
    ]


def predict_rows(
    trained: TrainedModel,
    domain: Domain,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str | torch.device | None = None,
) -> Predictions:
    """Predictions for every sample of ``domain`` (a table without a header less the places the model
    was trained without: :func:`~tlcore.data.unread_columns.unread_places`); a one-line
    :class:`TLError` at once when the domain cannot fit the model (images vs vectors, channels, feature
    dimension or a table's number of places, no known class)."""
    if batch_size < 1:
        raise TLError(f"batch size must be at least 1, got {batch_size}")
    model = trained.model
    columns, categories, dropped = model.columns or None, model.categories, model.dropped
    how = {"categories": categories}  # a table without a header's text columns count once, by place
    domain, ignored = unread_places(domain, trained.input_shape, model.columns, dropped, trained.name, **how)
    fill = model.fill or None  # its training source's medians, for missing cells
    plan = plan_conform(
        domain,
        trained.input_shape,
        trained.classes,
        trained.name,
        columns,
        categories=categories,
        fill=fill,
        dropped=dropped or (),  # a table's columns it has, said as such
        headerless=not model.columns,  # a table without a header's: a batch without one fits by place
    )
    if domain.n_samples == 0:
        raise TLError(f"{domain.name} has no samples to predict")
    return Predictions(trained, domain, plan, batch_size, pick_device(device), ignored)
