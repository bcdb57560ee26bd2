"""The workspace's cache of diagnoses, so a restarted app or a second ``diagnose`` reuses the result.

Each entry is one step's result (the findings of :func:`tlcore.diagnosis.diagnose` without UMAP, the
projection of :func:`tlcore.diagnosis.projection`, the explanation of
:func:`tlcore.explain.explanation.explain`) under ``<workspace>/cache/diagnoses/<key>.pkl``, written
through :mod:`tlcore.cache_files` (a version header, written whole; each write prunes the folder:
other code versions' entries unused for a week, then the least recently used beyond its cap; a read
counts as a use).
The key is :func:`fingerprint` (SHA-256) of everything the result depends on: the step,
:func:`code_version` (tlcore's source and the libraries' versions), the
loaded pair's contents (samples, labels, classes, names, pairing notes: an upload replaced under the
same name misses), the features (``"raw"`` or a model's class, spec, classes and weights) and every
setting. A result is stored as it was computed (pickle), so a reused one equals a fresh one number for
number; it is read back by an unpickler that builds only ``tlcore`` dataclasses and enums, numpy
arrays and plain containers. An entry that cannot be read is ignored (recomputed, then overwritten).
"""

from __future__ import annotations

import enum
import hashlib
import io
import pickle
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import torch
from torch import nn

from tlcore.cache_files import (
    DIAGNOSES,
    SUFFIX,
    cleared_at,
    code_version,
    computed_at,
    prune,
    read_entry,
    write_entry,
)
from tlcore.data.domain import Domain
from tlcore.device import pick_device
from tlcore.diagnosis import GapReport, diagnose, projection
from tlcore.diagnosis_settings import PCA_DIM, UMAP_POINTS, GapSettings
from tlcore.explain.evidence import LabelShiftSummary, NoveltySummary
from tlcore.explain.explanation import explain, spec_of
from tlcore.explain.result import Explanation
from tlcore.explain.settings import ExplainSettings
from tlcore.features import UMAPResult
from tlcore.metrics.coverage import NoveltySettings
from tlcore.metrics.gap import Gap
from tlcore.metrics.per_class import ClassGapSettings
from tlcore.workspace import Workspace

T = TypeVar("T")
Progress = Callable[[str, float], None]

# What a cache file may build besides tlcore's dataclasses and enums: numpy arrays and scalars, sets,
# and pickle's helper that makes an object without calling its __init__ (protocol 2 and later).
_ALLOWED = {
    ("copyreg", "__newobj__"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


def fingerprint(*parts: Any) -> str:
    """SHA-256 (hex) of ``parts``: arrays and tensors by dtype, shape and bytes, dataclasses by type
    and fields, modules by type, ``spec``, ``classes`` and weights, mappings by sorted items."""
    digest = hashlib.sha256()
    for part in parts:
        _feed(digest, part)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    """Add ``value`` to ``digest`` (see :func:`fingerprint`), each kind tagged so none reads as another."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().contiguous().numpy()
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        digest.update(f"array {array.dtype.str} {array.shape};".encode())
        digest.update(array.tobytes())
    elif isinstance(value, nn.Module):
        digest.update(f"module {type(value).__qualname__};".encode())
        _feed(digest, (getattr(value, "spec", None), getattr(value, "classes", None)))
        _feed(digest, dict(value.state_dict()))
    elif is_dataclass(value) and not isinstance(value, type):
        digest.update(f"dataclass {type(value).__qualname__};".encode())
        _feed(digest, {f.name: getattr(value, f.name) for f in fields(value)})
    elif isinstance(value, Mapping):
        digest.update(f"mapping {len(value)};".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(f"sequence {len(value)};".encode())
        for item in value:
            _feed(digest, item)
    else:  # numbers, strings, None: their type and repr (exact for floats)
        digest.update(f"{type(value).__qualname__} {value!r};".encode())


class _Unpickler(pickle.Unpickler):
    """Builds only ``tlcore``'s dataclasses and enums and what :data:`_ALLOWED` names (the Python
    documentation's "restricting globals", as torch's ``weights_only`` loader does): no other module
    is even imported, and no other callable can be named, so a file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module.startswith("tlcore."):
            found = super().find_class(module, name)
            if isinstance(found, type) and (is_dataclass(found) or issubclass(found, enum.Enum)):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a diagnosis cache file")


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A step's result, when it was computed (seconds since the epoch) and whether it was read
    back from the workspace cache (``reused``) rather than computed just now."""

    value: T
    computed: float
    reused: bool = False

    def note(self) -> str:
        """``(from the workspace cache, computed 2026-12-05 22:40 UTC)``; empty when computed now."""
        if not self.reused:
            return ""
        return f"(from the workspace cache, computed {computed_at(self.computed)})"


class DiagnosisCache:
    """Results by key (:func:`fingerprint`) under ``folder``; ``None``: nothing is kept."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @classmethod
    def of_workspace(cls, workspace: Workspace) -> DiagnosisCache:
        """The workspace's cache, ``<workspace>/cache/diagnoses`` (made by the first put)."""
        return cls(workspace.inside(*DIAGNOSES.parts))

    def _path(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{key}{SUFFIX}"

    def cleared_at(self) -> int:
        """When ``python -m tlcore cache --clear`` last emptied it (:func:`.cache_files.cleared_at`)."""
        return 0 if self.folder is None else cleared_at(self.folder)

    def get(self, key: str) -> Cached[Any] | None:
        """The stored result of ``key`` (``reused``; the entry counts as used now), or None when there
        is none, it is of other code or it cannot be read."""
        path = self._path(key)
        body = None if path is None else read_entry(path, code_version())
        if body is None:
            return None
        try:
            entry = _Unpickler(io.BytesIO(body)).load()
            if entry["key"] != key:
                return None
            return Cached(entry["value"], float(entry["computed"]), reused=True)
        except Exception:  # a truncated, foreign or refused file: compute it again
            return None

    def put(self, key: str, value: T) -> Cached[T]:
        """Store ``value`` as the result of ``key``, computed now, then prune the folder
        (:func:`tlcore.cache_files.prune`)."""
        entry = Cached(value, time.time())
        path = self._path(key)
        if path is not None:
            data = {"key": key, "computed": entry.computed, "value": value}
            write_entry(path, code_version(), pickle.dumps(data, protocol=5))
            prune(path.parent, code_version())
        return entry

    def drop(self, key: str) -> None:
        """Forget the result of ``key`` (the next call computes it again)."""
        path = self._path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def through(self, key: str, compute: Callable[[], T], *, reuse: bool = True) -> Cached[T]:
        """The stored result of ``key`` when ``reuse`` and there is one, else ``compute()`` stored."""
        found = self.get(key) if reuse else None
        return found if found is not None else self.put(key, compute())


def findings(
    cache: DiagnosisCache,
    source: Domain,
    target: Domain,
    features: str | nn.Module = "raw",
    *,
    settings: GapSettings = GapSettings(),
    pca_dim: int | None = PCA_DIM,
    device: str | None = None,
    progress: Progress | None = None,
    reuse: bool = True,
) -> Cached[GapReport]:
    """:func:`tlcore.diagnosis.diagnose` of the pair without its UMAP (with the default novelty and
    per-class settings), from ``cache`` when it holds it and ``reuse``."""
    key = fingerprint(
        "findings",
        code_version(),
        source,
        target,
        features,
        settings,
        pca_dim,
        pick_device(device).type,
        NoveltySettings(seed=settings.seed),
        ClassGapSettings(),
    )
    return cache.through(
        key,
        lambda: diagnose(
            source,
            target,
            features,
            settings=settings,
            pca_dim=pca_dim,
            umap=False,
            progress=progress,
            device=device,
        ),
        reuse=reuse,
    )


def umap_of(
    cache: DiagnosisCache,
    source: Domain,
    target: Domain,
    features: str | nn.Module = "raw",
    *,
    seed: int = 0,
    pca_dim: int | None = PCA_DIM,
    max_umap_per_domain: int | None = UMAP_POINTS,
    device: str | None = None,
    reuse: bool = True,
) -> Cached[UMAPResult]:
    """:func:`tlcore.diagnosis.projection` of the pair, from ``cache`` when it holds it and ``reuse``."""
    key = fingerprint(
        "umap",
        code_version(),
        source,
        target,
        features,
        seed,
        pca_dim,
        max_umap_per_domain,
        pick_device(device).type,
    )
    return cache.through(
        key,
        lambda: projection(
            source,
            target,
            features,
            seed=seed,
            pca_dim=pca_dim,
            max_umap_per_domain=max_umap_per_domain,
            device=device,
        ),
        reuse=reuse,
    )


def explanation_of(
    cache: DiagnosisCache,
    source: Domain,
    target: Domain,
    *,
    specs: tuple[str | None, str | None],
    workspace: Workspace,
    settings: ExplainSettings,
    gap: Gap,
    label_shift: LabelShiftSummary | None,
    novelty: NoveltySummary | None,
    copied: tuple[int, int] | None = None,
    progress: Progress | None = None,
    reuse: bool = True,
) -> Cached[Explanation]:
    """:func:`tlcore.explain.explanation.explain` of the pair (fixes written on ``specs``, None: the
    domain's name, and checked in ``workspace``; ``copied`` as it takes it), from ``cache`` when it
    holds it and ``reuse``; keyed on the specs the fixes are written on, so ``diagnose`` (None) and the
    page (the names) share it."""
    specs = (spec_of(source, specs[0]), spec_of(target, specs[1]))
    key = fingerprint(
        "explanation", code_version(), source, target, specs, settings, gap, label_shift, novelty, copied
    )
    return cache.through(
        key,
        lambda: explain(
            source,
            target,
            source_spec=specs[0],
            target_spec=specs[1],
            workspace=workspace,
            settings=settings,
            gap=gap,
            label_shift=label_shift,
            novelty=novelty,
            copied=copied,
            progress=progress,
        ),
        reuse=reuse,
    )
