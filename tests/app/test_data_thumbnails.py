"""The Data page's thumbnails are shown at their own size with 12 px captions (QA helper-246: eight a
row, stretched to half of a 1024 px page, the 10 px captions were drawn about 6 px high)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean
from tlcore.views import thumbnails

HALF_1024 = 272  # px: a side's column on a 1024 px page with the sidebar open (Chromium, QA helper-246)


def test_each_sides_grid_fits_its_column_at_its_own_size_its_captions_12_px(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[Image.Image, dict[str, Any]]] = []
    grid = thumbnails.thumbnail_grid

    def spy(*args: Any, **kwargs: Any) -> Image.Image:
        drawn.append((picture := grid(*args, **kwargs), kwargs))
        return picture

    monkeypatch.setattr(thumbnails, "thumbnail_grid", spy)
    at = app("data")
    assert_clean(at)
    assert len(drawn) == 2  # the source's and the target's
    for picture, kwargs in drawn:
        assert picture.width <= HALF_1024 and kwargs["font_size"] == 12


def test_captions_drawn_at_12_px_are_taller_than_at_10() -> None:
    tiles = np.zeros((1, 1, 8, 8), dtype=np.float32)

    def ink_rows(size: int) -> int:
        picture = thumbnails.thumbnail_grid(tiles, ["Ankle"], columns=1, cell=64, font_size=size)
        alpha = np.asarray(picture)[64 + 3 :, :, 3]  # below the tile
        return int(np.ptp(np.flatnonzero(alpha.any(axis=1)))) + 1

    assert (ink_rows(10), ink_rows(12)) == (8, 9)  # "Ankle": an ascender to the baseline
