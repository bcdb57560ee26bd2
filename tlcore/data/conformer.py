"""What conforming a domain to a reference changed (:class:`ConformReport`), and how the domain then
becomes the reference's a batch at a time (:class:`Conformer`); :func:`tlcore.data.harmonise.plan_conform`
makes both, by the rules of :mod:`tlcore.data.harmonise`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch
from torch.nn.functional import interpolate

from tlcore.data.categories import CATEGORIES, Categories
from tlcore.data.column_match import ColumnMatch, take_columns
from tlcore.data.domain import PLACES, Domain
from tlcore.data.fill import fill_holes, filled_lines
from tlcore.numbers import plural


@dataclass(frozen=True)
class ConformReport:
    """What conforming one domain to a reference changed."""

    channels: tuple[int, int] | None = None  # (before, after), when repeated to RGB
    resized: tuple[tuple[int, int], tuple[int, int]] | None = None  # (before, after) H x W
    class_map: dict[str, str] = field(default_factory=dict)  # domain name -> reference name, when they differ
    unknown_classes: dict[str, int] = field(default_factory=dict)  # dropped class -> samples
    missing_classes: tuple[str, ...] = ()  # reference classes with no sample
    columns: ColumnMatch = field(default_factory=ColumnMatch)  # feature columns matched by name
    filled: dict[str, int] = field(default_factory=dict)  # missing cells filled, per reference column
    rows: int = 0  # the samples the missing cells were counted in
    unvalued_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rows missing a text cell, by id
    file_columns: tuple[int, ...] = ()  # a table without a header's places in its file: how notes name them

    @property
    def unvalued(self) -> dict[str, int]:  # missing text cells, per text column
        return {column: len(rows) for column, rows in self.unvalued_ids.items()}

    def unvalued_in(self, ids: Sequence[str]) -> dict[str, int]:
        """:attr:`unvalued` counted in the samples ``ids`` only (a split of the domain, a draw), per text
        column that has some there: a split's own share of missing text cells, not the whole domain's."""
        counts = {column: len(set(rows).intersection(ids)) for column, rows in self.unvalued_ids.items()}
        return {column: n for column, n in counts.items() if n}

    @property
    def n_dropped(self) -> int:
        return sum(self.unknown_classes.values())

    def lines(self, side: str = "target", reference: str = "source", *, absent: bool = True) -> list[str]:
        """Human-readable notes, one per change: ``side`` names the domain, ``reference`` the other;
        ``absent``: with the reference's classes and text values the domain holds none of
        (:meth:`~tlcore.data.column_match.ColumnMatch.lines`; not for a file to predict, where a small
        labelled file never holds every class and no row's prediction, nor the accuracy over its rows,
        depends on the classes it lacks)."""
        notes = []
        if self.channels:
            notes.append(f"{side}: grayscale repeated to 3 channels")
        if self.resized:
            (h0, w0), (h1, w1) = self.resized
            notes.append(f"{side}: resized from {h0}x{w0} to {h1}x{w1}")
        notes += self.columns.lines(side, reference, absent=absent, file_columns=self.file_columns)
        notes += filled_lines(
            self.filled, self.rows, side, reference, self.unvalued, file_columns=self.file_columns
        )
        notes += [f"{side} class {t!r} read as {reference} class {s!r}" for t, s in self.class_map.items()]
        if self.unknown_classes:
            listed = ", ".join(f"{name} ({n})" for name, n in self.unknown_classes.items())
            dropped = plural(self.n_dropped, "sample")
            notes.append(
                f"{side} classes unknown to the {reference}, {dropped} dropped: {listed} "
                "(label=none keeps them, unlabelled)"
            )
        if self.missing_classes and absent:
            listed = ", ".join(self.missing_classes)
            own = side == reference  # a domain conformed to its own classes
            notes.append(
                f"{side} classes with no sample: {listed}"
                if own
                else f"{reference} classes absent from the {side}: {listed}"
            )
        return notes


@dataclass(frozen=True)
class Conformer:
    """How one domain becomes a reference's: which samples stay, their labels, and the sample transform.

    :meth:`samples` brings any batch of the kept samples to the reference's shape, so a large domain
    can be conformed a batch at a time (prediction) or at once (:meth:`apply`, a pair).
    """

    shape: tuple[int, ...]  # the reference's sample shape
    classes: tuple[str, ...]  # the reference's class names
    keep: torch.Tensor | None  # int64 indices of the kept samples; None keeps all
    y: torch.Tensor | None  # labels of the kept samples in the reference's indices
    report: ConformReport
    columns: tuple[str, ...] | None = None  # the reference's feature column names, matched by name
    order: torch.Tensor | None = None  # int64 positions of those columns in the domain's (-1: zeros)
    categories: Categories | None = None  # the reference's text columns' values, with its columns
    fill: tuple[float, ...] | None = None  # the values of missing cells, per reference column

    def samples(self, X: torch.Tensor) -> torch.Tensor:
        """``X`` (a batch of the domain's samples) with the reference's channels and ``H x W``, or its
        feature columns, missing cells filled."""
        if X.ndim == 2:
            X = X if self.order is None else take_columns(X, self.order)
            return X if self.fill is None else fill_holes(X, self.fill)
        if X.ndim != 4:
            return X
        if X.shape[1] != self.shape[0]:
            X = X.expand(-1, self.shape[0], -1, -1).contiguous()  # grayscale -> RGB, checked by the plan
        if tuple(X.shape[-2:]) != self.shape[1:]:
            X = interpolate(X, size=self.shape[1:], mode="bilinear", antialias=True, align_corners=False)
            X = X.clamp_(0, 1)
        return X

    def apply(self, domain: Domain) -> Domain:
        """The whole ``domain`` conformed (kept samples with their ids, the reference's classes)."""
        kept = domain if self.keep is None else domain.subset(self.keep)
        meta = dict(kept.meta)
        if self.columns is not None:  # a header's names, or a table's without one, places
            meta["columns" if "columns" in meta else PLACES] = self.columns
            meta.pop(CATEGORIES, None)
            meta |= {CATEGORIES: dict(self.categories)} if self.categories else {}
        return replace(kept, X=self.samples(kept.X), y=self.y, classes=self.classes, meta=meta)
