"""Quick knob changes on the Data page: a browser message that still carries the sidebar's old value
(sent before the last knob's change reached it) is no edit of the pair, and a pair edit and a knob
change in one message give no error."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from tests.app.helpers import SMALL_TARGET, pair_field

OpenApp = Callable[..., AppTest]
ROTATE = "builder_target_rotate"


def test_a_stale_sidebar_value_after_a_knob_step_changes_nothing(app: OpenApp) -> None:
    at = app("data")
    at.slider(key=ROTATE).set_value(10.0)
    sent = at._tree.get_widget_states()  # the browser's next message: the sidebar not yet updated,
    at.run()
    assert at.session_state["pair_target"] == f"{SMALL_TARGET},rotate=10"
    slider_id = at.slider(key=ROTATE).id
    for widget in sent.widgets:  # ... the knob one step further,
        if widget.id == slider_id:
            widget.double_array_value.data[:] = [20.0]
    stale = WidgetStates()  # ... and the sidebar's fields first, as the browser sent them
    stale.widgets.extend(sorted(sent.widgets, key=lambda w: "pair_" not in w.id))
    at._run(stale)
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["pair_target"] == f"{SMALL_TARGET},rotate=20"
    assert pair_field(at).value == f"{SMALL_TARGET},rotate=20"
    assert at.slider(key=ROTATE).value == 20.0


def test_a_pair_edit_and_a_knob_change_in_one_message(app: OpenApp) -> None:
    at = app("data")
    pair_field(at).set_value("digits:n=150")
    at.slider(key=ROTATE).set_value(30.0).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["pair_target"] == "digits:n=150"  # the typed pair; the builders re-read it
    assert at.number_input(key="builder_target_n").value == 150
