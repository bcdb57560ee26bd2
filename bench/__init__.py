"""Benchmarks of tlstudio against the libraries users would pick instead; run ``python -m bench``."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: where `python -m bench` runs from
