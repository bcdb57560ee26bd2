"""The workspace's cache files, without torch: each entry's version header, the code version, and a
folder bounded in size (``python -m tlcore cache`` reads and clears them without loading the engine).
:data:`CACHE_FOLDERS` names every folder kept this way (``cache/diagnoses``, ``cache/estimates``,
``cache/near-copies``) and what it holds; :data:`KEPT_FOLDERS` the rest of ``cache/`` (trained
baselines, upload summaries), which no prune touches, nor a clear unless asked by name (the baselines:
``cache --clear --baselines``, :func:`clear_kept`).

An entry is ``<key>.pkl``: one line ``tlcore-diagnosis <code version>`` and the pickled result. Its
modification time is when it was last used (written or read). :func:`prune`, called after every
write, removes the entries of another code version once unused for :data:`OTHER_CODE_KEEP_SECONDS`
(this code never reads them — a key holds the version — but another tlstudio version sharing the
workspace does: removing them at once would make two versions evict each other's entries on every
write), then the least recently used of every version until the folder holds at most the cap
(``TLSTUDIO_MAX_CACHE_BYTES``, :class:`tlcore.limits.Limits`). Writers go through
:func:`tlcore.workspace.atomic_write`, so a reader or another process's prune sees a whole entry or
none; a file that vanishes meanwhile (another process pruned it) is skipped.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import tlcore
from tlcore.limits import Limits
from tlcore.workspace import atomic_write

HEADER = b"tlcore-diagnosis "  # then the code version and a newline, then the pickle
SUFFIX = ".pkl"
CLEARED = ".cleared"  # <folder>.cleared, beside it, touched by clear(): its time reaches a server's memory
STALE_TEMP_SECONDS = 3600  # a temporary file (tlcore.workspace.atomic_write) this old: its writer was killed
OTHER_CODE_KEEP_DAYS = 7  # an entry of other code unused this long goes at the next prune
OTHER_CODE_KEEP_SECONDS = OTHER_CODE_KEEP_DAYS * 24 * 3600


@dataclass(frozen=True)
class CacheFolder:
    """One folder of :mod:`tlcore.cache_files` entries: ``<workspace>/cache/<name>`` and what it holds."""

    name: str
    holds: str

    @property
    def parts(self) -> tuple[str, str]:
        """Its path inside the workspace (:meth:`tlcore.workspace.Workspace.inside`)."""
        return ("cache", self.name)


DIAGNOSES = CacheFolder("diagnoses", "each diagnosis's findings, UMAP and explanation")
ESTIMATES = CacheFolder("estimates", "the run-time estimates' probes: timed training steps, a worker's start")
NEAR_COPIES = CacheFolder(
    "near-copies", "each pair's near-copy search: which target samples copy source ones"
)
CACHE_FOLDERS = (DIAGNOSES, ESTIMATES, NEAR_COPIES)  # every folder of these entries, each pruned to the cap


@dataclass(frozen=True)
class KeptFolder(CacheFolder):
    """A folder of ``cache/`` whose files are not these entries and that ``cache`` lists but never
    prunes, nor clears unless asked by name (``why``): each file a ``<key><suffix>``."""

    suffix: str
    why: str

    def file_name(self, key: str) -> str:
        """The file of the entry ``key``: ``<key><suffix>``."""
        return f"{key}{self.suffix}"


BASELINES = KeptFolder(
    "baselines",
    "each run configuration's trained source-only baseline (a checkpoint), which its runs start from",
    ".pt",
    "kept: diagnose --features baseline:ID and the label-shift estimates read a run's baseline, and only "
    "a run of its configuration trains it again; --clear --baselines removes them (no run or sweep live)",
)
UPLOAD_SUMMARIES = KeptFolder(
    "uploads",
    "each upload's summary: its samples and shape as read on upload, and the spec it was read as",
    ".json",
    "kept: the only record of the spec each upload was read as (label=, missing=, text=)",
)
KEPT_FOLDERS = (BASELINES, UPLOAD_SUMMARIES)  # the rest of cache/: listed, never pruned nor cleared unasked


@functools.cache
def code_version() -> str:
    """SHA-256 of every source file of ``tlcore`` and the versions of the libraries its numbers come
    from: an entry computed by other code (an upgrade, a local edit) is never reused."""
    digest = hashlib.sha256()
    for name in ("numpy", "torch", "scikit-learn", "umap-learn", "scipy"):
        digest.update(f"{name} {_version(name)};".encode())
    root = Path(tlcore.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()};".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def computed_at(seconds: float) -> str:
    """A time as ``2026-12-05 22:40 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def write_entry(path: Path, version: str, body: bytes) -> None:
    """Write ``body`` under ``version``'s header to ``path``, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = HEADER + version.encode() + b"\n" + body
    atomic_write(path, lambda temp: temp.write_bytes(data))


def read_entry(path: Path, version: str) -> bytes | None:
    """The body of ``path`` when it was written under ``version`` (its use time set to now), else None
    (absent, vanished, of other code or of no header)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, _, body = data.partition(b"\n")
    if head != HEADER + version.encode():
        return None
    with contextlib.suppress(OSError):  # pruned meanwhile by another process: the body read is whole
        os.utime(path)  # read: used now, the last a prune removes
    return body


def entry_version(path: Path) -> str | None:
    """The code version ``path`` was written under (its first line), None without a header."""
    with path.open("rb") as handle:
        head = handle.readline(len(HEADER) + 200)
    return head[len(HEADER) :].strip().decode("ascii", "replace") if head.startswith(HEADER) else None


@dataclass(frozen=True)
class Entry:
    """One cache file: its path, size in bytes, last use (seconds since the epoch), whether it was
    written by the running code (``current``) and whether it has a version header (``versioned``: an
    entry without one was written by a tlstudio no longer in use)."""

    path: Path
    size: int
    used: float
    current: bool
    versioned: bool = True

    def expired(self, now: float) -> bool:
        """Of other code and unused for :data:`OTHER_CODE_KEEP_SECONDS` (or headerless) at ``now``."""
        return not self.current and (not self.versioned or self.used < now - OTHER_CODE_KEEP_SECONDS)


def entries(folder: Path, version: str) -> list[Entry]:
    """The entries of ``folder``, most recently used first; a file that vanishes while listed is left out."""
    found: list[Entry] = []
    for path in folder.glob(f"*{SUFFIX}") if folder.is_dir() else ():
        try:
            stat = path.stat()
            written_by = entry_version(path)
        except OSError:
            continue
        found.append(Entry(path, stat.st_size, stat.st_mtime, written_by == version, written_by is not None))
    return sorted(found, key=lambda e: (-e.used, e.path.name))


def kept_files(folder: Path, suffix: str) -> list[Path]:
    """The ``*<suffix>`` files of ``folder`` (a :class:`KeptFolder`'s), sorted; none without it."""
    return sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []


def clear_kept(folder: Path, suffix: str) -> tuple[int, int]:
    """Remove the :func:`kept_files` of ``folder`` (a :class:`KeptFolder` cleared on request): how many
    and their bytes (a file removed meanwhile by another process is not counted)."""
    removed, size = 0, 0
    for path in kept_files(folder, suffix):
        with contextlib.suppress(OSError):  # removed meanwhile
            size += path.stat().st_size
            path.unlink()
            removed += 1
    return removed, size


def cap_bytes() -> int:
    """The most bytes each cache folder keeps (``TLSTUDIO_MAX_CACHE_BYTES``)."""
    return Limits.from_env("max_cache_bytes").max_cache_bytes


def prune(folder: Path, version: str, cap: int | None = None) -> list[Entry]:
    """Remove the entries of other code versions unused for :data:`OTHER_CODE_KEEP_SECONDS`
    (:meth:`Entry.expired`), then the least recently used of any version until the rest hold at most
    ``cap`` bytes (default :func:`cap_bytes`), and the temporary files of writers killed over
    :data:`STALE_TEMP_SECONDS` ago; the entries removed."""
    cap = cap_bytes() if cap is None else cap
    for temp in folder.glob(f".*{SUFFIX}.*.tmp") if folder.is_dir() else ():
        with contextlib.suppress(OSError):  # renamed or removed by its writer meanwhile
            if temp.stat().st_mtime < time.time() - STALE_TEMP_SECONDS:
                temp.unlink()
    removed, total, now = [], 0, time.time()
    for entry in entries(folder, version):
        total += 0 if entry.expired(now) else entry.size
        if entry.expired(now) or total > cap:
            entry.path.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def clear(folder: Path, version: str) -> list[Entry]:
    """Remove every entry of ``folder`` and mark when (:func:`cleared_at`); the entries removed."""
    removed = prune(folder, version, cap=-1)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _cleared_mark(folder).touch()
    return removed


def cleared_at(folder: Path) -> int:
    """When ``folder`` was last cleared (:func:`clear`), in nanoseconds since the epoch (0: never): a
    server keys the results it holds in memory on it, so another process's clear reaches it (one stat)."""
    try:
        return _cleared_mark(folder).stat().st_mtime_ns
    except OSError:
        return 0


def _cleared_mark(folder: Path) -> Path:
    """``<folder>.cleared``: beside the folder, which holds entries only."""
    return folder.with_name(folder.name + CLEARED)
