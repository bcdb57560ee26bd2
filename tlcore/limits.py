"""Resource limits for everything a user can hand to tlstudio (uploads, archives, images, tables,
run settings).

One place for every limit. Each default can be overridden by an environment variable, read when
:meth:`Limits.from_env` is called (the upload readers call it unless given explicit limits):

- ``max_upload_bytes`` (``TLSTUDIO_MAX_UPLOAD_BYTES``): 200 MiB, one uploaded file;
- ``max_uncompressed_bytes`` (``TLSTUDIO_MAX_UNCOMPRESSED_BYTES``): 1 GiB, an archive's members in total
  (also a Parquet file's pages, uncompressed);
- ``max_members`` (``TLSTUDIO_MAX_MEMBERS``): 100 000 archive entries or folder files;
- ``max_compression_ratio`` (``TLSTUDIO_MAX_COMPRESSION_RATIO``): 200, for members over 1 MiB;
- ``max_image_pixels`` (``TLSTUDIO_MAX_IMAGE_PIXELS``): 16 777 216 (4096 x 4096) decoded pixels of one
  image (a large JPEG decodes at a reduced scale, see :mod:`tlcore.data.images`), checked before decoding;
- ``max_total_pixels`` (``TLSTUDIO_MAX_TOTAL_PIXELS``): 1 073 741 824 (2^30), decoded pixels of all images
  of one upload, checked before decoding;
- ``max_image_side`` (``TLSTUDIO_MAX_IMAGE_SIDE``): 128;
- ``max_table_columns`` (``TLSTUDIO_MAX_TABLE_COLUMNS``): 20 000 columns of a CSV/TSV/Parquet table,
  checked before parsing (wider features belong in an ``.npz``);
- ``max_tensor_bytes`` (``TLSTUDIO_MAX_TENSOR_BYTES``): 2 GiB of float32 samples per loaded domain
  (images, arrays, and table rows x columns, a Parquet file's before reading);
- ``max_text_values`` (``TLSTUDIO_MAX_TEXT_VALUES``): 50 distinct values of one text feature column
  that the spec option ``text=onehot`` encodes as 0/1 columns (more: an id or free text, refused);
- ``max_running`` (``TLSTUDIO_MAX_RUNNING``): half the CPU cores, at least 1: runs of one workspace that
  train at once; later launches wait ``queued`` for a free slot and start in launch order. Each
  launched run's worker uses ``cores // max_running`` torch threads (at least 1);
- ``max_trials`` (``TLSTUDIO_MAX_TRIALS``): 10 000 trials one sweep plans (configurations x seeds),
  checked when the sweep is created (a driver expands every trial each time it looks);
- ``max_layer_width`` (``TLSTUDIO_MAX_LAYER_WIDTH``): 16 384 units, the widest layer a run setting may
  ask for (the bottleneck, a discriminator's ``hidden``, CDAN's ``random_dim``); checked when the
  config or the method's parameters are built;
- ``max_cache_bytes`` (``TLSTUDIO_MAX_CACHE_BYTES``): 256 MiB, each of the workspace's cache folders
  (``cache/diagnoses``, ``cache/estimates``, ``cache/near-copies``); each write removes the least
  recently used entries beyond it (:mod:`tlcore.cache_files`). Its former name,
  ``TLSTUDIO_MAX_DIAGNOSIS_CACHE_BYTES``, is read when the new one is not set.

``max_image_side`` is not a refusal: uploaded images larger than it are scaled down to fit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from tlcore.errors import TLError

MIB = 1 << 20
FORMER_NAMES = {"max_cache_bytes": "TLSTUDIO_MAX_DIAGNOSIS_CACHE_BYTES"}  # read when the new one is not set


@dataclass(frozen=True)
class Limits:
    """Upper bounds applied to uploaded files before and while they are decoded."""

    max_upload_bytes: int = 200 * MIB  # size of one uploaded file
    max_uncompressed_bytes: int = 1024 * MIB  # sum of an archive's member sizes
    max_members: int = 100_000  # entries in one archive (or files in one folder)
    max_compression_ratio: float = 200.0  # uncompressed / compressed, per member
    max_image_pixels: int = 4096 * 4096  # width x height one image decodes to, checked before decoding
    max_total_pixels: int = 1 << 30  # width x height summed over one upload's decoded images
    max_image_side: int = 128  # decoded images are scaled down to fit this side
    max_table_columns: int = 20_000  # columns of one table, checked before parsing
    max_tensor_bytes: int = 2048 * MIB  # float32 samples of one loaded domain
    max_text_values: int = 50  # distinct values of one text column text=onehot encodes
    max_running: int = max(1, (os.cpu_count() or 1) // 2)  # runs of one workspace training at once
    max_trials: int = 10_000  # trials one sweep plans
    max_layer_width: int = 16_384  # units of the widest layer a run setting may ask for
    max_cache_bytes: int = 256 * MIB  # each cache folder of the workspace, least recently used out

    @classmethod
    def from_env(cls, *names: str) -> Limits:
        """Defaults overridden by ``TLSTUDIO_<FIELD>`` environment variables (upper-case names); with
        ``names``, only those limits' variables are read (a check reads only the limit it applies)."""
        values: dict[str, float | int] = {}
        for f in fields(cls):
            if names and f.name not in names:
                continue
            var = next((v for v in variables(f.name) if v in os.environ), None)
            if var is None:
                continue
            raw = os.environ[var]
            kind = float if f.type == "float" else int
            try:
                value = kind(raw)
            except ValueError:
                raise TLError(f"{var}={raw!r} is not a number") from None
            if value <= 0:
                raise TLError(f"{var} must be positive, got {raw}")
            values[f.name] = value
        return cls(**values)


def env_var(field: str) -> str:
    """The environment variable that overrides the limit ``field``."""
    return f"TLSTUDIO_{field.upper()}"


def variables(field: str) -> tuple[str, ...]:
    """The variables that may set the limit ``field``, the first set wins: :func:`env_var`, then its
    former name (:data:`FORMER_NAMES`), so a setting made before the rename still holds."""
    return (env_var(field), *([FORMER_NAMES[field]] if field in FORMER_NAMES else []))


def shown_limit(limits: Limits, field: str) -> str:
    """``100000 (TLSTUDIO_MAX_MEMBERS)``: a limit's value as a refusal names it, with the variable that
    raises it (a ``*_bytes`` limit as a size, a ratio with its ``x``)."""
    value = getattr(limits, field)
    if field.endswith("_bytes"):
        shown = format_bytes(value)
    else:
        shown = f"{value:g}x" if field.endswith("_ratio") else str(value)
    return f"{shown} ({env_var(field)})"


def format_bytes(n: float) -> str:
    """``512 bytes``, ``1.5 KiB``, ``200 MiB``, ``1 GiB``: sizes in messages."""
    if n < 1024:
        return f"{n:.0f} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            break
    return f"{n:.3g} {unit}" if n < 1000 else f"{n:.0f} {unit}"
