"""Make a domain fit a reference: one sample shape, one class index space.

:func:`plan_conform` holds the rules that bring any domain to a reference's sample shape and class
names (a model's input and outputs, or a pair's source); :func:`harmonise` applies them to a pair.

- images: resized (bilinear, antialiased) to the reference's ``H x W``; a grayscale domain is
  repeated to 3 channels when the reference takes RGB, and an RGB domain is refused by a grayscale
  reference. In a pair colour wins: a grayscale source becomes RGB when the target is, so no colour
  information is ever thrown away.
- feature vectors: when both sides name their columns (a table's header, ``meta["columns"]``) they
  are matched by name (:mod:`tlcore.data.column_match`): reordered to the reference's order, columns
  the reference does not know ignored, a missing one refused (a text column's value encoded on both
  sides, ``text=onehot``: zeros, and the domain's values the reference never had reported); with no
  name in common, or names on one side only, by position. Either way the dimension ``D`` must then
  match; images never pair with features. Tables without a header on both sides match by place, as
  names where either encodes text, their places counted (:mod:`tlcore.data.place_match`).
- classes are matched by name: exactly, else ignoring case and surrounding spaces, else
  (:func:`class_key`) with the characters a file or folder name cannot hold (``/ \\ :``) and those
  that stand in for them (``- _``, space, look-alike slashes such as U+2215) read as one, when that
  names a single reference class (Fashion-MNIST's ``T-shirt/top`` is a folder ``T-shirt-top``).
  Labels are remapped to the reference's indices. Samples of classes the reference does not know are
  dropped and reported (:class:`~tlcore.data.conformer.ConformReport`), never silently; a labelled
  domain none of whose classes the reference knows is refused; an unlabelled one takes the
  reference's class names.
- missing feature cells (NaN: a table read with ``missing=impute``) are filled with the reference's
  column medians (:mod:`tlcore.data.fill`), once the columns are matched: a pair's source's on both
  sides, a model's stored ones on the data it predicts; a reference that has none (a model trained
  before) refuses them. A missing text cell is none (``text=onehot``: its 0/1 columns read all 0).
- each side of a pair needs at least :data:`MIN_SAMPLES` samples (after the drop): every use of a
  pair (the gap measures, the domain classifier, train/test splits, training) needs two per domain.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import compress

import torch

from tlcore.data.categories import CATEGORIES, Categories, place_columns, unvalued_masks
from tlcore.data.column_match import match_columns, take_columns
from tlcore.data.conformer import Conformer, ConformReport
from tlcore.data.domain import Domain
from tlcore.data.fill import (
    EMPTY_DROPPED,
    FILL,
    dropped_hint,
    dropped_note,
    filled_cells,
    source_fill,
    without_columns,
    without_empty,
)
from tlcore.data.place_match import by_place, check_places, domain_places
from tlcore.errors import TLError
from tlcore.numbers import first_named

MIN_SAMPLES = 2
NAMED_CLASSES = 10  # classes a message names before "and N more"


def plan_conform(
    domain: Domain,
    shape: tuple[int, ...],
    classes: tuple[str, ...],
    reference: str,
    columns: tuple[str, ...] | None = None,
    *,
    categories: Categories | None = None,
    fill: tuple[float, ...] | None = None,
    dropped: Sequence[str] = (),
    headerless: bool = False,
) -> Conformer:
    """How ``domain`` fits a reference taking samples of ``shape``, naming ``classes`` and, for
    feature vectors, maybe its ``columns``, the values of its text columns, ``categories``, the
    values to ``fill`` missing cells with, per column, and the columns it was trained without,
    ``dropped`` (a model's: said as such where the domain has them; a pair's source's) (module
    rules). ``headerless``: the reference is a table without a header, which a domain without one
    fits by place (:func:`~tlcore.data.place_match.by_place`: its places its columns' names).

    ``reference`` names it in the one-line :class:`TLError` raised when the domain cannot fit.
    """
    shape = tuple(int(s) for s in shape)
    if domain.is_image != (len(shape) == 3):
        raise TLError(f"cannot pair images with feature vectors ({domain.name} and {reference})")
    channels = resized = None
    y, keep, report = _remap(domain, classes, reference)  # first: the columns count the rows kept
    theirs = categories or {}
    places = headerless and columns is None and by_place(domain, theirs)
    if places:
        columns = place_columns(shape[0], theirs, dropped)
    matched = match_columns(domain, columns, reference, theirs, keep, dropped=dropped, places=places)
    order = matched.order
    own_X, own_names = domain.X, domain.column_names  # its own encoding: a text cell missing is all 0
    if order is not None:
        domain = replace(domain, X=take_columns(domain.X, order))  # its shape as the reference takes it
    if domain.is_image:
        have, want = domain.shape[0], shape[0]
        if have not in (1, 3):
            raise TLError(f"{domain.name}: images must have 1 or 3 channels, got {have}")
        if want not in (1, 3):
            raise TLError(f"{reference} takes {want}-channel images; only 1 or 3 channels are supported")
        if have == 3 and want == 1:
            raise TLError(
                f"{domain.name} holds RGB images but {reference} takes grayscale (1 channel); "
                "convert the images to grayscale"
            )
        channels = (have, want) if have != want else None
        if domain.shape[1:] != shape[1:]:
            resized = (domain.shape[1:], shape[1:])
    elif domain.shape != shape:
        differ = f"feature dimensions differ: {reference} has {shape[0]}, {domain.name} {domain.shape[0]}"
        names = tuple(domain.meta.get("columns") or ())
        if columns and names:  # both named, none in common (else match_columns matched them by name)
            lacks, has = first_named(columns, 5), first_named(names, 5)
            differ += f"; it lacks {lacks} and has {has} instead (columns match by name)"
        gone = domain.meta.get(EMPTY_DROPPED, ())
        raise TLError(
            differ + (f"; its {dropped_hint(gone, file_columns=domain.file_columns)}" if gone else "")
        )
    filled: dict[str, int] = {}
    unvalued: dict[str, tuple[str, ...]] = {}
    if not domain.is_image:  # its missing cells, in the reference's columns
        X, names = domain.X if keep is None else domain.X[keep], columns if order is not None else None
        filled = filled_cells(X, names or domain.column_names, fill, domain.name, reference)
        own = own_X if keep is None else own_X[keep]
        blank = dict.fromkeys(matched.blank, ())  # empty columns read as the reference's text columns
        masks = unvalued_masks(own, own_names, {**(domain.meta.get(CATEGORIES) or {}), **blank})
        kept = domain.ids if keep is None else [domain.ids[i] for i in keep.tolist()]
        unvalued = {c: tuple(compress(kept, rows.tolist())) for c, rows in masks.items()}
    report = replace(
        report,
        channels=channels,
        resized=resized,
        columns=matched,
        filled=filled,
        rows=domain.n_samples if keep is None else len(keep),
        unvalued_ids=unvalued,
        file_columns=domain.file_columns,
    )
    named = None if order is None else columns
    kept_fill = fill if filled else None
    return Conformer(shape, classes, keep, y, report, named, order, categories if named else None, kept_fill)


def misfit(domain: Domain, shape: tuple[int, ...], classes: tuple[str, ...], reference: str) -> str:
    """What keeps ``domain`` as it is from a reference (a trained model) that takes samples of
    ``shape`` and whose outputs name ``classes``, in that order, as one sentence ('' when it fits).

    Unlike :func:`plan_conform` nothing is resized or remapped: a model embeds samples of its own
    shape only (the sentence adds what pairing changed in a harmonised target), and its outputs
    read as classes of a domain naming the same classes (an unlabelled domain that names none fits;
    empty ``classes``: the reference names none, nothing to compare).
    """
    if tuple(domain.shape) != tuple(shape):
        have, want = ("x".join(map(str, s)) for s in (domain.shape, shape))
        pairing = domain.meta.get("pair_report")
        notes = pairing.lines() if isinstance(pairing, PairReport) else []
        why = f" (pairing: {'; '.join(notes)})" if notes else ""
        return f"{domain.name} has samples of {have}, {reference} takes {want}{why}"
    if not classes or not domain.classes or tuple(domain.classes) == tuple(classes):
        return ""
    # a harmonised target carries the source's classes: name the pair, not the target alone
    who = "the pair" if isinstance(domain.meta.get("pair_report"), PairReport) else domain.name
    if sorted(domain.classes) == sorted(classes):
        return f"{who} names the classes of {reference} in another order"
    names, predicted = first_named(domain.classes, NAMED_CLASSES), first_named(classes, NAMED_CLASSES)
    return f"{who} names classes {names}, {reference} predicts {predicted}"


@dataclass(frozen=True)
class PairReport:
    """What :func:`harmonise` changed: the source's and the target's :class:`ConformReport`."""

    source: ConformReport = field(default_factory=ConformReport)
    target: ConformReport = field(default_factory=ConformReport)
    dropped: tuple[str, ...] = ()  # the source's columns empty in every row, dropped from both sides
    file_columns: tuple[int, ...] = ()  # the source's places in its file (no header): how notes name them
    target_file_columns: tuple[int, ...] = ()  # the target's: named too where its file holds them elsewhere

    @property
    def source_channels(self) -> tuple[int, int] | None:
        return self.source.channels

    @property
    def target_channels(self) -> tuple[int, int] | None:
        return self.target.channels

    @property
    def target_resized(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        return self.target.resized

    @property
    def class_map(self) -> dict[str, str]:
        return self.target.class_map

    @property
    def unknown_classes(self) -> dict[str, int]:
        return self.target.unknown_classes

    @property
    def missing_classes(self) -> tuple[str, ...]:
        return self.target.missing_classes

    @property
    def n_dropped(self) -> int:
        return self.target.n_dropped

    def lines(self) -> list[str]:
        """Human-readable notes, one per change."""
        dropped = dropped_note(self.dropped, self.file_columns, self.target_file_columns)
        return dropped + self.source.lines("source") + self.target.lines("target")


def harmonise(source: Domain, target: Domain) -> tuple[Domain, Domain]:
    """``(source, target)`` with one sample shape and the source's classes; see the module rules."""
    for side, domain in (("source", source), ("target", target)):
        _check_size(side, domain.name, domain.n_samples)
    headerless = not source.is_image and not source.meta.get("columns")
    if headerless and by_place(target, source.meta.get(CATEGORIES)):
        had = f"the source {source.name} has"
        have, labelled = domain_places(target), target.labelled
        check_places(target.name, have, domain_places(source), had, "the source's", labelled=labelled)
    source, dropped = without_empty(source)
    target = without_columns(target, dropped)
    shape = source.shape
    if source.is_image and target.is_image and target.shape[0] == 3:
        shape = (3, *source.shape[1:])  # colour wins
    fill = source_fill(source)
    source_plan = plan_conform(source, shape, source.classes, f"the source {source.name}", fill=fill)
    columns, categories = source.meta.get("columns"), source.meta.get(CATEGORIES)
    target_plan = plan_conform(
        target,
        shape,
        source.classes,
        f"the source {source.name}",
        columns,
        categories=categories,
        fill=fill,
        dropped=dropped,
        headerless=headerless,
    )
    if target_plan.keep is not None:
        n_kept = len(target_plan.keep)
        _check_size("target", f"{target.name} (samples of classes the source knows)", n_kept)
    report = PairReport(
        source_plan.report, target_plan.report, dropped, source.file_columns, target.file_columns
    )
    new_source = source_plan.apply(source)
    new_target = target_plan.apply(target)
    meta = {**new_target.meta, "pair_report": report, "unknown_classes": dict(report.unknown_classes)}
    filled = {FILL: fill} if fill is not None else {}
    return replace(new_source, meta={**source.meta, **filled}), replace(new_target, meta={**meta, **filled})


def pair_image_shape(source: Domain) -> tuple[int, ...] | None:
    """The ``image_shape`` to load a target paired with ``source`` at
    (:func:`tlcore.data.spec.load_domain`): image files decoded straight to the source's ``H x W``,
    RGB when the source is (colour wins, as in :func:`harmonise`; a grayscale source leaves the
    channels to the files). Its files then get the pixels a model trained on the pair is given for
    them by ``predict`` (one resize per file, not one to the target's own size and a second to the
    source's). ``None`` for feature vectors."""
    if not source.is_image:
        return None
    return tuple(source.shape) if source.shape[0] == 3 else tuple(source.shape[1:])


def _check_size(side: str, name: str, n: int) -> None:
    if n < MIN_SAMPLES:
        raise TLError(
            f"the {side} {name} has {n} sample{'s' if n != 1 else ''}; comparing or adapting a pair "
            f"needs at least {MIN_SAMPLES} per domain"
        )


_SEPARATORS = re.compile(r"[/\\:\-_\s\u2044\u2215\u29f8\u29f9]+")
"""``/ \\ : - _``, spaces, and the slashes a file name can hold in place of ``/`` (fraction, division,
big solidus, big reverse solidus; fullwidth ones become ``/`` ``\\`` under NFKC first)."""


def class_key(name: str) -> str:
    """``name`` folded as classes match loosely (module rules): NFKC-normalised, case and surrounding
    spaces ignored, each run of separators (``_SEPARATORS``) read as one ``-``."""
    return _SEPARATORS.sub("-", unicodedata.normalize("NFKC", name).strip().casefold())


def _remap(
    domain: Domain, classes: tuple[str, ...], reference: str
) -> tuple[torch.Tensor | None, torch.Tensor | None, ConformReport]:
    """Labels in the reference's indices, the kept indices (``None``: keep all), the class report."""
    if domain.y is None:
        return None, None, ConformReport()
    if not classes:
        raise TLError(
            f"{reference} is unlabelled, so the classes of {domain.name} cannot be matched to it; read "
            "both unlabelled (label=none) to compare them"
        )
    exact = {name: i for i, name in enumerate(classes)}
    loose = {name.strip().casefold(): i for i, name in enumerate(classes)}
    keys = [class_key(name) for name in classes]
    folded = {key: i for i, key in enumerate(keys) if keys.count(key) == 1}  # unique matches only
    lookup, class_map, unknown = [], {}, {}
    counts = domain.class_counts()
    for name in domain.classes:
        index = exact.get(name, loose.get(name.strip().casefold(), folded.get(class_key(name), -1)))
        lookup.append(index)
        if index >= 0 and classes[index] != name:
            class_map[name] = classes[index]
        if index < 0 and counts[name]:
            unknown[name] = counts[name]
    y = torch.tensor(lookup, dtype=torch.int64)[domain.y]
    known = y >= 0
    if not known.any():
        raise TLError(
            f"no class of {domain.name} matches the classes of {reference} "
            f"({first_named(classes, NAMED_CLASSES)}); rename its classes, or read it unlabelled with "
            "label=none"
        )
    present = set(y[known].tolist())
    missing = tuple(name for i, name in enumerate(classes) if i not in present)
    report = ConformReport(class_map=class_map, unknown_classes=unknown, missing_classes=missing)
    return (y[known], torch.nonzero(known).flatten(), report) if unknown else (y, None, report)
