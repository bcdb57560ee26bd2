"""``.npz`` files as a :class:`Domain`.

An array ``X`` (``N x D`` features, ``N x H x W`` or ``N x C x H x W`` / ``N x H x W x C``
images with 1 or 3 channels, brought to [0, 1]: uint8 is scaled from 0..255, as are other integers
above 1 and floats above 2 (up to 255); floats within 0.5 of [0, 1], a resampling overshoot, are
clamped; any other range is refused), optional ``y`` (integer or string labels, or one-hot rows read
by their argmax) and optional ``classes`` (distinct names for integer ``y``), stored as ``X.npy``,
``y.npy``, ``classes.npy`` (what :func:`numpy.savez` writes). The archive passes the zip checks of
:mod:`.archive`; each array's header is checked against the bytes its member holds before any memory
is allocated, and arrays load with ``allow_pickle=False``, always (object arrays are refused). Labels
as :mod:`.values` reads them; sample ids are the array's rows (0-based), and a refused value or label
is named as numpy indexes it (``X[17, 3]``, ``y[5]``), never by a row counted from 1.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import torch

from tlcore.data.archive import READ_ERRORS, open_zip
from tlcore.data.domain import Domain
from tlcore.data.values import array_domain, check_tensor, class_labels, float32_values
from tlcore.errors import TLError
from tlcore.limits import Limits, format_bytes

NPZ_KEYS = ("X", "y", "classes")
# Resampling a [0, 1] image (bicubic, Lanczos) overshoots at hard edges, by up to ~0.25 in PIL: values
# this far outside are clamped. A standardised image (mean 0, std 1) cannot fit in [-0.5, 1.5].
OVERSHOOT = 0.5
FLOAT_255_ABOVE = 2.0  # a float image brighter than this holds 0..255 pixels; up to it, neither: refused


def read_npz(path: Path, limits: Limits, label: str) -> Domain:
    """Load an ``.npz`` archive holding ``X`` and optionally ``y`` and ``classes``."""
    with open_zip(path, label, limits, kind=".npz file") as archive:
        members = {info.filename: info for info in archive.infolist()}
        if "X.npy" not in members:
            found = ", ".join(name.removesuffix(".npy") for name in members) or "none"
            raise TLError(f"{label} is missing the array X (found: {found})")
        arrays = {
            key: _read_npy(archive, members[f"{key}.npy"], label, limits)
            for key in NPZ_KEYS
            if f"{key}.npy" in members
        }
    X, note = _samples(arrays["X"], label)
    y, classes = None, ()
    if "y" in arrays:
        y, classes = class_labels(_label_vector(arrays["y"], label), arrays.get("classes"), label, "y")
    return array_domain(label, X, y, classes, f"{label}: arrays X{tuple(arrays['X'].shape)}{note}")


def npz_labelled(path: Path, limits: Limits, label: str) -> bool:
    """Whether :func:`read_npz` reads ``path`` with labels: whether it holds ``y`` (no array is read)."""
    with open_zip(path, label, limits, kind=".npz file") as archive:
        return "y.npy" in archive.namelist()


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limits: Limits) -> np.ndarray:
    """One ``.npy`` member; its header must be plain data that fits in the member, checked first."""
    name = info.filename.removesuffix(".npy")
    try:
        with archive.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0
            if version != (1, 0):
                read_header = np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(fh)
        if dtype.hasobject:
            raise TLError(f"{label}: {name} holds object arrays, refused (loading them would run pickle)")
        claimed = math.prod(shape) * dtype.itemsize
        if claimed > info.file_size:
            raise TLError(
                f"{label}: {name} claims shape {shape} ({format_bytes(claimed)}) but holds only "
                f"{format_bytes(info.file_size)} (a forged header?)"
            )
        check_tensor(math.prod(shape[:1]), math.prod(shape[1:]), label, limits)
        with archive.open(info) as fh:
            return np.lib.format.read_array(fh, allow_pickle=False)
    except (*READ_ERRORS, ValueError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise TLError(f"{label}: {name} is not a readable array ({reason})") from None


def _samples(X: np.ndarray, label: str) -> tuple[torch.Tensor, str]:
    """Features ``N x D`` as they are, images as ``N x C x H x W`` in [0, 1]; plus a provenance note."""
    if X.dtype.kind not in "biuf":
        raise TLError(f"{label}: X must be numeric, got dtype {X.dtype}")
    if X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4 and X.shape[1] not in (1, 3) and X.shape[-1] in (1, 3):
        X = X.transpose(0, 3, 1, 2)  # N x H x W x C
    if X.ndim not in (2, 4) or (X.ndim == 4 and X.shape[1] not in (1, 3)):
        raise TLError(
            f"{label}: X of shape {X.shape} is neither N x D features nor images with 1 or 3 channels"
        )
    if X.size == 0:
        raise TLError(f"{label}: X of shape {X.shape} has no samples or no features")
    values = np.ascontiguousarray(float32_values(X, label, array="X"))
    if X.ndim == 2:
        return torch.from_numpy(values), ""
    low, high = float(values.min()), float(values.max())
    scale = _pixel_scale(X.dtype, low, high)
    if scale is None:
        raise TLError(
            f"{label}: image values from {low:.3g} to {high:.3g} are neither in [0, 1] nor in 0..255"
        )
    pixels = values / scale
    np.clip(pixels, 0.0, 1.0, out=pixels)
    note = ", scaled from 0..255" if scale == 255 else ""
    return torch.from_numpy(pixels), note + (", clamped to [0, 1]" if low < 0 or high > scale else "")


def _pixel_scale(dtype: np.dtype, low: float, high: float) -> float | None:
    """255 for pixels in 0..255, 1 for pixels in [0, 1] (floats within ``OVERSHOOT``), None if neither."""
    if dtype.kind == "f":
        if -OVERSHOOT <= low <= high <= 1 + OVERSHOOT:
            return 1.0
        return 255.0 if low >= 0 and FLOAT_255_ABOVE < high <= 255 else None
    if dtype != np.uint8 and low >= 0 and high <= 1:
        return 1.0
    return 255.0 if low >= 0 and high <= 255 else None


def _label_vector(y: np.ndarray, label: str) -> np.ndarray:
    """One label per sample from an npz ``y``: a column ``N x 1`` flattened, one-hot rows by their argmax."""
    if y.ndim == 2 and y.shape[1] > 1 and _is_one_hot(y):
        return y.argmax(axis=1)
    if math.prod(y.shape[1:]) != 1:
        raise TLError(f"{label}: y of shape {y.shape} must hold one class label per sample (or one-hot rows)")
    return y.reshape(-1)


def _is_one_hot(y: np.ndarray) -> bool:
    """Rows of zeros with a single one."""
    return y.dtype.kind in "biuf" and bool(((y == 0) | (y == 1)).all() and (y.sum(axis=1) == 1).all())
