"""A corpus of hostile and messy upload files, generated as bytes at test time (nothing binary is committed).

:data:`HOSTILE` maps a case id to a :class:`Hostile`: the bytes of a file every reader must refuse with
a :class:`~tlcore.errors.TLError` whose message contains ``keyword`` (``env`` lowers a limit so the
case stays cheap). :data:`MESSY` maps a case id to a :class:`Messy`: valid but awkward data that must
load with the expected counts. :func:`pickle_payload` builds a pickle that touches a file when loaded,
to show that no reader ever unpickles.
"""

from __future__ import annotations

import io
import pickle
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

CENTRAL_HEADER = b"PK\x01\x02"


@dataclass(frozen=True)
class Hostile:
    """A file that must be refused: name, a builder of its bytes, a message keyword, limit overrides."""

    filename: str
    build: Callable[[], bytes]
    keyword: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Messy:
    """A valid but awkward file and what loading it must give."""

    filename: str
    build: Callable[[], bytes]
    n_samples: int
    classes: tuple[str, ...]
    shape: tuple[int, ...]
    n_corrupt: int = 0


# --- building blocks ---------------------------------------------------------------------------


def square(value: int, size: int = 28) -> np.ndarray:
    """A uint8 grayscale image: a bright square whose side encodes ``value``."""
    image = np.zeros((size, size), dtype=np.uint8)
    image[2 : 2 + 4 + value, 2 : 2 + 4 + value] = 255
    return image


def encode(array: np.ndarray, fmt: str = "PNG", mode: str | None = None) -> bytes:
    """``array`` saved as ``fmt`` (optionally converted to PIL ``mode`` first)."""
    image = Image.fromarray(array)
    buffer = io.BytesIO()
    (image.convert(mode) if mode else image).save(buffer, format=fmt)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def npz_bytes(compressed: bool = False, **arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def npy_claiming(shape: tuple[int, ...]) -> bytes:
    """A ``.npy`` member whose header claims ``shape`` (float64) but holds 64 bytes of data."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buffer.getvalue() + bytes(64)


def with_png_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with its IHDR chunk claiming ``width x height`` (CRC recomputed): a pixel bomb."""
    ihdr = bytearray(png[12:29])  # chunk type + 13 data bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    return png[:12] + bytes(ihdr) + struct.pack(">I", zlib.crc32(bytes(ihdr))) + png[33:]


def patch_central(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """``data`` with one field of its first central-directory entry overwritten (a forged header)."""
    at = data.index(CENTRAL_HEADER) + offset
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt) :]


def zip64_bytes(members: dict[str, bytes]) -> bytes:
    """A zip whose end of central directory is in zip64 form (as archives over 65 535 entries are)."""
    with mock.patch.object(zipfile, "ZIP_FILECOUNT_LIMIT", 1):
        return zip_bytes(members, zipfile.ZIP_STORED)


def symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cats/1.png", encode(square(1)))
        info = zipfile.ZipInfo("cats/evil.png")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def flipped(data: bytes, start: int, count: int) -> bytes:
    """``data`` with ``count`` bytes from ``start`` inverted."""
    return data[:start] + bytes(b ^ 0xFF for b in data[start : start + count]) + data[start + count :]


def noise(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def pickle_payload(marker: Path) -> bytes:
    """A pickle that creates ``marker`` when it is loaded (and does nothing else)."""

    class Touch:
        def __reduce__(self) -> tuple:
            return Path.touch, (marker,)

    return pickle.dumps(Touch())


def parquet_bytes(table: pa.Table, **options: object) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    return buffer.getvalue()


def string_bomb_parquet(rows: int, label_bytes: int) -> bytes:
    """A tiny Parquet file whose dictionary-encoded label column decodes to ``rows x label_bytes``."""
    labels = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), pa.array(["x" * label_bytes]))
    table = pa.table({"f": pa.array(np.arange(rows, dtype=np.float32)), "label": labels})
    return parquet_bytes(table, compression="zstd", store_schema=False)  # no Arrow schema: dense strings


def wide_csv(columns: int) -> bytes:
    """A header and one row of ``columns`` numbers."""
    return (",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("1" * columns) + "\n").encode()


def _classes_zip() -> bytes:
    return zip_bytes({f"{c}/{i}.png": encode(square(i)) for c in ("a", "b") for i in range(2)})


def _noisy_png() -> bytes:
    """A PNG that does not compress away, so cutting it removes pixel data."""
    return encode(np.frombuffer(noise(28 * 28), np.uint8).reshape(28, 28))


def _jpeg() -> bytes:
    return encode(np.dstack([square(3)] * 3), "JPEG")


# --- the hostile corpus ------------------------------------------------------------------------

HOSTILE: dict[str, Hostile] = {
    # archives
    "empty-file": Hostile("empty.zip", lambda: b"", "not a valid zip archive"),
    "empty-zip": Hostile("nothing.zip", lambda: zip_bytes({}), "contains no images"),
    "truncated-zip": Hostile("cut.zip", lambda: _classes_zip()[:300], "truncated"),
    "not-an-archive": Hostile("random.zip", lambda: noise(4096), "not a valid zip archive"),
    "no-images": Hostile("docs.zip", lambda: zip_bytes({"README.txt": b"hi", "a.csv": b"1,2"}), "no images"),
    "only-corrupt-images": Hostile(
        "broken.zip",
        lambda: zip_bytes(
            {"a/1.png": b"not a png", "b/2.png": encode(square(1))[:60], "b/3.jpg": _jpeg()[:300]}
        ),
        "corrupt or truncated",
    ),
    "corrupt-member": Hostile(
        "bitrot.zip", lambda: flipped(zip_bytes({"a/1.png": noise(4000)}), 60, 200), "corrupt or truncated"
    ),
    "lying-size-header": Hostile(
        "forged.zip",
        lambda: patch_central(zip_bytes({"a/1.png": encode(square(1))}), 24, "<I", 10),
        "corrupt",
    ),
    "encrypted-member": Hostile(
        "locked.zip",
        lambda: patch_central(zip_bytes({"a/1.png": encode(square(1))}), 8, "<H", 1),
        "encrypted",
    ),
    "unknown-compression": Hostile(
        "weird.zip",
        lambda: patch_central(zip_bytes({"a/1.png": encode(square(1))}), 10, "<H", 99),
        "unsupported compression method",
    ),
    "dot-dot-path": Hostile("slip.zip", lambda: zip_bytes({"../evil.png": encode(square(1))}), "unsafe path"),
    "nested-dot-dot": Hostile("slip2.zip", lambda: zip_bytes({"a/../../b.png": b"x"}), "unsafe path"),
    "backslash-dot-dot": Hostile("slip3.zip", lambda: zip_bytes({"..\\evil.png": b"x"}), "unsafe path"),
    "absolute-path": Hostile("abs.zip", lambda: zip_bytes({"/etc/evil.png": b"x"}), "unsafe path"),
    "drive-path": Hostile("drive.zip", lambda: zip_bytes({"C:/evil.png": b"x"}), "unsafe path"),
    "symlink-member": Hostile("link.zip", symlink_zip, "symbolic link"),
    "ratio-bomb": Hostile(
        "bomb.zip", lambda: zip_bytes({"a/zeros.png": bytes(4 << 20)}), "decompression bomb"
    ),
    "size-bomb": Hostile(
        "big.zip",
        lambda: zip_bytes({f"a/{i}.png": noise(6000, i) for i in range(2)}),
        "uncompressed",
        {"TLSTUDIO_MAX_UNCOMPRESSED_BYTES": "10000"},
    ),
    "too-many-members": Hostile(
        "many.zip",
        lambda: zip_bytes({f"{i}.png": b"" for i in range(30)}, zipfile.ZIP_STORED),
        "too many",
        {"TLSTUDIO_MAX_MEMBERS": "20"},
    ),
    "too-many-members-zip64": Hostile(
        "many64.zip",
        lambda: zip64_bytes({f"{i}.png": b"" for i in range(30)}),
        "too many",
        {"TLSTUDIO_MAX_MEMBERS": "20"},
    ),
    "mixed-layout": Hostile(
        "mixed.zip", lambda: zip_bytes({"1.png": encode(square(1)), "c/2.png": encode(square(2))}), "mixes"
    ),
    # images
    "pixel-bomb-gigantic": Hostile(
        "giant.zip",
        lambda: zip_bytes({"a/1.png": with_png_size(encode(square(1)), 100_000, 100_000)}),
        "claims over 178956970 pixels",
    ),
    "pixel-bomb": Hostile(
        "large.zip",
        lambda: zip_bytes(
            {"a/1.png": encode(square(1)), "a/2.png": with_png_size(encode(square(2)), 5000, 5000)}
        ),
        "claims 5000x5000 pixels",
    ),
    "total-pixels": Hostile(
        "album.zip",
        lambda: zip_bytes({f"a/{i}.png": encode(square(i)) for i in range(4)}),
        "pixels in total",
        {"TLSTUDIO_MAX_TOTAL_PIXELS": "3000"},
    ),
    "truncated-png": Hostile("cut-png.zip", lambda: zip_bytes({"1.png": _noisy_png()[:400]}), "truncated"),
    "truncated-jpeg": Hostile("cut-jpg.zip", lambda: zip_bytes({"1.jpg": _jpeg()[:400]}), "truncated"),
    # tables
    "empty-csv": Hostile("zero.csv", lambda: b"", "empty"),
    "blank-csv": Hostile("blank.csv", lambda: b"\n\n  \n", "empty"),
    "garbage-csv": Hostile("garbage.csv", lambda: b"\xff\xfe" + noise(2000), "not a readable table"),
    "utf16-csv": Hostile("utf16.csv", lambda: "\ufeffa,b\n1,2\n".encode("utf-16"), "not a readable table"),
    "garbage-parquet": Hostile("garbage.parquet", lambda: noise(2000), "not a readable table"),
    "ragged-csv": Hostile("ragged.csv", lambda: b"a,b\n1,2\n1,2,3,4\n", "rows of different lengths"),
    "short-row-csv": Hostile("short.csv", lambda: b"a,b,c\n1,2,3\n4\n", "missing, infinite or not a number"),
    "nan-csv": Hostile("nan.csv", lambda: b"a,b\n1,nan\n2,3\n", "missing, infinite or not a number"),
    "inf-csv": Hostile("inf.csv", lambda: b"a,b\n1,inf\n2,-inf\n", "missing, infinite or not a number"),
    "text-features-csv": Hostile("text.csv", lambda: b"a,b,label\nx,1,c\ny,2,d\n", "non-numeric"),
    "missing-label-csv": Hostile("nolabel.csv", lambda: b"a,label\n1,x\n2,\n", "labels are missing"),
    "wide-csv": Hostile(
        "wide.csv",
        lambda: wide_csv(100),
        "columns",
        {"TLSTUDIO_MAX_TABLE_COLUMNS": "50"},
    ),
    "wide-parquet": Hostile(
        "wide.parquet",
        lambda: parquet_bytes(pa.table({f"c{i}": [1.0] for i in range(100)})),
        "columns",
        {"TLSTUDIO_MAX_TABLE_COLUMNS": "50"},
    ),
    "long-parquet": Hostile(
        "long.parquet",
        lambda: parquet_bytes(pa.table({"f": np.zeros(100_000, np.float32)})),
        "above the tensor limit",
        {"TLSTUDIO_MAX_TENSOR_BYTES": "100000"},
    ),
    "packed-parquet": Hostile(
        "packed.parquet",
        lambda: parquet_bytes(pa.table({"f": np.zeros(5000)}), compression="zstd", use_dictionary=False),
        "uncompressed",
        {"TLSTUDIO_MAX_UNCOMPRESSED_BYTES": "10000"},
    ),
    "nested-parquet": Hostile(
        "nested.parquet", lambda: parquet_bytes(pa.table({"f": [[1.0, 2.0], [3.0]]})), "nested values"
    ),
    # arrays
    "garbage-npz": Hostile("garbage.npz", lambda: noise(2000), "not a valid .npz"),
    "object-npz": Hostile(
        "object.npz", lambda: npz_bytes(X=np.array([{"a": 1}], dtype=object)), "object arrays"
    ),
    "missing-x-npz": Hostile("nox.npz", lambda: npz_bytes(Y=np.ones((2, 2))), "missing the array X"),
    "1d-npz": Hostile("flat.npz", lambda: npz_bytes(X=np.ones(4)), "neither N x D"),
    "5d-npz": Hostile("deep.npz", lambda: npz_bytes(X=np.ones((2, 1, 2, 2, 2))), "neither N x D"),
    "no-features-npz": Hostile("hollow.npz", lambda: npz_bytes(X=np.ones((3, 0))), "no features"),
    "complex-npz": Hostile("complex.npz", lambda: npz_bytes(X=np.ones((2, 2), complex)), "must be numeric"),
    "label-count-npz": Hostile(
        "count.npz", lambda: npz_bytes(X=np.ones((2, 2)), y=np.array([0, 1, 1])), "2 samples but 3 labels"
    ),
    "duplicate-classes-npz": Hostile(
        "dup.npz",
        lambda: npz_bytes(X=np.ones((2, 2)), y=np.array([0, 1]), classes=np.array(["a", "a"])),
        "duplicate",
    ),
    "nan-npz": Hostile("nan.npz", lambda: npz_bytes(X=np.array([[1.0, np.inf]])), "missing or infinite"),
    "header-bomb-npz": Hostile("header.npz", lambda: zip_bytes({"X.npy": npy_claiming((10**12,))}), "claims"),
    "ratio-bomb-npz": Hostile(
        "zeros.npz", lambda: npz_bytes(compressed=True, X=np.zeros((1024, 1024))), "decompression bomb"
    ),
}


# --- valid but messy ---------------------------------------------------------------------------


def _junk_zip() -> bytes:
    members = {f"export/{c}/{i}.png": encode(square(i)) for c in ("cat", "dog") for i in range(3)}
    members |= {
        "__MACOSX/export/cat/._0.png": b"\x00\x05\x16\x07 resource fork",
        "export/.DS_Store": b"Bud1 junk",
        "export/dog/Thumbs.db": b"junk",
        "export/README.md": b"two classes",
    }
    return zip_bytes(members)


def _mixed_zip() -> bytes:
    rgb = np.dstack([square(4), square(4) // 2, square(4) // 3])
    rgba = np.dstack([square(5)] * 3 + [np.full((28, 28), 200, np.uint8)])
    return zip_bytes(
        {
            "a b/1.png": encode(square(1)),
            "a b/2.jpg": encode(np.dstack([square(2, 40)] * 3), "JPEG"),
            "a b/3.png": encode(square(3, 16)),
            "chat été/4.png": encode(rgb),
            "chat été/5.png": encode(rgba),
            "chat été/6.gif": encode(square(6), "GIF", mode="P"),
            "日本 語/7.png": encode(square(7).astype(np.uint16) * 257),  # 16-bit grayscale
            "日本 語/8.bmp": encode(square(8), "BMP"),
            "日本 語/broken.png": b"\x89PNG\r\n\x1a\n not really",
        }
    )


def _bsdtar_zip() -> bytes:
    """bsdtar, the ``tar`` of macOS and Windows 10+ (``tar -a -cf x.zip .``), writes ``./`` first."""
    members = {f"./{c}/{i}.png": encode(square(i)) for c in ("cat", "dog") for i in range(2)}
    return zip_bytes({"./": b"", **members, "./.DS_Store": b"Bud1 junk"})


def _nfd_zip() -> bytes:
    """macOS writes decomposed (NFD) names: ``e`` + combining accent is the same class as ``é``."""
    return zip_bytes({"e\u0301t\u00e9/1.png": encode(square(1)), "\u00e9t\u00e9/2.png": encode(square(2))})


def _polyglot_npz() -> bytes:
    return pickle.dumps(["pickle first"]) + npz_bytes(X=np.ones((3, 2)), y=np.array([0, 1, 0]))


MESSY: dict[str, Messy] = {
    "junk-and-wrapping-folder": Messy("junk.zip", _junk_zip, 6, ("cat", "dog"), (1, 28, 28)),
    "mixed-modes-sizes-names": Messy(
        "mixed.zip", _mixed_zip, 8, ("a b", "chat été", "日本 語"), (3, 28, 28), n_corrupt=1
    ),
    "bsdtar-dot-slash-names": Messy("tar.zip", _bsdtar_zip, 4, ("cat", "dog"), (1, 28, 28)),
    "unicode-normalisation": Messy("nfd.zip", _nfd_zip, 2, ("été",), (1, 28, 28)),
    "unlabelled-flat": Messy(
        "flat.zip",
        lambda: zip_bytes({f"scan {i}.png": encode(square(i, 20)) for i in range(5)}),
        5,
        (),
        (1, 20, 20),
    ),
    "single-sample-csv": Messy("one.csv", lambda: b"a,b,label\n1,2,x\n", 1, ("x",), (2,)),
    "polyglot-npz-no-pickle": Messy("poly.npz", _polyglot_npz, 3, ("0", "1"), (2,)),
    "dictionary-labels-parquet": Messy(
        "labels.parquet", lambda: string_bomb_parquet(2000, 100), 2000, ("x" * 100,), (1,)
    ),
}
