"""Cache of trained source-only baselines, so runs that differ only in the method train it once.

A baseline is determined by every field of :class:`~tlcore.adapt.config.AdaptConfig` except the
method-only ones in :data:`~tlcore.adapt.config.METHOD_ONLY_FIELDS` (so a new config field changes
the key unless it is declared method-only; the target is in: harmonising the pair can change the
source, e.g. grayscale repeated to RGB), by the device *type* (not ``cfg.device``: ``cuda:0`` and
``cuda:1`` share a baseline), by :data:`CACHE_VERSION` (bumped whenever the training code changes
what a baseline is), those as a SHA-256 of their JSON, and by the torch thread count it trains on,
which splits torch's sums and so moves a seed's numbers (:class:`BaselineKey`: runs on 1 and on 2
threads in one workspace each keep and reuse their own). A field added since
(:data:`~tlcore.adapt.config.ADDED_FIELDS`) joins the key only when set, so the baselines a workspace
cached before it keep their keys.

:class:`BaselineCache` keeps entries in memory and, given a folder (the pipeline uses the
workspace's, :meth:`BaselineCache.of_workspace`), also as checkpoints ``<name>.pt``
(:attr:`BaselineKey.name`; their names :data:`tlcore.cache_files.BASELINES`') written with
:func:`tlcore.workspace.atomic_write` and :func:`tlcore.checkpoints.save_checkpoint`; read back with
``weights_only=True``. Only baselines that trained to the end (status ``done`` or ``stopped_early``)
are stored. A checkpoint file made by another cache (a Ray node's) joins with :meth:`adopt`.

A baseline cached before counts were kept (``<digest>.pt``) stays usable where it was: a look-up at
a count with no entry of its own reads it, as any count did then (:meth:`BaselineCache.get`), unless
it records another count (the interim code that first kept the count named its file by the digest).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass, fields, replace
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
# Why a run's baseline is not found: the key holds its config, device type, CACHE_VERSION and threads.
NOT_CACHED = (
    "not in the baseline cache of this tlstudio version (trained by an older version, on another "
    "device type or torch thread count, or the cache was cleared)"
)


@dataclass(frozen=True)
class BaselineKey:
    """What identifies a cached baseline: ``digest``, the SHA-256 (hex) of its config fields, device
    type and :data:`CACHE_VERSION`, and ``threads``, the torch threads it trains on (None: a baseline
    cached before counts were kept, or a look-up of a run that records none)."""

    digest: str
    threads: int | None

    @property
    def name(self) -> str:
        """Its checkpoint's stem: ``<digest>-t<threads>``; ``<digest>`` without a count (as before)."""
        return self.digest if self.threads is None else f"{self.digest}-t{self.threads}"

    def at(self, threads: int | None) -> BaselineKey:
        """The key of the same baseline trained on ``threads`` (None: cached before counts were kept)."""
        return replace(self, threads=threads)


def baseline_key(cfg: AdaptConfig, device_type: str, threads: int | None) -> BaselineKey:
    """The key of the source-only baseline of ``cfg`` trained on ``threads`` torch threads."""
    values = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name not in METHOD_ONLY_FIELDS}
    values = {k: v for k, v in values.items() if not (k in ADDED_FIELDS and v is None)}
    values |= {"device": device_type, "version": CACHE_VERSION}
    return BaselineKey(hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest(), threads)


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
    """Trained baselines by :class:`BaselineKey`: in memory, and on disk under ``folder`` if given."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        self._memory: dict[str, CachedBaseline] = {}

    @classmethod
    def of_workspace(cls, workspace: Workspace) -> BaselineCache:
        """The workspace's cache, ``<workspace>/cache/baselines`` (the folder is made by the first put)."""
        return cls(workspace.inside(*BASELINES.parts))

    def get(self, key: BaselineKey) -> CachedBaseline | None:
        """A copy of the cached baseline of ``key`` (free to modify), or None: its count's, else the one
        cached before counts were kept (:meth:`_names`)."""
        for name in self._names(key):
            entry = self._memory.get(name)
            path = self._path(name)
            if entry is None and path is not None and path.is_file():
                try:
                    model, meta = load_checkpoint(path)
                    history, status, reason = meta["history"], meta["status"], meta["reason"]
                    before, threads = meta.get("before"), meta.get("threads")
                    entry = CachedBaseline(model, history, status, reason, before, threads)
                except (TLError, KeyError):
                    continue  # unreadable, removed since is_file (a clear) or from another version: retrain
                self._memory[name] = entry
            if entry is not None and _fits(entry.threads, key):
                return copy.deepcopy(entry)
        return None

    def put(self, key: BaselineKey, entry: CachedBaseline) -> None:
        """Store a copy of ``entry`` under ``key`` at the count it trained on (``entry.threads``; one
        cached before counts were kept stays where it is); ignored unless its training ended normally."""
        if entry.status not in ("done", "stopped_early"):
            return
        entry = copy.deepcopy(entry)
        entry.model.cpu()
        name = key.at(entry.threads).name
        self._memory[name] = entry
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
            self.folder / BASELINES.file_name(name), lambda temp: save_checkpoint(temp, entry.model, meta)
        )

    def stored(self, key: BaselineKey) -> dict[str, Any] | None:
        """What the checkpoint :meth:`get` would read for ``key`` keeps besides the model (``history``,
        ``status``, ``before``: its evaluation, ``threads``), read without building the model; None when
        there is none (or it is unreadable)."""
        for name in self._names(key):
            path = self._path(name)
            if path is None or not path.is_file():
                continue
            try:
                meta = checkpoint_config(path)
            except TLError:
                continue
            if _fits(meta.get("threads"), key):
                return meta
        return None

    def checkpoints(self) -> set[str]:
        """The file names of the baselines on disk (``<name>.pt``)."""
        return set() if self.folder is None else {p.name for p in kept_files(self.folder, BASELINES.suffix)}

    @staticmethod
    def _names(key: BaselineKey) -> tuple[str, ...]:
        """The entries that may hold ``key``'s baseline, in the order looked up: its count's, then the
        one cached before counts were kept (``<digest>``), which served every count then."""
        return (key.name,) if key.threads is None else (key.name, key.digest)

    def _path(self, name: str) -> Path | None:
        """The checkpoint file of the entry ``name`` (:meth:`.KeptFolder.file_name`); None without one."""
        return None if self.folder is None else self.folder / BASELINES.file_name(name)

    def adopt(self, name: str, data: bytes) -> None:
        """Store the checkpoint file ``name`` (``<key name>.pt``) that another cache wrote, unless this
        cache has one of that name; a :class:`TLError` for a name that is not a key's."""
        if self.folder is None:
            return
        if not re.fullmatch(r"[0-9a-f]{64}(-t[0-9]+)?" + re.escape(BASELINES.suffix), name):
            raise TLError(f"not a baseline checkpoint name: {name!r}")
        if not (self.folder / name).is_file():
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.folder / name, partial(Path.write_bytes, data=data))


def _fits(threads: int | None, key: BaselineKey) -> bool:
    """Whether an entry trained on ``threads`` (None: not kept) serves ``key``: at its count, or of no
    count; any entry for a key of no count (a run that records none), as before counts were kept."""
    return key.threads is None or threads in (None, key.threads)
