"""The pages say when source and target share samples (QA helper-143), and the Data page's catalog
splits one dataset with train and test splits between the two sides."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain

OpenApp = Callable[..., AppTest]
SHARED = "mnist5k:n=400", "mnist5k:n=200"  # the target is inside the source


def shared_warnings(at: AppTest) -> list[str]:
    return [plain(w.value) for w in at.warning if "share images of" in w.value]


def test_data_diagnose_and_adapt_warn_of_shared_samples(app: OpenApp) -> None:
    for page in ("data", "diagnose", "adapt"):
        at = app(page, *SHARED)
        assert not at.exception, [e.message for e in at.exception]
        (warning,) = shared_warnings(at)
        assert "200 of the target's 200 samples are source samples" in warning
        assert "35 of the 40 target test samples a run scores on are source training samples" in warning
        assert warning.startswith("Source and target share images of mnist5k: ")  # a sentence in a box
        assert warning.endswith("take the target from other data.")
    assert not shared_warnings(app("data", "mnist5k:n=400", "digits:n=200"))


def test_picking_one_split_dataset_on_both_sides_takes_train_and_test(app: OpenApp) -> None:
    at = app("data", "fashion:n=300", "digits:n=200")
    at.selectbox(key="builder_target_dataset").select("fashion").run()
    assert not at.exception, [e.message for e in at.exception]
    pair = at.session_state["pair_source"], at.session_state["pair_target"]
    assert pair == ("fashion:split=train,n=300", "fashion:split=test,n=200")
    assert not shared_warnings(at)
    assert at.selectbox(key="builder_source_dataset").value == "fashion:split=train"


def test_a_pair_too_small_for_a_runs_split_is_still_diagnosed(app: OpenApp) -> None:
    """Two target samples: too few for a run's test split, so no run scores on shared samples; the
    page diagnoses the pair, as ``diagnose`` does, instead of an error box in the verdict's place."""
    for page in ("data", "diagnose", "adapt"):
        at = app(page, "mnist5k:n=40", "mnist5k:n=2")
        assert not at.exception, [e.message for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert not shared_warnings(at)
        assert page != "diagnose" or at.metric  # the gap's cards
