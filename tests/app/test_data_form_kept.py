"""The Data page's upload form outlives a visit to another page (QA helper-246): its tab, the Label
column field and the Encode box come back as the user left them, even when Streamlit dropped the
widgets' values on the way; after a source saved with the box ticked, the box stays ticked for its
target."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from app_support import state
from tests.app.helpers import assert_clean, click

OpenApp = Callable[..., AppTest]
UPLOAD_TAB = "Upload your own"
ONEHOT = f"{state.UPLOAD_LABEL}{state.ONEHOT_SUFFIX}"
ROWS = "".join(f"{i / 7:.3f},{('north', 'south', 'east')[i % 3]},{'ab'[i % 2]}\n" for i in range(12))


def test_the_upload_tab_field_and_box_survive_a_visit_to_diagnose(app: OpenApp) -> None:
    at = app("data")
    at.session_state[state.DATA_TAB] = UPLOAD_TAB  # as a click on the tab sets it (AppTest has no tab click)
    at.run()
    at.text_input(key=state.UPLOAD_LABEL).input("none")
    at.checkbox(key=ONEHOT).check().run()
    assert_clean(at)
    at.switch_page("app_pages/diagnose.py")
    for key in (state.DATA_TAB, state.UPLOAD_LABEL, ONEHOT):
        del at.session_state[key]  # as Streamlit's page-switch cleanup drops a widget the switch omits
    at._run(WidgetStates())  # a switch whose request lists none of the Data page's widgets
    at.switch_page("app_pages/data.py").run()
    assert_clean(at)
    assert at.session_state[state.DATA_TAB] == UPLOAD_TAB
    assert at.text_input(key=state.UPLOAD_LABEL).value == "none"
    assert at.checkbox(key=ONEHOT).value is True


def test_the_box_stays_ticked_for_the_target_of_a_source_read_with_it(app: OpenApp) -> None:
    at = app("data")
    at.checkbox(key=ONEHOT).check().run()
    at.file_uploader(key="upload_file").upload("shop.csv", f"x1,region,label\n{ROWS}".encode(), "text/csv")
    click(at, "Use as source")
    assert at.session_state["pair_source"] == "upload:shop.csv:text=onehot"
    assert at.checkbox(key=ONEHOT).value is True  # its target is refused unless read so too
    at.file_uploader(key="upload_file").upload("mall.csv", f"x1,region,label\n{ROWS}".encode(), "text/csv")
    click(at, "Use as target")
    assert [e.value for e in at.error] == []
    assert at.session_state["pair_target"] == "upload:mall.csv:text=onehot"
    assert at.checkbox(key=ONEHOT).value is False  # after the target: the next save's default again
