"""The Data page's Shape card counts the features the pair uses: a target whose text column holds
values the source never had has fewer 0/1 columns paired than its file alone (QA: the card said 4
where the pair uses 3); the help names the file's own count; a table's count says it counts features
(QA helper-246: a bare "9")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean
from tlcore.data.spec import store_upload
from tlcore.workspace import Workspace


def test_the_targets_shape_card_counts_the_paired_columns(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    ws = Workspace.resolve(workspace)
    rows = "".join(f"{i / 7:.3f},{('north', 'south')[i % 2]},{'ab'[i % 2]}\n" for i in range(12))
    source = store_upload(ws, "s.csv", f"x1,region,label\n{rows}".encode(), text_onehot=True)
    rows = "".join(f"{('north', 'west', 'east')[i % 3]},{i / 5:.3f}\n" for i in range(12))
    target = store_upload(ws, "t.csv", f"region,x1\n{rows}".encode(), text_onehot=True)
    at = app("data", source=source, target=target)
    assert_clean(at)
    shapes = [m for m in at.metric if m.label == "Shape"]
    assert [(m.value, m.help) for m in shapes] == [
        ("3 features", "as the pair uses it (runs, Diagnose)"),
        (
            "3 features",
            "as the pair uses it (runs, Diagnose); the file alone reads 4 features: the pair fits it to the "
            "source "
            "(the notes below)",
        ),
    ]
