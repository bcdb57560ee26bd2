"""The expensive half of finding a pair's copies by content: which target images are near copies of
which source images (:func:`~tlcore.data.near_copies.near_copies`), searched between the *whole*
harmonised source and target, so once per pair of contents rather than once per seed, test fraction,
trial and process.

The search reads the samples' content keys (:func:`tlcore.adapt.pair.content_keys`, as
:func:`tlcore.adapt.pair.near_keyed` gives them) and pixels only; the source's samples are searched
in the order of their keys, so any split of the source into training and validation samples finds
the same originals (a tie between two candidates goes the same way). Its result, each near copy's
target key and its original's source key, is memoised in the process (:data:`MEMO_ENTRIES` pairs:
the Ray trials of one worker, a sweep's in-process runs) and stored in the workspace's
``cache/near-copies`` (:data:`FOLDER`; :mod:`tlcore.cache_files`, as ``cache/estimates``: a version
header, written whole, JSON, the folder pruned after each write) for other processes (local trials,
``adapt --detach``; ``diagnose``, ``data drop-copies`` and the app's count of a pair's shared samples
search the same whole source and target). The key is :func:`search_key`: the code version and every
sample's content key, so an upload replaced under the same name, or other code, misses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch

from tlcore.cache_files import NEAR_COPIES, SUFFIX, code_version, prune, read_entry, write_entry
from tlcore.data.domain import Domain
from tlcore.data.near_copies import near_copies
from tlcore.workspace import Workspace

FOLDER = NEAR_COPIES.parts  # inside the workspace
MEMO_ENTRIES = 8  # pairs whose search a process keeps (the least recently used goes first)
_MEMO: OrderedDict[str, dict[str, str]] = OrderedDict()
_LOCK = threading.Lock()


def near_originals(sources: Sequence[Domain], whole: Domain, folder: Path | None = None) -> dict[str, str]:
    """The near copies among ``whole``'s images (the whole target, keyed) of images of ``sources``
    (the whole source, keyed, in one part or split in several): each such target key and the source
    key of its original. Only target content no source sample holds is searched, and only source
    content a key names (:func:`is_token`: a constant image, or one the source repeats, is no one's
    original). Memoised in the process and, with ``folder`` (a workspace's :data:`FOLDER`), stored there."""
    key = search_key(sources, whole)
    with _LOCK:  # the app's sessions share the process
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    found = _read(folder, key)
    if found is None:
        found = _search(sources, whole)
        _write(folder, key, found)
    with _LOCK:
        _MEMO[key] = found
        while len(_MEMO) > MEMO_ENTRIES:
            _MEMO.popitem(last=False)
    return found


def cache_folder(workspace: Workspace | None) -> Path | None:
    """Where ``workspace`` stores the searches (:data:`FOLDER`); None without a workspace."""
    return None if workspace is None else workspace.inside(*FOLDER)


def is_token(key: str) -> bool:
    """Whether ``key`` is a token (content that names no one sample, :func:`tlcore.adapt.pair._keyed`)
    rather than a content key."""
    return ":" in key


def search_key(sources: Sequence[Domain], whole: Domain) -> str:
    """SHA-256 (hex) of what the search reads: the code version, the samples' shape and dtype, the
    source's keys in key order (its split aside) and the target's in its order."""
    digest = hashlib.sha256(f"near-copies {code_version()};".encode())
    digest.update(f"{tuple(whole.X.shape[1:])} {whole.X.dtype};".encode())
    for keys in (sorted(i for part in sources for i in part.ids), whole.ids):
        digest.update(f"{len(keys)};".encode())
        digest.update(";".join(keys).encode())
    return digest.hexdigest()


def _search(sources: Sequence[Domain], whole: Domain) -> dict[str, str]:
    """:func:`near_originals`, searched: the source's images in the order of their keys."""
    ids = [i for part in sources for i in part.ids]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    source_ids = [ids[i] for i in order]
    exact = set(source_ids)
    searched = [j for j, key in enumerate(whole.ids) if key not in exact and not is_token(key)]
    images = torch.cat([part.X for part in sources])[torch.tensor(order, dtype=torch.long)]
    originals = near_copies(images, whole.X[searched]).tolist()
    return {
        whole.ids[j]: source_ids[m]
        for j, m in zip(searched, originals, strict=True)
        if m >= 0 and not is_token(source_ids[m])
    }


def _path(folder: Path, key: str) -> Path:
    return folder / f"{key}{SUFFIX}"


def _read(folder: Path | None, key: str) -> dict[str, str] | None:
    """The stored search of ``key`` in ``folder``, or None (none, of other code, or unreadable)."""
    body = None if folder is None else read_entry(_path(folder, key), code_version())
    if body is None:
        return None
    try:
        found = json.loads(body)
    except ValueError:  # a truncated or foreign file: search again
        return None
    if not isinstance(found, dict) or found.get("key") != key or not isinstance(found.get("near"), dict):
        return None
    return {str(target): str(source) for target, source in found["near"].items()}


def _write(folder: Path | None, key: str, found: dict[str, str]) -> None:
    """Store the search of ``key`` in ``folder`` (whole or not at all), then prune the folder."""
    if folder is None:
        return
    body = json.dumps({"key": key, "near": found}).encode()
    with contextlib.suppress(OSError):  # a workspace that cannot be written: the search is kept in memory
        write_entry(_path(folder, key), code_version(), body)
        prune(folder, code_version())
