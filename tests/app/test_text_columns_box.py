"""The upload form's "Encode text columns as 0/1 columns" box: a table with a text feature column is
refused naming the box; ticked, the upload is stored with text=onehot and used, and the box stays
ticked for the source's target (cleared after any other save)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support.state import ONEHOT_BOX
from tests.app.helpers import assert_clean, plain
from tlcore.data.spec import store_upload
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
ROWS = "".join(f"{i / 7:.3f},{('north', 'south', 'east')[i % 3]},{'ab'[i % 2]}\n" for i in range(12))


def test_a_text_column_is_refused_naming_the_box_and_the_box_encodes_it(
    app: OpenApp, workspace: Path
) -> None:
    rows = "".join(f"{('north', 'west')[i % 2]},{i / 5:.3f}\n" for i in range(10))  # unlabelled, a new value
    target = store_upload(
        Workspace.resolve(workspace), "new.csv", f"region,x1\n{rows}".encode(), text_onehot=True
    )
    at = app("data", source=target, target=target)
    assert at.checkbox(key="upload_label_onehot").label == ONEHOT_BOX
    assert not at.checkbox(key="upload_label_onehot").value  # the spec's default: off
    at.file_uploader(key="upload_file").upload("sales.csv", f"x1,region,label\n{ROWS}".encode(), "text/csv")
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    (error,) = at.error
    assert plain(error.value).replace("\\", "") == (
        "sales.csv: non-numeric feature columns region (only the label column, label, may hold text: drop "
        "it, or encode it as a 0/1 column per value: tick Encode text columns as 0/1 columns (the spec "
        "option text=onehot))"
    )
    assert at.session_state["pair_source"] != "upload:sales.csv:text=onehot"
    at.checkbox(key="upload_label_onehot").check().run()
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    assert [plain(e.value) for e in at.error] == []
    assert at.session_state["pair_source"] == "upload:sales.csv:text=onehot"
    assert at.checkbox(key="upload_label_onehot").value  # kept for its target, which must be read so too
    notes = [plain(i.value).replace("\\", "") for i in at.info]
    assert (
        "target: 5 samples with text values the source never had, read as none of its values (their 0/1 "
        "columns all 0): region: west (5)"
    ) in notes, notes
