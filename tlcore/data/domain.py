"""The ``Domain``: one dataset in one domain, the object every part of tlcore passes around."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from tlcore.errors import TLError
from tlcore.numbers import and_more, first_named

PLACES = "places"  # a table without a header's meta key: its kept columns' places, once some were dropped
FILE_COLUMNS = "file_columns"  # a table without a header's meta key: each place's column of the file, 0-based
PLACE = re.compile(r"feature (\d+)(=.*)?", re.DOTALL)  # a place's name, a text column's 0/1 column's too


def place_name(place: int) -> str:
    """A column of a table without a header, named by its place among the file's feature columns
    (0-based, the label column left out): ``feature 0`` is the first. The name is stored (a model's
    checkpoint and ``model.json``, a pair's notes' keys) and matches a file to predict by place; a user
    reads the column of the file it is (:func:`shown_name`)."""
    return f"feature {place}"


def shown_name(name: str, file_columns: Sequence[int] = ()) -> str:
    """The feature column ``name`` as a user reads it: a place of a table without a header (``feature
    2``; a text column's 0/1 column ``feature 2=north``) as the column of its file that it is, counted
    from 1 as a spreadsheet counts and as the label column is named, whatever columns sit before it:
    ``column 4 of the file`` (``column 4 of the file=north``; ``file_columns``: each place's column,
    0-based, :data:`FILE_COLUMNS`); any other name (a header's; a place of a file not known, an
    ``.npz``'s ``X[:, 2]``) as it is."""
    place = PLACE.fullmatch(name) if file_columns else None
    if place is None or int(place[1]) >= len(file_columns):
        return name
    return f"column {file_columns[int(place[1])] + 1} of the file{place[2] or ''}"


def pair_shown_name(name: str, source: Sequence[int], target: Sequence[int]) -> str:
    """A pair's feature column ``name`` as a user reads it: :func:`shown_name` by the source's file
    columns (``source``, :data:`FILE_COLUMNS`), the target's column too when its file holds that place
    elsewhere (its label column in another place): ``column 2 of the source's file (3 of the
    target's)``."""
    place = PLACE.fullmatch(name)
    ours, theirs = shown_name(name, source), shown_name(name, target)
    if place is None or name in (ours, theirs) or ours == theirs:
        return ours
    at = int(place[1])
    return f"column {source[at] + 1} of the source's file ({target[at] + 1} of the target's){place[2] or ''}"


def shown_column(name: str, file_columns: Sequence[int] = (), target_columns: Sequence[int] = ()) -> str:
    """How a message names the feature column ``name``: ``column 'flow'``, or a place of a table without
    a header ``column 4 of the file`` (:func:`shown_name`); with a pair's ``target_columns`` too,
    ``column 4 of the source's file (5 of the target's)`` where the target's file holds it elsewhere
    (:func:`pair_shown_name`)."""
    shown = pair_shown_name(name, file_columns, target_columns)
    return f"column {name!r}" if shown == name else shown


def shown_columns(
    names: Sequence[str], file_columns: Sequence[int] = (), shown: int = 3, target_columns: Sequence[int] = ()
) -> str:
    """Several feature columns as :func:`shown_column` names one: ``columns 'a', 'b', 'c' and 2 more``,
    ``columns 2, 4 of the file and 1 more``, ``columns 2, 4 of the source's file (3, 5 of the target's)``;
    one as :func:`shown_column` does."""
    if len(names) == 1:
        return shown_column(names[0], file_columns, target_columns)
    ours, theirs = (_file_places(names, columns) for columns in (file_columns, target_columns))
    if ours is None:
        return f"columns {first_named([repr(n) for n in names], shown)}"
    more = and_more(len(names) - shown)
    if theirs is None or theirs == ours:
        return f"columns {', '.join(ours[:shown])} of the file{more}"
    ours_text, theirs_text = (", ".join(places[:shown]) for places in (ours, theirs))
    return f"columns {ours_text} of the source's file ({theirs_text} of the target's){more}"


def _file_places(names: Sequence[str], file_columns: Sequence[int]) -> list[str] | None:
    """Each of ``names``' column of the file as a number counted from 1 (``["2", "4"]``); None unless
    every name is a place the file's ``file_columns`` name (:func:`shown_name`)."""
    words = [shown_name(n, file_columns) for n in names]
    places = [w.removeprefix("column ").removesuffix(" of the file") for w in words]
    if all(w != n for w, n in zip(words, names, strict=True)) and all(p.isdigit() for p in places):
        return places
    return None


def kept_places(width: int, gone: Collection[str] = ()) -> tuple[str, ...]:
    """The first ``width`` places of a table without a header that are not ``gone`` (place names, as
    :func:`place_name` gives them): the columns a file keeps, or a model reads, once those are dropped."""
    places = (name for name in map(place_name, itertools.count()) if name not in gone)
    return tuple(itertools.islice(places, width))


@dataclass(frozen=True, eq=False)
class Domain:
    """Samples of one domain.

    ``X`` is ``N x C x H x W`` float32 in ``[0, 1]`` for images, or ``N x D`` float32 for feature
    vectors (tabular data, embeddings). ``y`` holds int64 class indices into ``classes`` or is
    ``None`` for an unlabelled domain (``classes`` may still name the expected classes).

    ``ids`` says where each sample came from, one string per row: its path inside an uploaded
    archive or folder (``scans/img_001.png``), its 0-based row in an array or table file, its
    original index in a dataset (``test/123``: the torchvision part and the index in it). Left empty
    it becomes the row positions (``"0"``, ``"1"``, ...). Every operation that selects or reorders
    samples carries the ids along (:meth:`subset`); none is shown in :meth:`summary`.
    """

    name: str
    X: torch.Tensor
    y: torch.Tensor | None
    classes: tuple[str, ...]
    provenance: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    ids: tuple[str, ...] = ()  # one per sample once built

    def __post_init__(self) -> None:
        if self.X.ndim not in (2, 4):
            raise TLError(f"{self.name}: samples must be N x D or N x C x H x W, got {tuple(self.X.shape)}")
        if not self.ids:
            object.__setattr__(self, "ids", tuple(map(str, range(len(self.X)))))
        elif len(self.ids) != len(self.X):
            raise TLError(f"{self.name}: {len(self.X)} samples but {len(self.ids)} sample ids")
        if self.y is not None:
            if self.y.ndim != 1 or len(self.y) != len(self.X):
                raise TLError(f"{self.name}: {len(self.X)} samples but labels of shape {tuple(self.y.shape)}")
            if len(self.y) and (int(self.y.min()) < 0 or int(self.y.max()) >= len(self.classes)):
                raise TLError(f"{self.name}: labels outside 0..{len(self.classes) - 1}")

    @property
    def n_samples(self) -> int:
        return len(self.X)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one sample: ``(C, H, W)`` or ``(D,)``."""
        return tuple(self.X.shape[1:])

    @property
    def is_image(self) -> bool:
        return self.X.ndim == 4

    @property
    def column_names(self) -> tuple[str, ...]:
        """A feature-vector domain's column names: a table's header (``meta["columns"]``), else each
        column's place in its file (:func:`place_name`; :data:`PLACES` once some were dropped), so a
        column keeps its name in a pair's source and target, a model's notes and its ``model.json``."""
        width = self.shape[0]
        for key in ("columns", PLACES):
            names = tuple(self.meta.get(key) or ())
            if len(names) == width:
                return names
        return kept_places(width)

    @property
    def file_columns(self) -> tuple[int, ...]:
        """A table without a header's places' columns of its file, 0-based (:data:`FILE_COLUMNS`; empty
        for any other domain): how a user reads a place (:func:`shown_name`)."""
        return tuple(self.meta.get(FILE_COLUMNS) or ())

    @property
    def labelled(self) -> bool:
        return self.y is not None

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def class_counts(self) -> dict[str, int]:
        """Samples per class name (empty for an unlabelled domain)."""
        if self.y is None:
            return {}
        counts = torch.bincount(self.y, minlength=self.n_classes).tolist()
        return dict(zip(self.classes, counts, strict=True))

    def subset(self, index: Sequence[int] | np.ndarray | torch.Tensor, name: str | None = None) -> Domain:
        """The samples at ``index`` with their ids (same classes, provenance and meta)."""
        idx = torch.as_tensor(np.asarray(index), dtype=torch.long)
        return replace(
            self,
            name=name or self.name,
            X=self.X[idx],
            y=None if self.y is None else self.y[idx],
            ids=tuple(self.ids[i] for i in idx.tolist()),
        )

    def summary(self) -> dict[str, Any]:
        """What ``data inspect --json`` prints."""
        return {
            "name": self.name,
            "n_samples": self.n_samples,
            "shape": list(self.shape),
            "kind": "image" if self.is_image else "features",
            "n_classes": self.n_classes,
            "classes": list(self.classes),
            "labelled": self.labelled,
            "class_counts": self.class_counts(),
            "provenance": self.provenance,
        }
