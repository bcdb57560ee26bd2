"""A PNG whose EXIF chunk (``eXIf``) follows its image data: turned upright as
``PIL.ImageOps.exif_transpose`` turns it (Pillow writes ``eXIf`` first, so the file is built by hand)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from data_formats import png_bytes, write_zip
from PIL import Image, ImageOps, PngImagePlugin

from tlcore.data.png_exif import late_exif
from tlcore.data.uploads import read_path

STORED = np.array([[0, 40, 80], [120, 160, 200]], dtype=np.uint8)  # 2 rows x 3 columns, as stored


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _orientation_exif(orientation: int) -> bytes:
    """A little-endian TIFF header and one IFD holding only the Orientation tag (0x0112, SHORT)."""
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + struct.pack("<I", 0)


def _late_exif_png(pixels: np.ndarray, orientation: int) -> bytes:
    """An 8-bit grayscale PNG of ``pixels`` with its eXIf chunk after IDAT."""
    height, width = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + row.tobytes() for row in pixels)  # filter type 0 on every row
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows)),
            _chunk(b"eXIf", _orientation_exif(orientation)),
            _chunk(b"IEND", b""),
        ]
    )


def test_a_late_exif_orientation_turns_the_png_as_exif_transpose_does(tmp_path: Path) -> None:
    data = _late_exif_png(STORED, 6)
    with Image.open(io.BytesIO(data)) as img:
        assert "exif" not in img.info  # Pillow finds it only once the pixels are decoded
        reference = np.asarray(ImageOps.exif_transpose(img), dtype=np.float32) / 255
    assert reference.shape == (3, 2)  # orientation 6: stored turned left, shown turned right
    domain = read_path(write_zip(tmp_path / "scans.zip", {"late.png": data}))
    assert domain.shape == (1, 3, 2)
    torch.testing.assert_close(domain.X[0, 0], torch.from_numpy(reference), atol=0, rtol=0)
    assert (domain.X[0, 0] * 255).round().tolist() == [[120, 0], [160, 40], [200, 80]]  # turned right


def test_late_exif_finds_only_the_chunk_after_the_image_data() -> None:
    late = _late_exif_png(STORED, 6)
    assert late_exif(late) == b"Exif\x00\x00" + _orientation_exif(6)
    assert late_exif(png_bytes(STORED)) is None  # none at all
    assert late_exif(late[: late.index(b"eXIf") + 10]) is None  # truncated inside the chunk
    assert late_exif(b"not a png") is None


XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
)


def _text_png(pixels: np.ndarray, how: str) -> bytes:
    """A PNG (Pillow's) whose orientation 6 is in a text chunk: ImageMagick's "Raw profile type exif"
    (hex), or XMP's ``tiff:Orientation``."""
    info = PngImagePlugin.PngInfo()
    if how == "raw profile":
        exif = _orientation_exif(6)
        info.add_text("Raw profile type exif", f"\nexif\n{len(exif):8}\n{exif.hex()}\n")
    else:
        info.add_itxt("XML:com.adobe.xmp", XMP)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize("how", ["raw profile", "xmp"])
def test_a_png_orientation_in_text_turns_it_as_exif_transpose_does(tmp_path: Path, how: str) -> None:
    data = _text_png(STORED, how)
    with Image.open(io.BytesIO(data)) as img:
        reference = np.asarray(ImageOps.exif_transpose(img), dtype=np.float32) / 255
    domain = read_path(write_zip(tmp_path / "scans.zip", {"text.png": data}))
    assert domain.shape == (1, *reference.shape) == (1, 3, 2)
    torch.testing.assert_close(domain.X[0, 0], torch.from_numpy(reference), atol=0, rtol=0)
