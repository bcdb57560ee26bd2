"""Missing feature cells filled in: the spec option ``missing=impute``.

- Reading (:func:`with_holes`): a table read with ``missing=impute`` keeps every row; its missing,
  non-numeric and infinite feature cells are NaN in the loaded domain, counted per column
  (``meta["missing_cells"]``) and said in its provenance. Labels are never filled.
- The fill is the reference's: the column medians of a pair's source (:func:`column_medians`; the
  middle value, or the mean of the two middle ones, of each column's present cells), for the source
  itself and for its target (never the target's own: they would hide a shift and a one-row file has
  none), and the ones a model stored from its training source for the data it predicts. It is applied
  where a domain is made to fit its reference (:func:`tlcore.data.harmonise.plan_conform`), batch by
  batch (:func:`fill_holes`).
- A column filled in more than :data:`MOSTLY_FILLED` of its rows gets a note: its part of the gap is
  partly the fill.
- A column empty in every row carries no value. Read without ``missing=impute`` it is dropped (its
  provenance warns: :func:`dropped_warning`; a file of nothing else is refused). Read with it, it is
  kept (:func:`empty_warning`): a target's is filled as any, with the source's median. Either way a
  pair's source goes without it, and so does its target (:func:`without_empty`, also where a file is
  uploaded as a source), with the pair's note (:func:`dropped_note`).
- Counts are of the rows a run uses: the provenance's, of the file as read, are followed by those of
  the rows ``n=`` draws (:func:`drawn_holes`), and the pair's notes count the rows paired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from tlcore.data.categories import CATEGORIES, category_columns, read_as_none, unvalued_rows
from tlcore.data.domain import PLACES, Domain, shown_column, shown_columns, shown_name
from tlcore.data.spec_text import DROP, IMPUTE
from tlcore.errors import TLError
from tlcore.numbers import plural

MISSING_IMPUTE = f"missing={IMPUTE}"
MISSING_DROP = f"missing={DROP}"  # the spec option that drops the rows holding a missing or bad cell
FILL = "fill"  # a paired domain's meta key: the values its missing cells were filled with, per column
MISSING_CELLS = "missing_cells"  # a table's meta key: {column: missing cells}, as read
MISSING_TEXT = "missing_text_cells"  # a table's meta key: {text column: missing cells}, as read
MOSTLY_FILLED = 0.5  # a column filled in more than this share of its rows gets a note
EMPTY_DROPPED = "empty_dropped"  # a table's meta key: its columns empty in every row, dropped as read


def with_holes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (rows x columns, numbers) with its missing, non-numeric or infinite cells as 0 (so
    the rest can be checked as numbers), and the ``N x D`` bool mask of those cells, to set to NaN."""
    holes = ~np.isfinite(values.astype(float))
    return np.where(holes, 0.0, values), holes


def mark_holes(values: np.ndarray, holes: np.ndarray | None, names: Sequence[str]) -> dict[str, int]:
    """Set ``values``' cells under the mask ``holes`` (:func:`with_holes`; None: none) to NaN, in place;
    the cells of each column that has some, by ``names``."""
    if holes is None:
        return {}
    values[holes] = np.nan
    counts = holes.sum(axis=0)
    return {names[i]: int(counts[i]) for i in np.flatnonzero(counts)}


def filled_cells(
    X: torch.Tensor, names: Sequence[str], fill: Sequence[float] | None, name: str, reference: str
) -> dict[str, int]:
    """The missing (NaN) cells of feature vectors ``X`` (the domain ``name``'s, in ``reference``'s
    columns ``names``) per column that has some; refused when ``reference`` has no ``fill`` for them
    (a model trained before its medians were stored)."""
    holes = torch.isnan(X).sum(dim=0)
    if not holes.any():
        return {}
    if not fill:
        cells = plural(int(holes.sum()), "missing cell")
        raise TLError(
            f"{name} has {cells} and {reference} stores no column medians to fill them with (it was "
            f"trained before they were stored); read the data with {MISSING_DROP}"
        )
    return {names[i]: int(holes[i]) for i in torch.nonzero(holes).flatten().tolist()}


def column_medians(X: torch.Tensor) -> tuple[float, ...]:
    """The median of each column of ``X`` over its present (not NaN) cells, in float64 (numpy's
    median: the mean of the two middle values of an even count); each column holds one (a pair's
    source goes without its columns empty in every row first: :func:`without_empty`)."""
    return tuple(float(v) for v in np.nanmedian(X.double().numpy(), axis=0))


def source_fill(source: Domain) -> tuple[float, ...] | None:
    """What a pair's ``source`` fills missing cells with (its :func:`column_medians`; None for images),
    once its columns empty in every row are gone (:func:`without_empty`)."""
    return None if source.is_image else column_medians(source.X)


def without_empty(source: Domain) -> tuple[Domain, tuple[str, ...]]:
    """A pair's ``source`` without its feature columns empty in every row (all NaN, read with
    ``missing=impute``; a text column of no value), and their names with those of the columns it
    dropped when read (:data:`EMPTY_DROPPED`): what its target goes without too
    (:func:`without_columns`). A column with no value in the source carries nothing to learn from or to
    fill with. A source of nothing else is refused."""
    if source.is_image:
        return source, ()
    names = source.column_names
    empty = torch.isnan(source.X).all(dim=0) if len(source.X) else torch.ones(len(names), dtype=torch.bool)
    blank = [str(c) for c, values in (source.meta.get(CATEGORIES) or {}).items() if not values]
    dropped = [names[i] for i in torch.nonzero(empty).flatten().tolist()] + blank
    if dropped and len(dropped) - len(blank) == len(names):
        raise TLError(f"{source.name}: every feature column is empty in every row: no value to learn from")
    gone = (*source.meta.get(EMPTY_DROPPED, ()), *dropped)
    return without_columns(source, dropped), tuple(gone)


def dropped_hint(
    columns: Sequence[str], reference: str = "", *, unread: bool = False, file_columns: Sequence[int] = ()
) -> str:
    """What to do about feature ``columns`` that reading dropped (empty in every row, read without
    ``missing=impute``) where a match needs them: ``column 'feature 1' is empty in every row, so reading
    dropped it: read the file with the spec option missing=impute to keep it``; given the
    ``reference`` that has them, that it has them and that they are filled in from it. With
    ``unread`` the ``reference`` (a model) was trained without them, so nothing is to be done: ``...,
    so reading dropped it; the model was trained without it``. ``file_columns``: :func:`columns_are`."""
    it = "it" if len(columns) == 1 else "them"
    dropped = f"{columns_are(columns, file_columns=file_columns)} empty in every row, so reading dropped {it}"
    if unread:
        return f"{dropped}; {reference} was trained without {it}"
    has, filled = (f"; {reference} has {it}", f", filled in from {reference}") if reference else ("", "")
    return f"{dropped}{has}: read the file with the spec option {MISSING_IMPUTE} to keep {it}{filled}"


def unread_note(columns: Sequence[str], file_columns: Sequence[int] = ()) -> str:
    """What a model does with a file's ``columns`` its training file held no value in (its ``dropped``,
    :mod:`tlcore.data.unread_columns`), by name or by place (the file's ``file_columns``:
    :func:`columns_are`): ``column 'b' was empty in every row of the training file and the model does
    not read it: ignored``."""
    it = "it" if len(columns) == 1 else "them"
    were = columns_are(columns, past=True, file_columns=file_columns)
    return f"{were} empty in every row of the training file and the model does not read {it}: ignored"


def without_columns(domain: Domain, columns: Sequence[str]) -> Domain:
    """``domain`` without its feature columns named in ``columns`` (those it has, by
    :attr:`~Domain.column_names`; a text column with its 0/1 columns), nor their missing-cell counts and
    values in its meta; a table without a header keeps the places of the others (:data:`PLACES`)."""
    names = domain.column_names
    encoded = category_columns(domain.meta.get(CATEGORIES) or {})  # a text column's 0/1 columns go with it
    keep = [i for i, n in enumerate(names) if n not in columns and encoded.get(n, ("",))[0] not in columns]
    meta = dict(domain.meta)
    for key in (MISSING_CELLS, MISSING_TEXT, CATEGORIES):
        if key in meta:
            meta[key] = {c: v for c, v in meta[key].items() if c not in columns}
    if len(keep) == len(names) and meta == domain.meta:
        return domain
    meta["columns" if "columns" in meta else PLACES] = tuple(names[i] for i in keep)
    return replace(domain, X=domain.X[:, keep], meta=meta)


def dropped_note(
    columns: Sequence[str], file_columns: Sequence[int] = (), target_columns: Sequence[int] = ()
) -> list[str]:
    """The pair's note on the source's ``columns`` empty in every row (:func:`without_empty`; the
    source's ``file_columns`` and the target's ``target_columns``: :func:`columns_are`)."""
    if not columns:
        return []
    one = len(columns) == 1
    are = columns_are(columns, file_columns=file_columns, target_columns=target_columns)
    return [
        f"WARNING: {are} empty in every row of the source: dropped from the source and the "
        f"target ({'it carries' if one else 'they carry'} no value to learn from)"
    ]


def dropped_warning(columns: Sequence[str], file_columns: Sequence[int] = ()) -> str:
    """A provenance warning on a table's feature ``columns`` empty in every row, dropped as it was read
    (not with ``missing=impute``): ``; WARNING: column 'b' is empty in every row: dropped (no value to
    learn from; a pair whose source has it keeps it with missing=impute, filled with the source's
    median)``; '' when there is none (``file_columns``: :func:`columns_are`)."""
    if not columns:
        return ""
    it = "it" if len(columns) == 1 else "them"
    are = columns_are(columns, file_columns=file_columns)
    return (
        f"; WARNING: {are} empty in every row: dropped (no value to learn from; a pair "
        f"whose source has {it} keeps {it} with {MISSING_IMPUTE}, filled with the source's median)"
    )


def fill_holes(X: torch.Tensor, fill: Sequence[float]) -> torch.Tensor:
    """``X`` (feature vectors) with each NaN cell set to its column's value in ``fill``."""
    holes = torch.isnan(X)
    if not holes.any():
        return X
    return torch.where(holes, torch.tensor(fill, dtype=X.dtype).expand_as(X), X)


def read_note(
    counts: dict[str, int], rows: int, text: Sequence[str] = (), file_columns: Sequence[int] = ()
) -> str:
    """A table's provenance note on its missing cells, as read with ``missing=impute`` (``counts``: per
    column of ``rows``): ``; 42 cells of 3 columns missing, filled with the source's medians when paired
    (missing=impute)``, then :func:`empty_warning` on the columns empty in every row (those, and the text
    columns ``text`` that hold no value), which no median fills; '' when none is missing
    (``file_columns``: :func:`columns_are`)."""
    part = {name: n for name, n in counts.items() if n < rows}
    note = ""
    if part:
        cells, columns = plural(sum(part.values()), "cell"), plural(len(part), "column")
        note = f"; {cells} of {columns} missing, filled with the source's medians when paired"
        note += f" ({MISSING_IMPUTE})"
    return note + empty_warning([name for name, n in counts.items() if n >= rows] + list(text), file_columns)


def empty_warning(columns: Sequence[str], file_columns: Sequence[int] = ()) -> str:
    """A provenance warning on a table's feature ``columns`` that are empty in every row read
    (``missing=impute``), saying what a pair does with them: ``; WARNING: column 'b' is empty in every
    row: a pair drops it from its source, and from its target (no value to learn from); in a target
    with the source's column it takes the source's median (or none of its text values)``; '' when
    there is none (:func:`without_empty`; in a target it is filled as any missing cell,
    :mod:`tlcore.data.harmonise`)."""
    if not columns:
        return ""
    it = "it" if len(columns) == 1 else "them"
    takes = "it takes" if len(columns) == 1 else "they take"
    are = columns_are(columns, file_columns=file_columns)
    return (
        f"; WARNING: {are} empty in every row: a pair drops {it} from its source, and "
        f"from its target (no value to learn from); in a target with the source's column {takes} the "
        "source's median (or none of its text values)"
    )


def columns_are(
    columns: Sequence[str],
    *,
    past: bool = False,
    file_columns: Sequence[int] = (),
    target_columns: Sequence[int] = (),
) -> str:
    """``column 'b' is``, ``columns 'a', 'b', 'c' and 2 more are``: feature columns as a subject, places
    of a table without a header as the columns of its file they are (``file_columns``: ``column 4 of
    the file is``; a pair's ``target_columns`` too: ``column 4 of the source's file (5 of the target's)
    is``, :func:`~tlcore.data.domain.shown_columns`); ``past``: ``was``, ``were``."""
    one, many = ("was", "were") if past else ("is", "are")
    names = shown_columns([str(c) for c in columns], file_columns, target_columns=target_columns)
    return f"{names} {one if len(columns) == 1 else many}"


def drawn_holes(X: torch.Tensor, names: Sequence[str], meta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The missing cells of the rows ``n=`` drew (``X``, its columns ``names``) of a table read with
    ``missing=impute`` (``meta``: its :data:`MISSING_CELLS` and :data:`MISSING_TEXT`, the whole
    file's, as read): ``, holding 4 missing cells of 1 column and 2 missing text cells of 1 column``
    ('' for any other domain), and those counts in their place in ``meta``."""
    if MISSING_CELLS not in meta and MISSING_TEXT not in meta:
        return "", meta
    holes = torch.isnan(X).sum(dim=0)
    cells = {names[i]: int(holes[i]) for i in torch.nonzero(holes).flatten().tolist()}
    text = unvalued_rows(X, names, meta.get(CATEGORIES) or {})
    held = [
        f"{plural(sum(counts.values()), what)} of {plural(len(counts), 'column')}"
        for counts, what in ((cells, "missing cell"), (text, "missing text cell"))
        if counts
    ]
    kept = {k: v for k, v in meta.items() if k not in (MISSING_CELLS, MISSING_TEXT)}
    kept |= ({MISSING_CELLS: cells} if cells else {}) | ({MISSING_TEXT: text} if text else {})
    return f", holding {' and '.join(held) if held else 'no missing cell'}", kept


def filled_lines(
    filled: dict[str, int],
    rows: int,
    side: str,
    reference: str,
    unvalued: dict[str, int] | None = None,
    *,
    file_columns: Sequence[int] = (),
) -> list[str]:
    """What filling ``side``'s cells with ``reference``'s medians did (``filled``: cells per column of
    ``rows``): one line, and one per column filled in more than :data:`MOSTLY_FILLED` of its rows; then
    its missing text cells (``unvalued``: per text column), read as none of their column's values; a
    table without a header's places named as the columns of ``side``'s file (``file_columns``)."""
    lines = []
    if filled:
        whose = "its own" if side == reference else f"the {reference}'s"
        cells = plural(sum(filled.values()), "cell")
        columns = plural(len(filled), "column")
        lines.append(f"{side}: {cells} of {columns} missing, filled with {whose} column medians")
    for name, n in filled.items():
        if n > MOSTLY_FILLED * rows:
            lines.append(
                f"{side} {shown_column(name, file_columns)}: {n} of its {rows} cells filled in: its part of "
                "the gap is partly the fill"
            )
    if unvalued:
        n = sum(unvalued.values())
        cells, columns = plural(n, "text cell"), plural(len(unvalued), "column")
        listed = ", ".join(f"{shown_name(name, file_columns)} ({n})" for name, n in unvalued.items())
        lines.append(f"{side}: {cells} of {columns} missing, {read_as_none(n)}: {listed}")
    return lines
