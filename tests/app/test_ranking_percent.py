"""Compare's ranking writes the source accuracy as the accuracy it is (a percent, as ``runs rank`` and the
HTML report write it) and every other validator as a score to 3 significant digits."""

from __future__ import annotations

import json

import pytest

from tests.app.test_ranking_ui import SOURCE, TARGET, OpenApp, pool  # noqa: F401 - pool: a fixture


@pytest.mark.usefixtures("pool")
def test_the_rankings_source_accuracy_is_a_percent_and_its_scores_have_three_digits(app: OpenApp) -> None:
    """The source accuracy read 0.950 in the ranking beside the percents of every other accuracy: it is
    a percent column now, rounded to its step (95.0%)."""
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["source acc"]["type_config"] == {"type": "number", "format": "percent", "step": 0.001}
    assert (
        columns["source acc"]["help"]
        == "src acc (source accuracy): accuracy on the source validation split"  # its header (helper-245)
    )
    assert columns["EnsV"]["type_config"] == {"type": "number", "format": "%.3g"}
    assert at.dataframe[0].value["source acc"].tolist() == [0.95, 0.95]
