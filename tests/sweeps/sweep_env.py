"""Where the sweep tests' stand-in workers live, for this process and for the processes it starts."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER_PATHS = [str(HERE), str(HERE.parent / "runs")]


def worker_pythonpath() -> str:
    """PYTHONPATH with the stand-in workers' folders first."""
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in WORKER_PATHS]
    return os.pathsep.join([*WORKER_PATHS, *rest])
