"""Cache of trained source-only baselines, so runs that differ only in the method train it once.

A baseline is determined by every field of :class:`~tlcore.adapt.config.AdaptConfig` except the
method-only ones in :data:`~tlcore.adapt.config.METHOD_ONLY_FIELDS` (so a new config field changes
the key unless it is declared method-only; the target is in: harmonising the pair can change the
source, e.g. grayscale repeated to RGB), by the device *type* (not ``cfg.device``: ``cuda:0`` and
``cuda:1`` share a baseline), and by :data:`CACHE_VERSION` (bumped whenever the training code changes
what a baseline is). The key is a SHA-256 of those values as JSON. A field added since
(:data:`~tlcore.adapt.config.ADDED_FIELDS`) joins the key only when set, so the baselines a workspace
cached before it keep their keys.

:class:`BaselineCache` keeps entries in memory and, given a folder (the pipeline uses the
workspace's, :meth:`BaselineCache.of_workspace`), also as checkpoints ``<key>.pt`` (their names
:data:`tlcore.cache_files.BASELINES`') written with :func:`tlcore.workspace.atomic_write` and
:func:`tlcore.checkpoints.save_checkpoint`; read back with
``weights_only=True``. Only baselines that trained to the end (status ``done`` or ``stopped_early``)
are stored. A checkpoint file made by another cache (a Ray node's) joins with :meth:`adopt`.

The key leaves out the torch thread count, which splits torch's sums and so moves a seed's numbers:
an entry keeps the count it trained on (``threads``), and a run reuses it only at that count
(:meth:`~tlcore.adapt.stages.RunStages.baseline`; an entry cached before counts were kept, at any).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tlcore.adapt.config import ADDED_FIELDS, METHOD_ONLY_FIELDS, AdaptConfig
from tlcore.cache_files import BASELINES, kept_files
from tlcore.checkpoints import checkpoint_config, load_checkpoint, save_checkpoint
from tlcore.errors import TLError
from tlcore.models import Classifier
from tlcore.workspace import atomic_write

if TYPE_CHECKING:
    from tlcore.workspace import Workspace

# 2: auto builds lenet_bn for images (was lenet); 3: vector models standardise inputs; 4: auto builds
# efficientnet_lite0 at 96 px for photo-sized images (was lenet_bn)
CACHE_VERSION = 4
# Why a run's baseline is not found: the key holds its config, device type and CACHE_VERSION.
NOT_CACHED = (
    "not in the baseline cache of this tlstudio version (trained by an older version or on another "
    "device type, or the cache was cleared)"
)


def baseline_key(cfg: AdaptConfig, device_type: str) -> str:
    """SHA-256 (hex) of the config fields that define the source-only baseline."""
    values = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name not in METHOD_ONLY_FIELDS}
    values = {k: v for k, v in values.items() if not (k in ADDED_FIELDS and v is None)}
    values |= {"device": device_type, "version": CACHE_VERSION}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class CachedBaseline:
    """A trained baseline, its history and how training ended; ``before`` is its evaluation
    (:meth:`tlcore.adapt.evaluate.ModelEvaluation.to_cache`: description, validator scores, target
    probabilities as a tensor, and the ``settings`` it was made with) once a run has computed it;
    ``threads`` the torch threads it trained on (None: cached before they were kept)."""

    model: Classifier
    history: list[dict[str, Any]]
    status: str
    reason: str
    before: dict[str, Any] | None = None
    threads: int | None = None


class BaselineCache:
    """Trained baselines by :func:`baseline_key`: in memory, and on disk under ``folder`` if given."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        self._memory: dict[str, CachedBaseline] = {}

    @classmethod
    def of_workspace(cls, workspace: Workspace) -> BaselineCache:
        """The workspace's cache, ``<workspace>/cache/baselines`` (the folder is made by the first put)."""
        return cls(workspace.inside(*BASELINES.parts))

    def get(self, key: str) -> CachedBaseline | None:
        """A copy of the cached baseline (free to modify), or None."""
        entry = self._memory.get(key)
        path = self._path(key)
        if entry is None and path is not None and path.is_file():
            try:
                model, meta = load_checkpoint(path)
                history, status, reason = meta["history"], meta["status"], meta["reason"]
                before, threads = meta.get("before"), meta.get("threads")
                entry = CachedBaseline(model, history, status, reason, before, threads)
            except (TLError, KeyError):
                return None  # unreadable, removed since is_file (a clear) or from another version: retrain
            self._memory[key] = entry
        return None if entry is None else copy.deepcopy(entry)

    def put(self, key: str, entry: CachedBaseline) -> None:
        """Store a copy of ``entry``; ignored unless its training ended normally."""
        if entry.status not in ("done", "stopped_early"):
            return
        entry = copy.deepcopy(entry)
        entry.model.cpu()
        self._memory[key] = entry
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "history": entry.history,
            "status": entry.status,
            "reason": entry.reason,
            "before": entry.before,
            "threads": entry.threads,
        }
        atomic_write(
            self.folder / BASELINES.file_name(key), lambda temp: save_checkpoint(temp, entry.model, meta)
        )

    def stored_evaluation(self, key: str) -> dict[str, Any] | None:
        """The ``before`` (evaluation) of the baseline ``key`` on disk, read without building its model;
        None when there is none (or it is unreadable)."""
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            return checkpoint_config(path).get("before")
        except TLError:
            return None

    def checkpoints(self) -> set[str]:
        """The file names of the baselines on disk (``<key>.pt``)."""
        return set() if self.folder is None else {p.name for p in kept_files(self.folder, BASELINES.suffix)}

    def stored(self, key: str) -> bool:
        """Whether the baseline ``key`` is on disk (no model built)."""
        path = self._path(key)
        return path is not None and path.is_file()

    def _path(self, key: str) -> Path | None:
        """The checkpoint file of ``key`` (:meth:`.KeptFolder.file_name`); None without a folder."""
        return None if self.folder is None else self.folder / BASELINES.file_name(key)

    def adopt(self, name: str, data: bytes) -> None:
        """Store the checkpoint file ``name`` (``<key>.pt``) that another cache wrote, unless this
        cache has one of that name; a :class:`TLError` for a name that is not a key's."""
        if self.folder is None:
            return
        if not re.fullmatch(r"[0-9a-f]{64}" + re.escape(BASELINES.suffix), name):
            raise TLError(f"not a baseline checkpoint name: {name!r}")
        if not (self.folder / name).is_file():
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.folder / name, partial(Path.write_bytes, data=data))
