"""The stand-in workers' runs as the selection rule sees them, kept in ``judged_runs.json`` so a worker
process reads them without importing torch (the selection code's scores need it; a torch import is
most of a stand-in trial's time). ``python -m tests.sweeps.judged_runs`` writes the file again from
:func:`computed` (``tests/selection/helpers``); a test checks that the file matches it.

Three kinds, by ``dann.weight`` w: ``right`` (w < 0.1: right on all 30 samples), ``less_sure`` (w < 0.3:
wrong on 5 where the source-only model is right, and less sure), ``collapsed`` (onto one class).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FILE = Path(__file__).with_name("judged_runs.json")
Y = np.arange(30) % 3


def computed() -> dict[str, Any]:
    """Per kind: the target probabilities before (source-only) and after, and the validator scores."""
    from tests.selection.helpers import candidate, probabilities  # noqa: PLC0415 - imports torch

    before = probabilities(np.where(np.arange(30) < 20, Y, (Y + 1) % 3), 0.6)
    after = {
        "right": probabilities(Y, 0.9),
        "less_sure": probabilities(np.where(np.arange(30) < 25, Y, (Y + 2) % 3), 0.8),
        "collapsed": probabilities(np.zeros_like(Y), 0.9),
    }
    return {
        kind: {
            "before": before.tolist(),
            "after": p.tolist(),
            "validators": candidate("x", before, p).validators.to_dict(),
        }
        for kind, p in after.items()
    }


def stored() -> dict[str, Any]:
    """What ``judged_runs.json`` holds."""
    return json.loads(FILE.read_text())


if __name__ == "__main__":
    FILE.write_text(json.dumps(computed()) + "\n")
