"""The app's start imports neither scikit-learn nor scipy.stats (0.7 s of CPU at every fresh server's
first page, Adapt's included): the PCA, the domain classifier, CORAL's head and the feature tests
import them when they first run (and the UMAP warm-up, after the first page)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_MODULES = "app_support.engine, app_support.diagnosis, app_support.state, app_support.server"  # app.py's
PAGE_MODULES = (  # the Adapt page's, and the gap's feature tests
    "app_support.adapt_form, app_support.adapt_runs, app_support.estimate, app_support.repeat_launch, "
    "tlcore.metrics.feature_tests"
)


def test_the_app_and_adapt_modules_start_without_scikit_learn_or_scipy_stats() -> None:
    probe = (
        f"import sys; import {APP_MODULES}, {PAGE_MODULES}; "
        "print(sorted(m for m in ('sklearn', 'scipy.stats') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
