"""What the cache tests share: the cap's variable, an entry's value and the folder helpers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CAP = "TLSTUDIO_MAX_CACHE_BYTES"
FORMER_CAP = "TLSTUDIO_MAX_DIAGNOSIS_CACHE_BYTES"  # its name before it capped every cache folder
VALUE = np.arange(1000, dtype=np.float64)  # 8000 bytes of array: an entry of about 8.2 KB


def names(folder: Path) -> list[str]:
    """The folder's entries by key (and any other file by stem), sorted."""
    return sorted(path.stem for path in folder.iterdir())


def used(folder: Path, **seconds: float) -> None:
    """Set when each entry was last used (no sleeping: the times are written)."""
    for key, when in seconds.items():
        os.utime(folder / f"{key}.pkl", (when, when))
