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
    """This machine's :func:`describe_cpu` (the platform's processor string without ``/proc/cpuinfo``)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    return describe_cpu(text, torch.backends.cpu.get_cpu_capability())


def describe_cpu(cpuinfo: str, kernels: str) -> str:
    """The CPU's model name with its family and model numbers (from the text of ``/proc/cpuinfo``)
    and the vector instructions torch's CPU kernels use (``kernels``), e.g. ``AMD EPYC (family 25,
    model 1; AVX2 kernels)``. Accuracies differ in their last digits across CPUs, and a seed on a
    knife-edge can tip either way: two machines sold under one name are told apart here."""
    fields = dict(re.findall(r"^(model name|cpu family|model)\s*:\s*(.+?)\s*$", cpuinfo, re.MULTILINE))
    name = fields.get("model name") or platform.processor() or "unknown"
    numbers = [f"{key.split()[-1]} {fields[key]}" for key in ("cpu family", "model") if key in fields]
    details = f"{', '.join(numbers)}; {kernels} kernels" if numbers else f"{kernels} kernels"
    return f"{name} ({details})"


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
