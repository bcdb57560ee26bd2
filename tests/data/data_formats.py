"""Writers for tiny files in the real on-disk formats the data layer reads (test helpers)."""

from __future__ import annotations

import bz2
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX (SN3 Pascal Vincent) file of uint8 data, as MNIST ships it un-gzipped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">I", 0x0800 | array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_mnist_like(root: Path, cls_name: str, n_train: int = 6, n_test: int = 4, seed: int = 0) -> dict:
    """The four raw IDX files torchvision's MNIST-style classes check for; returns the arrays."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(root / cls_name / "raw" / f"{part}-images-idx3-ubyte", images)
        write_idx(root / cls_name / "raw" / f"{part}-labels-idx1-ubyte", labels)
        arrays[part] = (images, labels)
    return arrays


def write_usps(root: Path, filename: str, values: np.ndarray, labels: list[int]) -> None:
    """USPS in LIBSVM format, bz2-compressed: ``label 1:v1 2:v2 ... 256:v256`` with labels 1..10."""
    lines = [
        f"{label} " + " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(row))
        for label, row in zip(labels, values.reshape(len(labels), 256), strict=True)
    ]
    root.mkdir(parents=True, exist_ok=True)
    (root / filename).write_bytes(bz2.compress(("\n".join(lines) + "\n").encode()))


def png_bytes(array: np.ndarray) -> bytes:
    """A PNG of ``array`` (uint8 gray/RGB/RGBA, or uint16 for 16-bit grayscale)."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(array: np.ndarray, quality: int) -> bytes:
    """A JPEG of ``array`` (uint8 gray/RGB) at ``quality``."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def resized_png(array: np.ndarray, side: int) -> bytes:
    """A PNG of grey ``array`` resized (bilinear) to ``side`` x ``side`` px."""
    return png_bytes(np.asarray(Image.fromarray(array).resize((side, side), Image.BILINEAR)))


def copied_digit_zips(folder: Path, digits: np.ndarray, labels: list[int]) -> tuple[Path, Path, list[str]]:
    """Class-folder zips in ``folder``: ``field.zip``, PNGs of ``digits[:30]`` (uint8, H x W each), and
    ``again.zip``: 10 of them as they are, 10 resized to 32 px and ``digits[100:110]``, which the source
    lacks (their member names returned after the two paths)."""
    source = {f"{labels[i]}/s{i:03d}.png": png_bytes(digits[i]) for i in range(30)}
    exact = {f"{labels[i]}/t{i:03d}.png": png_bytes(digits[i]) for i in range(10)}
    near = {f"{labels[i]}/t{i:03d}.png": resized_png(digits[i], 32) for i in range(10, 20)}
    others = {f"{labels[i]}/t{i:03d}.png": png_bytes(digits[i]) for i in range(100, 110)}
    return (
        write_zip(folder / "field.zip", source),
        write_zip(folder / "again.zip", exact | near | others),
        list(others),
    )


def write_zip(path: Path, members: dict[str, bytes], name_encoding: str | None = None) -> Path:
    """``members`` in a zip archive; with ``name_encoding`` the names are stored in it and the zip's
    UTF-8 flag is left unset (macOS Archive Utility: UTF-8; old Windows tools: cp437)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name if name_encoding is None else _UnflaggedName(name, name_encoding), data)
    return path


class _UnflaggedName(zipfile.ZipInfo):
    """A member whose name is written in ``encoding`` without the UTF-8 flag zipfile would set."""

    def __init__(self, name: str, encoding: str) -> None:
        super().__init__(name)
        self.encoding = encoding

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 (zipfile's name)
        return self.filename.encode(self.encoding), self.flag_bits & ~0x800


def digit_image(value: int, size: int = 28, rgb: bool = False) -> np.ndarray:
    """A recognisable uint8 test image: a bright square whose size encodes ``value``."""
    image = np.zeros((size, size), dtype=np.uint8)
    side = 4 + value
    image[4 : 4 + side, 4 : 4 + side] = 255
    return np.stack([image, image // 2, image // 3], axis=2) if rgb else image
