"""How the report writes numbers and tables (shared by :mod:`bench.report` and its section modules)."""

from __future__ import annotations


def pct(mean: float | None, std: float | None = None) -> str:
    """An accuracy as ``87.7 ± 1.4`` (percent), ``87.7`` without a spread, ``—`` when missing."""
    if mean is None:
        return "—"
    return f"{100 * mean:.1f}" + (f" ± {100 * std:.1f}" if std is not None else "")


def secs(value: float | None) -> str:
    """Seconds with sensible precision (``—`` when missing)."""
    if value is None:
        return "—"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def num(value: float | None, digits: int = 0, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{suffix}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def load_text(values: list[float | None]) -> str:
    """Load averages as ``1.02 / 0.98 / 0.91`` (``—`` for one the OS did not give)."""
    return " / ".join("—" if v is None else f"{v:.2f}" for v in values)
