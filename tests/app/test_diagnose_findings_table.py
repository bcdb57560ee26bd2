"""Diagnose's table of what differs in images fits a 1024 px window: the deciding columns first (the
statistic, its severity and difference, the fix and its checked change), the statistic, the fix and the
change wrapped in narrow columns, each finding's sentence whole in an expander under the table (QA
helper-217: at 1280 and 1024 px the finding and the fix columns were past the right edge; then, with
the statistic and the fix 240 px each, 1024 px showed up to the fix)."""

from __future__ import annotations

import json
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from app_support.display import FINDING_PX, wrapped_row_height, wrapped_rows
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
    widths = {name: columns[name]["width"] for name in FINDING_PX}
    assert widths == {"statistic": 140, "fix": 190, "change": 100}
    assert columns["difference"]["label"] == "SDs"
    rows = table.value.to_dict("records")
    fix = next(row["fix"] for row in rows if row["statistic"].startswith("polarity"))
    assert fix.startswith("invert=1 on the target: use mnist5k:n=300")
    height = wrapped_row_height([fix], FINDING_PX["fix"])
    assert height is not None and table.proto.row_height >= height  # the fix reads whole, wrapped
    (words,) = [e for e in at.expander if e.label == "Each finding in words"]
    sentences = [plain(str(m.value)) for m in words.markdown]
    assert len(sentences) == len(rows)
    assert any(
        s.startswith("- **polarity (+1 light ink on dark, -1 dark on light)**: The target is mostly")
        for s in sentences
    )


TABLE_1024_PX = 562  # st.dataframe's width in a 1024 px window with the sidebar open (Chromium, helper-224)
SEVERITY_PX, SDS_PX = 62, 55  # those columns as Chromium sized them to "severity" and "+0.862"


def test_the_deciding_columns_fit_a_1024_px_window_in_rows_of_three_lines() -> None:
    """The statistic, the fix and its change, wrapped, beside severity and SDs fit the table's 562 px
    at 1024 px (at 240 px each, the change was past the edge); the longest statistic and a fix with its
    spec take three lines."""
    assert sum(FINDING_PX.values()) + SEVERITY_PX + SDS_PX == 547 <= TABLE_1024_PX
    statistic = "sharpness (variance of the Laplacian / variance)"
    fix = "blur=0.75 on the source: use mnist5k:n=600,blur=0.75"
    row = {"statistic": statistic, "fix": fix, "change": "+9%, does not help"}
    assert wrapped_rows([row], FINDING_PX) == 84
