"""A run's target probabilities (``predictions.npz``) and the fingerprint of the samples they cover.

EnsV ensembles the probabilities of several runs sample by sample, so runs are comparable only
when their predictions cover the same target samples in the same order: the same harmonised target
domain, which a spec with ``n=`` (a seeded subsample) or a random shift only gives for the same
load seed. :class:`TargetFingerprint` records the number of samples and a SHA-256 of the samples
themselves; labels are never part of it.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tlcore.errors import TLError


@dataclass(frozen=True)
class TargetFingerprint:
    """``n_samples`` and the SHA-256 (hex) of the target samples' shape and float32 bytes."""

    n_samples: int
    sha256: str

    @classmethod
    def of(cls, X: np.ndarray) -> TargetFingerprint:
        data = np.ascontiguousarray(X, dtype=np.float32)
        digest = hashlib.sha256(repr(data.shape).encode())
        digest.update(memoryview(data).cast("B"))
        return cls(int(data.shape[0]), digest.hexdigest())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetFingerprint:
        return cls(int(data["n_samples"]), str(data["sha256"]))


@dataclass(frozen=True)
class TargetPredictions:
    """Softmax probabilities (``n x K`` float32) of the source-only model (``before``) and the
    adapted model (``after``) on the whole harmonised target domain, in its order."""

    before: np.ndarray
    after: np.ndarray

    def save(self, path: str | os.PathLike[str]) -> None:
        """``np.savez`` with arrays ``before`` and ``after`` (through a handle: no suffix is added)."""
        with Path(path).open("wb") as handle:
            np.savez(handle, before=self.before.astype(np.float32), after=self.after.astype(np.float32))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TargetPredictions:
        """Read what :meth:`save` wrote (``allow_pickle=False``); a TLError when it is not that."""
        try:
            with np.load(path, allow_pickle=False) as data:
                before, after = data["before"], data["after"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise TLError(f"cannot read predictions {path}: {exc}") from exc
        if before.ndim != 2 or before.shape != after.shape:
            raise TLError(f"predictions {path}: need two n x K arrays of one shape")
        return cls(before, after)
