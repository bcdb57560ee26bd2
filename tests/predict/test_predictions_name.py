"""A predictions file's download name says what it is and of which run (QA helper-246: the Predict page
offered ``upload_digits_unlabelled.zip-e61196857e.csv``, ".zip" in its middle, no run)."""

import pytest

from tlcore.prediction_files import predictions_name

RUN = "20261207-175343-ecfc27"


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("upload:digits_unlabelled.zip", "predictions-digits_unlabelled-ecfc27.csv"),
        ("upload:target_table.csv:text=onehot", "predictions-target_table-ecfc27.csv"),
        ("usps:n=500", "predictions-usps-ecfc27.csv"),
        ("/tmp/scans/field batch.npz", "predictions-field_batch-ecfc27.csv"),
        ("upload:.zip", "predictions-data-ecfc27.csv"),
    ],
)
def test_the_name_holds_the_datas_stem_and_the_runs_id_end(spec, name):
    assert predictions_name(spec, RUN) == name


def test_every_class_and_a_long_name_stay_short_and_file_safe():
    assert predictions_name("mnist5k", RUN, every_class=True) == "predictions-mnist5k-ecfc27-every_class.csv"
    long = predictions_name(f"upload:{'a' * 80}.csv", RUN)
    assert long == f"predictions-{'a' * 40}-ecfc27.csv"
