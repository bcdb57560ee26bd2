"""Facts about the machine a benchmark ran on: CPU, cores, load, memory, library versions, BLAS."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

PACKAGES = ("torch", "numpy", "scikit-learn", "skada", "skorch", "alibi-detect", "umap-learn", "streamlit")


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (the platform's processor string elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages (NaN where the OS has none)."""
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def memory_gib() -> dict[str, float]:
    """Total and available memory in GiB, from ``/proc/meminfo`` (empty where it does not exist)."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return {}
    values = {line.split(":")[0]: int(line.split()[1]) for line in lines if line.endswith("kB")}
    return {
        "total": values.get("MemTotal", 0) / 2**20,
        "available": values.get("MemAvailable", 0) / 2**20,
    }


def blas() -> str:
    """The BLAS torch was built with (``BLAS_INFO`` from ``torch.__config__.show()``)."""
    match = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return match.group(1) if match else "unknown"


def versions() -> dict[str, str]:
    """Installed versions of the packages that matter here ("not installed" for missing ones)."""
    found: dict[str, str] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine_facts() -> dict[str, Any]:
    """Everything the report prints about the machine, as plain JSON-able values."""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "blas": blas(),
        "cuda": torch.cuda.is_available(),
        "python": platform.python_version(),
        "memory_gib": memory_gib(),
        "load_start": list(load_average()),
        "versions": versions(),
    }
