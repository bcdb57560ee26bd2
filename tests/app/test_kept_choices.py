"""Choices that outlive a page switch: the Adapt form, Diagnose's settings and Compare's "Rank by"
come back as the user left them, even when Streamlit dropped the widgets' values on the way."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from app_support import state
from tests.app.helpers import number
from tlcore.adapt.config import AdaptConfig

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"
LABELS = "Labelled target samples per class (0: none)"


def test_the_adapt_form_survives_streamlit_dropping_its_values_on_a_page_switch(app: OpenApp) -> None:
    """QA helper-70: while a run trained, a switch to another page often arrived after Streamlit had
    dropped the form's widget values (before the new page's run starts), and they came back at the
    defaults. Here the switch's request lists none of the form's widgets, as it then did."""
    at = app("adapt")
    at.multiselect[0].set_value(["dann"]).run()
    next(w for w in at.number_input if w.label == "Epochs").set_value(3)
    next(w for w in at.number_input if w.label == LABELS).set_value(2).run()
    at.switch_page("app_pages/home.py")
    for key in ("adapt_methods", "adapt_epochs", "recipe_target_labels"):
        del at.session_state[key]  # as Streamlit's page-switch cleanup drops a widget the switch omits
    at._run(WidgetStates())  # a switch whose request lists none of the form's widgets
    at.switch_page("app_pages/adapt.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.multiselect[0].value == ["dann"]
    assert number(at, "Epochs") == 3 and number(at, LABELS) == 2


def test_diagnose_features_and_compare_rank_by_outlive_a_visit_elsewhere(
    app: OpenApp, trained_run: Callable[[AdaptConfig], str]
) -> None:
    """QA helper-70: Diagnose's "model of run …" feature space (seconds to recompute) went back to raw
    pixels after a visit to Compare, and Compare's "Rank by" from IM back to EnsV."""
    run_id = trained_run(AdaptConfig(source=SOURCE, target=TARGET, methods=("source_only",), epochs=1))
    at = app("diagnose", source=SOURCE, target=TARGET)
    space = next(s for s in at.selectbox if s.label == "Feature space")
    assert space.value == "raw"
    space.set_value(run_id).run()
    at.switch_page("app_pages/compare.py").run()
    rank_by = next(s for s in at.selectbox if s.label == "Rank by")
    assert rank_by.value == "ensv"
    rank_by.set_value("im").run()
    at.switch_page("app_pages/diagnose.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert next(s for s in at.selectbox if s.label == "Feature space").value == run_id
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert next(s for s in at.selectbox if s.label == "Rank by").value == "im"


def test_a_kept_choice_no_longer_offered_gives_way_to_the_default(
    app: OpenApp, trained_run: Callable[[AdaptConfig], str]
) -> None:
    """An advanced validator kept as "Rank by" falls back to the default once the advanced ones are
    hidden, and a run's feature space to raw pixels on a pair without that run: no error."""
    trained_run(AdaptConfig(source=SOURCE, target=TARGET, methods=("source_only",), epochs=1))
    at = app("compare", source=SOURCE, target=TARGET)
    next(t for t in at.toggle if t.label == "Advanced validators").set_value(True).run()
    next(s for s in at.selectbox if s.label == "Rank by").set_value("snd").run()
    next(t for t in at.toggle if t.label == "Advanced validators").set_value(False).run()
    assert not at.exception, [e.message for e in at.exception]
    assert next(s for s in at.selectbox if s.label == "Rank by").value == "ensv"
    at.session_state[state.DIAGNOSE_FEATURES] = "20990101-000000-gone00"  # a run of another pair
    at.switch_page("app_pages/diagnose.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert next(s for s in at.selectbox if s.label == "Feature space").value == "raw"
