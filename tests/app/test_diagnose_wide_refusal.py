"""Diagnose shows the engine's refusal of features too wide for the domain classifier
(:func:`tlcore.diagnosis_settings.check_classifier_fits`) in its error box, word for word as
``python -m tlcore diagnose`` prints it, instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain
from tlcore import diagnosis_settings


def test_the_page_says_the_refusal_of_the_cli(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 240 samples of the page's PCA 50: 96,000 bytes of float64 against a cap of 50,000
    monkeypatch.setattr(diagnosis_settings, "MAX_KERNEL_BYTES", 50_000)
    at = app("diagnose", source="mnist5k:n=120", target="digits:n=120")
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(e.value) for e in at.error] == [
        "240 samples of 50 features are too wide to diagnose: the domain classifier (proxy A-distance) "
        "would hold them as float64, 93.8 KiB, and about as much again while it fits; at most 48.8 KiB "
        "fits, 26 features for these samples: reduce the width (raw features: --pca N, e.g. the default "
        "50) or the samples"
    ]
