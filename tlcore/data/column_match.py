"""A table's feature columns matched by name to a reference's (a pair's source, a trained model).

Reordered to the reference's order (said only where the columns both have come in another order:
columns between them, or absent, change none); columns the reference does not know ignored (one
empty in every row, kept by ``missing=impute``, is named so: a model was trained without it; so is one
a model says it was trained without, its ``dropped``: empty in every row of its training file); a
missing one refused, naming a near miss (a trailing space, other case) and the columns the reference
does not know (one of them may be it, renamed; not those a model was trained without: it knows
them). With no name in common the columns are taken by position (:mod:`tlcore.data.harmonise` then
checks the dimension). Tables without a header on both sides match so by their places where either
encodes text (:mod:`tlcore.data.place_match`: the notes name a place, ``feature 1``, as the column of
the file it is, ``column 2 of the file``: :func:`~tlcore.data.domain.shown_name`).

Text columns encoded 0/1 per value on both sides (``text=onehot``, ``meta["categories"]``:
:mod:`tlcore.data.categories`) take the reference's encoding: a reference value the domain never holds
is a column of zeros, not a missing column; a domain value the reference never had is a sample with
none of the reference's values (its 0/1 columns all 0), reported per column with its samples (of
the rows a pair keeps: those of classes the reference knows, :mod:`tlcore.data.harmonise`). A
domain column named as a reference text column and empty in every row (``missing=impute``: a file
of one row with its cell missing) is that text column, every cell missing (its 0/1 columns all 0). A
reference number column the domain holds as text (one text cell in a file of one row) is refused naming
it and its text, not as a missing column; a reference text column it holds as numbers, naming it and
the reference's values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from tlcore.data.categories import CATEGORIES, Categories, category_columns
from tlcore.data.domain import Domain, shown_column, shown_name
from tlcore.data.fill import EMPTY_DROPPED, MISSING_IMPUTE, columns_are, dropped_hint, unread_note
from tlcore.errors import TLError
from tlcore.numbers import first_named, plural

NAMED_VALUES = 5  # unseen values a report names per column before "and N more"
NAMED_IGNORED = 8  # ignored columns a report names before "and N more"


@dataclass(frozen=True)
class ColumnMatch:
    """How a domain's columns become the reference's: ``order`` (``None``: as they are) holds each
    reference column's position in the domain's, ``-1`` for a value's column of zeros."""

    order: torch.Tensor | None = None
    by_name: bool = False  # the columns both have came in another order: reordered by name
    ignored: tuple[str, ...] = ()  # columns the reference does not name; a text column once (_ignored)
    by_position: bool = False  # both sides name their columns, none in common
    zeros: tuple[str, ...] = ()  # reference value columns the domain never holds: all 0
    unseen: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> {value: samples}
    n_unseen: int = 0  # samples holding a value the reference never had
    blank: tuple[str, ...] = ()  # reference text columns empty in every row of the domain (missing=impute)
    empty: tuple[str, ...] = ()  # columns the reference does not name, empty in every row (missing=impute)
    unread: tuple[str, ...] = ()  # ignored columns the reference (a model) was trained without (dropped)

    def lines(
        self, side: str, reference: str, *, absent: bool = True, file_columns: Sequence[int] = ()
    ) -> list[str]:
        """Human-readable notes, one per change: ``side`` names the domain, ``reference`` the other;
        ``absent``: with the reference's text values the domain holds none of (a pair's target: part of
        its shift; not for a file to predict, where a small file never holds them all and no row's
        prediction depends on the others); a place of a table without a header named as the column of
        ``side``'s file it is (``file_columns``: :func:`~tlcore.data.domain.shown_name`)."""
        notes = [f"{side}: feature columns taken by name, in the {reference}'s order"] if self.by_name else []
        if self.ignored:
            ignored = first_named([shown_name(n, file_columns) for n in self.ignored], NAMED_IGNORED)
            notes.append(f"{side} columns unknown to the {reference} ignored: {ignored}")
        if self.unread:
            notes.append(f"{side}: {unread_note(self.unread, file_columns)}")
        if self.empty:
            it = "it" if len(self.empty) == 1 else "them"
            lacks = f"was trained without {it}" if reference == "model" else f"does not name {it}"
            are = columns_are(self.empty, file_columns=file_columns)
            notes.append(f"{side}: {are} empty in every row and the {reference} {lacks}: ignored")
        if self.by_position:
            notes.append(
                f"{side}: no feature column name in common with the {reference}; columns taken in order"
            )
        if self.zeros and absent:
            zeros = ", ".join(shown_name(n, file_columns) for n in self.zeros)
            notes.append(
                f"{side} holds no sample of the {reference}'s text values {zeros}: their columns all 0"
            )
        if self.unseen:
            listed = "; ".join(
                f"{shown_name(column, file_columns)}: "
                + first_named([f"{v} ({n})" for v, n in values.items()], NAMED_VALUES)
                for column, values in self.unseen.items()
            )
            notes.append(
                f"{side}: {plural(self.n_unseen, 'sample')} with text values the {reference} never had, "
                f"read as none of its values (their 0/1 columns all 0): {listed}"
            )
        return notes


def take_columns(X: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """``X``'s columns at ``order``; ``-1`` gives a column of zeros."""
    if bool((order < 0).any()):
        X = torch.cat([X, X.new_zeros(len(X), 1)], dim=1)
    return X[:, order]


def match_columns(
    domain: Domain,
    columns: Sequence[str] | None,
    reference: str,
    categories: Categories,
    keep: torch.Tensor | None = None,
    *,
    dropped: Sequence[str] = (),
    places: bool = False,
) -> ColumnMatch:
    """Where the reference's named ``columns`` (its text columns' values ``categories``) sit in
    ``domain``'s, and what the matching changed (module rules); the samples holding a value the
    reference never had counted among those ``keep`` indexes (None: all), the ones a pair uses; the
    columns it was trained without, ``dropped`` (a model's), ignored as such. ``places``: both sides
    are tables without a header, ``columns`` the reference's places, matched to the domain's
    (:mod:`tlcore.data.place_match`)."""
    names = domain.column_names if places else tuple(domain.meta.get("columns") or ())
    if domain.is_image or not columns or not names or names == tuple(columns):
        return ColumnMatch()
    own = dict(domain.meta.get(CATEGORIES) or {})
    blank = _blank(domain, names, categories, own)
    own |= dict.fromkeys(blank, ())
    theirs = category_columns(categories)
    shared = {name for name in columns if name in theirs and theirs[name][0] in own}  # encoded on both sides
    missing = [name for name in columns if name not in names and name not in shared]
    if len(missing) == len(columns):
        return ColumnMatch(by_position=True)
    if texts := [n for n in missing if own.get(n) and n not in theirs]:
        words = shown_column(texts[0], domain.file_columns)
        raise TLError(_text_for_numbers(domain.name, words, own[texts[0]], len(domain.X), reference))
    if numbers := [theirs[n][0] for n in missing if n in theirs and theirs[n][0] in names]:
        words = shown_column(numbers[0], domain.file_columns)
        raise TLError(_numbers_for_text(domain.name, words, categories[numbers[0]], reference))
    if empty := [n for n in missing if n in domain.meta.get(EMPTY_DROPPED, ())]:
        raise TLError(f"{domain.name}: {dropped_hint(empty, reference)}")
    if missing:
        raise TLError(_lacks(domain.name, names, missing, columns, reference, dropped=dropped))
    order = torch.tensor([names.index(n) if n in names else -1 for n in columns], dtype=torch.int64)
    mine = category_columns(own)
    unseen_at = [
        i for i, n in enumerate(names) if n not in columns and n in mine and mine[n][0] in categories
    ]
    skip = set(columns) | set(blank)  # columns the reference takes, or takes as blank text columns
    X = domain.X if keep is None else domain.X[keep]
    nan = torch.isnan(domain.X).all(dim=0).tolist() if len(domain.X) else [False] * len(names)
    empty = {n for n, none in zip(names, nan, strict=True) if none and n not in skip}  # its own rows, all
    unseen: dict[str, dict[str, int]] = {}
    for i in unseen_at:
        column, value = mine[names[i]]
        if n := int(X[:, i].sum()):
            unseen.setdefault(column, {})[value] = n
    n_unseen = int(X[:, unseen_at].any(dim=1).sum()) if unseen_at else 0
    rest = [n for i, n in enumerate(names) if i not in unseen_at and n not in skip | empty]
    unread = [mine.get(n, (n,))[0] for n in rest if mine.get(n, (n,))[0] in dropped]  # a text column's, once
    return ColumnMatch(
        order=order,
        by_name=_reordered(order),
        ignored=_ignored([n for n in rest if mine.get(n, (n,))[0] not in dropped], mine),
        empty=tuple(n for n in names if n in empty),
        unread=tuple(dict.fromkeys(unread)),
        zeros=tuple(n for n in columns if n not in names and theirs.get(n, ("",))[0] not in blank),
        unseen=unseen,
        n_unseen=n_unseen,
        blank=blank,
    )


def _reordered(order: torch.Tensor) -> bool:
    """Whether the domain holds the reference's columns it has (``order``'s positions, ``-1`` a column
    of zeros it lacks) in another order than the reference's: columns it has besides them (unknown,
    dropped, a model's ``dropped``) or lacks (a value's column of zeros) leave the order as it is."""
    held = order[order >= 0]
    return bool((held[1:] < held[:-1]).any())


def _ignored(names: list[str], encoded: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """The ignored columns ``names`` as a report names them: the 0/1 columns of a text column the
    reference lacks (``encoded``: each 0/1 column's text column and value) once, as that column with
    its count of values (``customer_id (text, 50 values)``, not its 50 columns), the others as they are."""
    values: dict[str, int] = {}  # a text column -> its ignored 0/1 columns; a plain column -> 0
    for name in names:
        column = encoded[name][0] if name in encoded else name
        values[column] = values.get(column, 0) + (name in encoded)
    return tuple(f"{c} (text, {plural(n, 'value')})" if n else c for c, n in values.items())


def _blank(
    domain: Domain, names: tuple[str, ...], categories: Categories, own: Categories
) -> tuple[str, ...]:
    """``domain``'s columns named as a text column of the reference (``categories``) and empty in every
    row (NaN: read with ``missing=impute``, where a column without a value reads as numbers): that
    text column, every cell missing."""
    return tuple(
        n
        for i, n in enumerate(names)
        if n in categories and n not in own and len(domain.X) and bool(torch.isnan(domain.X[:, i]).all())
    )


def _text_for_numbers(name: str, column: str, values: Sequence[str], rows: int, reference: str) -> str:
    """The refusal of a domain ``name`` whose ``column`` (as messages name it:
    :func:`~tlcore.data.domain.shown_column`), a number column of ``reference``, was read as text
    (``text=onehot``: its ``values``; one in a file of one row, where no number beside it makes it
    mostly numeric, :mod:`tlcore.data.table_cells`): ``column 'age' holds text ('abc') in its only
    row``, where the reference reads numbers."""
    held = first_named([repr(v) for v in values], NAMED_VALUES)
    where = "in its only row" if rows == 1 else f"in too many of its {rows} rows to be read as numbers"
    return (
        f"{name}: {column} holds text ({held}) {where}, where {reference} reads numbers: write a "
        f"number in its cell{'' if rows == 1 else 's'}, or leave {'it' if rows == 1 else 'them'} empty and "
        f"read the file with the spec option {MISSING_IMPUTE}"
    )


def _numbers_for_text(name: str, column: str, values: Sequence[str], reference: str) -> str:
    """The refusal of a domain ``name`` whose ``column`` (as messages name it), a text column of
    ``reference`` (its ``values``), was read as numbers: ``column 2 of the file holds numbers, where ...
    reads text ('east', 'north')``."""
    held = first_named([repr(v) for v in values], NAMED_VALUES)
    return (
        f"{name}: {column} holds numbers, where {reference} reads text ({held}): check that it is "
        f"the column {reference} has there, and give its cells {reference}'s text values"
    )


def _lacks(
    name: str,
    names: tuple[str, ...],
    missing: list[str],
    columns: Sequence[str],
    reference: str,
    *,
    dropped: Sequence[str] = (),
) -> str:
    """The refusal of a domain ``name`` whose columns ``names`` lack the reference's ``missing``; its
    columns the reference neither names nor was trained without (``dropped``) may be them, renamed."""
    listed = first_named([_near_miss(n, names) for n in missing], 5)
    spaced = {_spacing(n) for n in missing}  # those _near_miss named already
    known = {*columns, *dropped}
    unknown = [n for n in names if n not in known and _spacing(n) not in spaced]
    renamed = (
        f"; it has {first_named(unknown, 5)}, which {reference} does not name: a column renamed upstream "
        "takes back its old name in the file"
        if unknown
        else ""
    )
    return f"{name} lacks feature columns of {reference}: {listed} (columns match by name{renamed})"


def _spacing(name: str) -> str:
    """``name`` as :func:`_near_miss` compares it at its coarsest: spacing and case aside."""
    return " ".join(name.split()).casefold()


def _near_miss(name: str, names: tuple[str, ...]) -> str:
    """``name``, with the column of ``names`` it differs from only by spaces at an end, case or
    spacing inside when there is one: ``Temp (°C) (the data has 'Temp (°C) ': a trailing space)``."""
    for key in (str.strip, str.casefold, _spacing):
        hit = next((n for n in names if n != name and key(n) == key(name)), None)
        if hit is None:
            continue
        if hit.rstrip() == name.rstrip():  # they differ in the spaces at the end only
            how = "a trailing space"
        elif hit.lstrip() == name.lstrip():
            how = "a space at its start"
        elif hit.strip() == name.strip():
            how = "spaces at its ends"
        else:
            how = "other case" if hit.casefold() == name.casefold() else "other spacing"
        return f"{name} (the data has {hit!r}: {how})"
    return name
