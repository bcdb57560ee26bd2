"""The Data page at 1024 px with long upload specs (QA helper-246): each side's heading wraps at the
spec's ":" and ",", not mid-word ("upload:source_table.csv:text=o nehot"), and the saved uploads'
description wraps in its column instead of running past the table's edge; a source and a target of
different kinds, half-way through uploading a pair, read as not paired yet, not as an error."""

from __future__ import annotations

import json
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from app_support.display import DESCRIPTION_PX, breakable, wrapped_row_height
from tests.app.helpers import assert_clean

ROWS = (f"{i / 7:.3f},{'ns'[i % 2]},{'ab'[i % 3 > 0]}\n" for i in range(20))
TABLE = "height_cm,region,label\n" + "".join(ROWS)


def test_breakable_marks_a_specs_separators_and_keeps_its_text() -> None:
    marked = breakable("upload:shop.csv:label=churn,text=onehot")
    assert marked == "upload\\:<wbr>shop\\.csv\\:<wbr>label=churn,<wbr>text=onehot"
    assert breakable("deep_coral+im <b>") == "deep\\_coral\\+<wbr>im \\<b\\>"  # only <wbr> is HTML


def test_long_specs_wrap_in_the_headings_and_the_saved_uploads_table(app: Callable[..., AppTest]) -> None:
    at = app("data")
    at.file_uploader(key="upload_file").upload("source_table.csv", TABLE.encode(), "text/csv")
    at.checkbox(key="upload_label_onehot").check()
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    spec = "upload:source_table.csv:text=onehot"
    assert at.session_state["pair_source"] == spec
    heading = next(m for m in at.markdown if m.value.startswith("##### Source: "))
    assert heading.value == f"##### Source: {breakable(spec)}" and heading.allow_html
    (saved,) = [d for d in at.dataframe if "description" in d.value.columns]
    assert json.loads(saved.proto.columns)["description"]["width"] == DESCRIPTION_PX
    described = saved.value["description"].tolist()  # "uploaded feature vectors, 2 classes, … bytes, …"
    height = wrapped_row_height(described, DESCRIPTION_PX)
    assert height is not None and saved.proto.row_height == height


def test_a_table_source_beside_an_image_target_is_a_step_not_an_error(app: Callable[..., AppTest]) -> None:
    """QA helper-246: a table uploaded as the source while the target was still a zip of images read
    "cannot pair images with feature vectors (…)" in red, before the user could upload the target."""
    at = app("data")
    at.file_uploader(key="upload_file").upload("source_table.csv", TABLE.encode(), "text/csv")
    at.checkbox(key="upload_label_onehot").check()
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    (note,) = [i.value for i in at.info if i.value.startswith("Not paired yet")]
    assert note == (
        "Not paired yet: the source is a table and the target images. Choose or upload a target of the "
        "same kind as the source to pair them."
    )
