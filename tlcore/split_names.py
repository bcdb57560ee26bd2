"""What a run's held-out splits are called, without torch, one wording wherever they are named
(``diagnose --held-out``'s pair, ``runs show``, the Compare and Diagnose pages, the glossary): the
source's is its validation split (early stopping, source accuracy, the label-shift estimator's
calibration), the target's its test split (target accuracy); a run measures its gaps on both."""

from __future__ import annotations

SOURCE_HELD_OUT = "validation"  # the source's held-out split
TARGET_HELD_OUT = "test"  # the target's held-out split
HELD_OUT_SPLITS = f"held-out splits (source {SOURCE_HELD_OUT}, target {TARGET_HELD_OUT})"


def held_out_counts(n_source: int, n_target: int) -> str:
    """``200 source validation, 8 target test samples``: what a run's gap was measured on."""
    return f"{n_source:,} source {SOURCE_HELD_OUT}, {n_target:,} target {TARGET_HELD_OUT} samples"
