"""A small stored pair for the diagnosis cache's tests: two uploads of three Gaussian classes in 5-D,
the target's first column moved."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from tlcore.data import harmonise, load_domain, save_upload
from tlcore.data.domain import Domain
from tlcore.workspace import Workspace


def _npz(X: np.ndarray, y: np.ndarray) -> bytes:
    """``X`` (float32) and ``y`` (int64) as the bytes of an ``.npz`` upload."""
    buffer = io.BytesIO()
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64))
    return buffer.getvalue()


def gaussians(shift: float, seed: int) -> bytes:
    """Three classes in 5-D, 150 samples, the target's first column moved by ``shift``."""
    rng = np.random.default_rng(seed)
    y = np.arange(150) % 3
    X = 3.0 * np.eye(3, 5)[y] + rng.normal(size=(150, 5))
    X[:, 0] += shift
    return _npz(X, y)


def pair_workspace(folder: Path) -> Workspace:
    """A workspace at ``folder`` holding ``upload:src.npz`` and ``upload:tgt.npz`` (shifted by 1)."""
    workspace = Workspace.resolve(folder)
    save_upload(workspace, "src.npz", gaussians(0.0, 1))
    save_upload(workspace, "tgt.npz", gaussians(1.0, 2))
    return workspace


def load_pair(workspace: Workspace, seed: int = 0) -> tuple[Domain, Domain]:
    """The stored pair, loaded with ``seed`` and harmonised."""
    return harmonise(*(load_domain(f"upload:{n}", workspace, seed=seed) for n in ("src.npz", "tgt.npz")))
