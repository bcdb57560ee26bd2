"""Diagnose's table of what differs in images fits a 1280 px window: the deciding columns first (the
statistic, its severity and difference, the fix and its checked change), the statistic and the fix
wrapped in narrow columns, each finding's sentence whole in an expander under the table (QA helper-217:
at 1280 and 1024 px the finding and the fix columns were past the right edge)."""

from __future__ import annotations

import json
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from app_support.display import WRAPPED_NARROW_PX, wrapped_row_height
from tests.app.helpers import plain

OpenApp = Callable[..., AppTest]


def test_the_deciding_columns_come_first_and_the_long_ones_wrap(app: OpenApp) -> None:
    at = app("diagnose", source="mnist5k:n=300", target="mnist5k:n=300,invert=1")
    assert not at.exception, [e.message for e in at.exception]
    (table,) = [d for d in at.dataframe if "finding" in d.value.columns]
    order = list(table.proto.column_order)
    assert order[:5] == ["statistic", "severity", "difference", "fix", "change"]
    assert "finding" not in order  # its sentence is in the expander
    columns = json.loads(table.proto.columns)
    assert columns["statistic"]["width"] == columns["fix"]["width"] == WRAPPED_NARROW_PX
    assert columns["difference"]["label"] == "SDs"
    rows = table.value.to_dict("records")
    fix = next(row["fix"] for row in rows if row["statistic"].startswith("polarity"))
    assert fix.startswith("invert=1 on the target: use mnist5k:n=300")
    height = wrapped_row_height([fix], WRAPPED_NARROW_PX)
    assert height is not None and table.proto.row_height >= height  # the fix reads whole, wrapped
    (words,) = [e for e in at.expander if e.label == "Each finding in words"]
    sentences = [plain(str(m.value)) for m in words.markdown]
    assert len(sentences) == len(rows)
    assert any(
        s.startswith("- **polarity (+1 light ink on dark, -1 dark on light)**: The target is mostly")
        for s in sentences
    )
