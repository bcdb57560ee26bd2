"""A table without a header fitted to a reference without one (a pair's source, a model trained on
such a file), by the place of each column.

- Where either side encodes text columns 0/1 per value (``text=onehot``, :mod:`tlcore.data.categories`)
  a place is a name (``feature 1``, a text column's 0/1 columns ``feature 1=north``:
  :func:`~tlcore.data.categories.place_columns`), and the columns match as a header's do
  (:mod:`tlcore.data.column_match`): the domain's text columns take the reference's values, one the
  reference never had reported with its samples, one the domain lacks a column of zeros, a text cell
  where the reference reads numbers refused (:func:`by_place`). Without text the places are the
  columns in order, and the feature dimension counts them.
- Either way the domain must hold as many places as the reference's file did, counted in the file (a
  text column once, a column dropped as read too: :func:`place_count`), else it is refused saying both
  counts (:func:`check_places`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from tlcore.data.categories import CATEGORIES, Categories, category_columns, place_columns
from tlcore.data.domain import Domain
from tlcore.data.fill import EMPTY_DROPPED
from tlcore.errors import TLError
from tlcore.numbers import plural


def by_place(domain: Domain, categories: Categories | None) -> bool:
    """Whether ``domain`` fits a reference without a header, whose text columns hold ``categories``, by
    its places as names (module rules): a table without a header where either side encodes text."""
    own = domain.meta.get(CATEGORIES)
    return not domain.is_image and not domain.meta.get("columns") and bool(categories or own)


def place_count(names: Sequence[str], categories: Categories, gone: Collection[str] = ()) -> int:
    """How many places the file of a table without a header held: those of its columns ``names``
    (a text column's 0/1 columns, ``categories``, once; one of no value, which has none, too) and
    those ``gone`` (dropped as read, or by a pair)."""
    encoded = category_columns(categories)
    return len({encoded.get(n, (n,))[0] for n in names} | set(categories) | set(gone))


def trained_places(width: int, categories: Categories, dropped: Collection[str] = ()) -> int:
    """:func:`place_count` of the file a model taking ``width`` features was trained on (a table without
    a header; its text columns' values ``categories``, the places it was trained without ``dropped``)."""
    return place_count(place_columns(width, categories, dropped), categories, dropped)


def domain_places(domain: Domain) -> int:
    """:func:`place_count` of a table without a header as read (its columns dropped as read counted)."""
    categories = domain.meta.get(CATEGORIES) or {}
    return place_count(domain.column_names, categories, domain.meta.get(EMPTY_DROPPED, ()))


def check_places(name: str, have: int, had: int, held: str, theirs: str, *, labelled: bool = False) -> None:
    """Refuse a table without a header ``name`` of ``have`` places where its reference's file ``held``
    (``the file run-1 was trained on had``) ``had``: it needs ``theirs`` (``the training file's``)
    columns, in their order. One place short and ``labelled``, one of its columns may be a feature read
    as its labels (its one text column, unless read with ``label=none``): the refusal says so."""
    if have != had:
        labels = (
            "; one of its columns was read as its labels (a file without a header's one text column is, "
            "unless read with label=none)"
            if labelled and have == had - 1
            else ""
        )
        raise TLError(
            f"{name} has {plural(have, 'feature column')} and {held} {had}: a table without a header is "
            f"read by the place of each column, so it needs {theirs} columns, in their order{labels}"
        )
