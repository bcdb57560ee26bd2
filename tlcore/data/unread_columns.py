"""The feature columns of a file to predict that its model does not read, and predict's notes on them.

- A model keeps the training file's columns it was trained without, empty in every row (dropped as
  read, or by its pair: :func:`tlcore.data.fill.without_empty`; ``Classifier.dropped``, from the
  pair's :attr:`~tlcore.data.harmonise.PairReport.dropped`: :func:`trained_without`). In a table
  without a header they are places, ``feature 1``, as :attr:`~tlcore.data.domain.Domain.column_names`
  names them.
- A file without a header given to a model trained on one is matched by the place of each column
  (:func:`unread_places`, :mod:`tlcore.data.place_match`): it must hold as many places as the
  training file did (its own columns dropped as read counted, a text column once), else it is
  refused saying both counts; the places the model was trained without are dropped from it, the note
  naming them (:func:`unread_lines`). A file with a header is matched by name
  (:mod:`tlcore.data.column_match`: the columns the model does not name are ignored, those it was
  trained without said so, in the same words: :func:`tlcore.data.fill.unread_note`).
- A file's own columns empty in every row, dropped as read (not with ``missing=impute``), are said
  too (:func:`unread_lines`, in the words of :func:`tlcore.data.fill.dropped_hint`): the model was
  trained without them, or, where that is not known, how to keep them.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlcore.data.categories import CATEGORIES, Categories
from tlcore.data.domain import Domain
from tlcore.data.fill import EMPTY_DROPPED, dropped_hint, unread_note, without_columns
from tlcore.data.harmonise import PairReport
from tlcore.data.place_match import by_place, check_places, domain_places, trained_places


def trained_without(target: Domain) -> tuple[str, ...] | None:
    """The feature columns a model trained on the pair of the harmonised ``target`` goes without: its
    source's columns empty in every row (:attr:`PairReport.dropped`); None where ``target`` was not
    harmonised."""
    report = target.meta.get("pair_report")
    return report.dropped if isinstance(report, PairReport) else None


def unread_places(
    domain: Domain,
    shape: tuple[int, ...],
    columns: Sequence[str],
    dropped: Sequence[str] | None,
    reference: str,
    *,
    categories: Categories | None = None,
) -> tuple[Domain, tuple[str, ...]]:
    """``domain`` (a table without a header) without the places ``dropped`` that a model taking
    samples of ``shape`` (``(D,)``), trained on a table without a header (no named ``columns``; its
    text columns' values ``categories``), was trained without, and those of them it had; refused in
    one line naming ``reference`` when it holds another number of places than the training file. Any
    other domain or model leaves it as it is, and so do a model that does not say which places it
    lacks (``dropped`` None: trained before they were stored) or neither side dropping one, where
    neither encodes text (the feature dimension then counts the places)."""
    named = columns or domain.meta.get("columns")
    gone = domain.meta.get(EMPTY_DROPPED, ())
    if domain.is_image or len(shape) != 1 or named:
        return domain, ()
    text = by_place(domain, categories)
    if not text and (dropped is None or not (dropped or gone)):
        return domain, ()
    lacks, categories = dropped or (), categories or {}
    held = f"the file {reference} was trained on had"
    trained = trained_places(shape[0], categories, lacks)
    have = domain_places(domain)
    check_places(domain.name, have, trained, held, "the training file's", labelled=domain.labelled)
    own = {*domain.column_names, *(domain.meta.get(CATEGORIES) or {})}  # a text column by its place too
    ignored = tuple(c for c in lacks if c in own)
    return without_columns(domain, ignored), ignored


def unread_lines(
    domain: Domain, ignored: Sequence[str], columns: Sequence[str], dropped: Sequence[str] | None
) -> list[str]:
    """Predict's notes on the columns of ``domain`` its model does not read: those reading dropped
    (empty in every row, :data:`EMPTY_DROPPED`), and the places ``ignored`` (:func:`unread_places`).
    Once the file fits, the model was trained without the columns it dropped where they are matched by
    name (both name their ``columns``) or by place against the model's ``dropped`` ones; else how to keep
    them."""
    notes = []
    if gone := tuple(domain.meta.get(EMPTY_DROPPED, ())):
        named = bool(domain.meta.get("columns"))
        known = (named and bool(columns)) or (not named and not columns and dropped is not None)
        at = domain.file_columns
        hint = dropped_hint(gone, "the model", unread=True, file_columns=at) if known else None
        notes.append(f"data: {hint or dropped_hint(gone, file_columns=at)}")
    if ignored:
        notes.append(f"data: {unread_note(ignored, domain.file_columns)}")
    return notes
