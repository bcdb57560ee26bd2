"""Adapt's model select lists every registered backbone; its "Input size (px)": shown only for an
ImageNet backbone, starting at the engine's default (224), and launched runs carry it (the launch
itself is captured: no run starts)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from app_support import engine
from tlcore.adapt.config import AdaptConfig
from tlcore.imagenet_inputs import SIZE_RANGE
from tlcore.models import list_models

SIZE = "Input size (px)"


def test_the_model_select_offers_every_registered_backbone(app: Callable[..., AppTest]) -> None:
    at = app("adapt")
    model = next(s for s in at.selectbox if s.label == "Model")
    assert model.options == ["auto", *list_models()] and model.value == "auto"
    assert {"resnet18", "resnet50", "mobilenet_v3_large", "convnext_tiny", "efficientnet_lite0"} <= set(
        model.options
    )


def test_the_input_size_is_offered_only_for_an_imagenet_backbone_and_reaches_the_runs(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[AdaptConfig] = []
    monkeypatch.setattr(engine, "launch", lambda configs, **_: launched.extend(configs) or configs)
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    model = next(s for s in at.selectbox if s.label == "Model")
    assert model.value == "auto"
    assert SIZE not in [w.label for w in at.number_input]  # auto builds lenet_bn for images
    model.set_value("resnet18").run()
    size = next(w for w in at.number_input if w.label == SIZE)
    assert (size.value, size.min, size.max) == (224, 32, 512) and SIZE_RANGE in size.help
    size.set_value(64).run()
    next(b for b in at.button if b.label == "Launch").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert [(c.model, c.image_size) for c in launched] == [("resnet18", 64)] * len(launched)
    assert launched
    next(s for s in at.selectbox if s.label == "Model").set_value("lenet").run()
    assert SIZE not in [w.label for w in at.number_input]
