"""Where a launch's estimate goes, the refusal's one line when there is none (QA helper-132: the line
just disappeared while the launch refused with a reason)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from app_support.state import sweep_key
from tests.app.helpers import plain
from tests.app.test_launch_estimate import SOURCE, TARGET, probed  # noqa: F401 - a fixture
from tlcore.cli import main

OpenApp = Callable[..., AppTest]


def lines(at: AppTest) -> list[str]:
    said = [plain(c.value) for c in at.caption]
    return [line for line in said if line.startswith(("Estimated: ", "Not estimated: "))]


def test_adapt_page_says_why_a_method_set_has_no_estimate(app: OpenApp, probed: list[Any]) -> None:  # noqa: F811
    at = app("adapt", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value(["source_only", "dann"]).run()
    assert not at.exception, [e.message for e in at.exception]
    recipe, form = lines(at)
    assert recipe.startswith("Estimated: about ")
    assert form == (
        "Not estimated: source_only (baseline) must run alone, only transforms after it; it cannot be "
        "combined with dann (e.g. source_only)"
    )


def test_sweep_page_says_why_a_network_has_no_estimate(
    app: OpenApp,
    probed: list[Any],  # noqa: F811
    workspace: Path,
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    for name in ("vsrc", "vtgt"):  # feature vectors: an image network does not take them
        path = tmp_path / f"{name}.npz"
        np.savez(path, X=rng.random((60, 20)).astype(np.float32), y=np.arange(60) % 3)
        assert main(["--workspace", str(workspace), "data", "upload", str(path)]) == 0
    at = app("sweep", source="upload:vsrc.npz", target="upload:vtgt.npz")
    at.text_input(key=sweep_key("compositions")).set_value("dann").run()
    at.multiselect(key=sweep_key("model")).set_value(["lenet_bn"]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert lines(at) == [
        "Not estimated: model 'lenet_bn' needs images (C x H x W), got feature vectors of 20 values "
        "(auto picks mlp for them)"
    ]
