"""Make a source and a target domain compatible: one sample shape, one class index space.

Rules (the source defines the pair):

- images: the target is resized (bilinear, antialiased) to the source's ``H x W``. Channels:
  colour wins; a grayscale side is repeated to 3 channels when the other side is RGB, so no colour
  information is ever thrown away.
- feature vectors: both sides must have the same dimension ``D``; images never pair with features.
- classes are matched by name (exactly, else ignoring case and surrounding spaces). Target labels are
  remapped to the source's indices. Target samples of classes the source does not know are dropped
  and reported in :class:`PairReport` (``target.meta["pair_report"]`` and
  ``target.meta["unknown_classes"]``), never silently. An unlabelled target takes the source's class
  names.
- each side needs at least :data:`MIN_SAMPLES` samples (after the drop): every use of a pair (the
  gap measures, the domain classifier, train/test splits, training) needs two per domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch.nn.functional import interpolate

from tlcore.data.domain import Domain
from tlcore.errors import TLError

MIN_SAMPLES = 2


@dataclass(frozen=True)
class PairReport:
    """What :func:`harmonise` changed."""

    source_channels: tuple[int, int] | None = None  # (before, after), when repeated to RGB
    target_channels: tuple[int, int] | None = None
    target_resized: tuple[tuple[int, int], tuple[int, int]] | None = None  # (before, after) H x W
    class_map: dict[str, str] = field(default_factory=dict)  # target name -> source name, when they differ
    unknown_classes: dict[str, int] = field(default_factory=dict)  # dropped target class -> samples
    missing_classes: tuple[str, ...] = ()  # source classes with no target sample

    @property
    def n_dropped(self) -> int:
        return sum(self.unknown_classes.values())

    def lines(self) -> list[str]:
        """Human-readable notes, one per change."""
        notes = []
        if self.source_channels:
            notes.append("source: grayscale repeated to 3 channels")
        if self.target_channels:
            notes.append("target: grayscale repeated to 3 channels")
        if self.target_resized:
            (h0, w0), (h1, w1) = self.target_resized
            notes.append(f"target: resized from {h0}x{w0} to {h1}x{w1}")
        notes += [f"target class {t!r} matched to source class {s!r}" for t, s in self.class_map.items()]
        if self.unknown_classes:
            listed = ", ".join(f"{name} ({n})" for name, n in self.unknown_classes.items())
            notes.append(f"target classes unknown to the source, {self.n_dropped} samples dropped: {listed}")
        if self.missing_classes:
            notes.append(f"source classes absent from the target: {', '.join(self.missing_classes)}")
        return notes


def harmonise(source: Domain, target: Domain) -> tuple[Domain, Domain]:
    """``(source, target)`` with one sample shape and the source's classes; see the module rules."""
    for side, domain in (("source", source), ("target", target)):
        _check_size(side, domain.name, domain.n_samples)
    if source.is_image != target.is_image:
        raise TLError(f"cannot pair images with feature vectors ({source.name} and {target.name})")
    Xs, Xt = source.X, target.X
    source_channels = target_channels = resized = None
    if source.is_image:
        Xs, source_channels = _channels(Xs, Xt.shape[1])
        Xt, target_channels = _channels(Xt, Xs.shape[1])
        size = (Xs.shape[-2], Xs.shape[-1])
        if Xt.shape[-2:] != Xs.shape[-2:]:
            resized = ((Xt.shape[-2], Xt.shape[-1]), size)
            Xt = interpolate(Xt, size=size, mode="bilinear", antialias=True, align_corners=False).clamp_(0, 1)
    elif source.shape != target.shape:
        raise TLError(
            f"feature dimensions differ: {source.name} has {source.shape[0]}, {target.name} {target.shape[0]}"
        )
    y, keep, classes = _remap(source, target)
    report = replace(
        classes, source_channels=source_channels, target_channels=target_channels, target_resized=resized
    )
    if keep is not None:
        _check_size("target", f"{target.name} (samples of classes the source knows)", int(keep.sum()))
        Xt = Xt[keep]
    meta = {**target.meta, "pair_report": report, "unknown_classes": dict(report.unknown_classes)}
    new_source = replace(source, X=Xs, meta=dict(source.meta))
    new_target = replace(target, X=Xt, y=y, classes=source.classes, meta=meta)
    return new_source, new_target


def _check_size(side: str, name: str, n: int) -> None:
    if n < MIN_SAMPLES:
        raise TLError(
            f"the {side} {name} has {n} sample{'s' if n != 1 else ''}; comparing or adapting a pair "
            f"needs at least {MIN_SAMPLES} per domain"
        )


def _channels(X: torch.Tensor, other: int) -> tuple[torch.Tensor, tuple[int, int] | None]:
    """Repeat a grayscale batch to RGB when the other side is RGB (colour wins)."""
    if X.shape[1] == 1 and other == 3:
        return X.expand(-1, 3, -1, -1).contiguous(), (1, 3)
    if X.shape[1] not in (1, 3) or other not in (1, 3):
        raise TLError(f"images must have 1 or 3 channels, got {X.shape[1]} and {other}")
    return X, None


def _remap(source: Domain, target: Domain) -> tuple[torch.Tensor | None, torch.Tensor | None, PairReport]:
    """Target labels in source indices, the kept-sample mask (``None``: keep all), the class report."""
    if target.y is None:
        return None, None, PairReport()
    exact = {name: i for i, name in enumerate(source.classes)}
    loose = {name.strip().casefold(): i for i, name in enumerate(source.classes)}
    lookup, class_map, unknown = [], {}, {}
    counts = target.class_counts()
    for name in target.classes:
        index = exact.get(name, loose.get(name.strip().casefold(), -1))
        lookup.append(index)
        if index >= 0 and source.classes[index] != name:
            class_map[name] = source.classes[index]
        if index < 0 and counts[name]:
            unknown[name] = counts[name]
    y = torch.tensor(lookup, dtype=torch.int64)[target.y]
    keep = y >= 0
    if not keep.any():
        raise TLError(
            f"no target class of {target.name} matches the source's classes "
            f"({', '.join(source.classes[:10])}); rename the target's classes"
        )
    present = set(y[keep].tolist())
    missing = tuple(name for i, name in enumerate(source.classes) if i not in present)
    report = PairReport(class_map=class_map, unknown_classes=unknown, missing_classes=missing)
    return (y[keep], keep, report) if unknown else (y, None, report)
