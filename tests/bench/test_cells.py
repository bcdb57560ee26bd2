"""Checkpointed cells: a config's key, stable for the settings older cells were measured with."""

from dataclasses import replace

from bench.cells import LATER_FIELDS, LOOP_REVISION, METHOD_REVISIONS, Cells, config_key
from tlcore.adapt.config import AdaptConfig


def test_fields_added_later_leave_the_key_of_older_settings_unchanged(tmp_path):
    config = AdaptConfig(source="mnist5k", target="digits", methods=("deep_coral", "im"), seed=1)
    older = {k: v for k, v in config.to_dict().items() if k not in LATER_FIELDS}  # a key written before
    older["loop_revision"] = LOOP_REVISION
    assert config_key(config) == older
    cells = Cells(tmp_path / "state", resume=False)
    cells.get_or_run({"kind": "tlcore", "config": older}, lambda: {"accuracy": 0.9})
    assert cells.get({"kind": "tlcore", "config": config_key(config)}) == {"accuracy": 0.9}
    for changed in (
        replace(config, warm_start=True),
        replace(config, adapt_epochs=3),
        replace(config, steps_per_epoch=50),
    ):
        assert cells.get({"kind": "tlcore", "config": config_key(changed)}) is None  # other settings


def test_cells_measured_before_the_loop_changed_are_not_reused(tmp_path):
    config = AdaptConfig(source="digits", target="mnist5k", methods=("deep_coral",))
    before = {k: v for k, v in config_key(config).items() if k != "loop_revision"}  # revision 1
    cells = Cells(tmp_path / "state", resume=True)
    cells.get_or_run({"kind": "tlcore", "config": before}, lambda: {"accuracy": 0.7})
    assert cells.get({"kind": "tlcore", "config": config_key(config)}) is None


def test_cells_of_a_method_measured_before_it_changed_are_not_reused(tmp_path):
    config = AdaptConfig(source="mnist5k", target="digits", methods=("dann", "im"))
    key = config_key(config)
    assert key["method_revisions"] == {"dann": METHOD_REVISIONS["dann"]} and METHOD_REVISIONS["dann"] > 1
    before = {k: v for k, v in key.items() if k != "method_revisions"}  # written before dann changed
    cells = Cells(tmp_path / "state", resume=True)
    cells.get_or_run({"kind": "tlcore", "config": before}, lambda: {"accuracy": 0.7})
    assert cells.get({"kind": "tlcore", "config": key}) is None
    unchanged = replace(config, methods=("deep_coral", "im"))  # no revision: its key as before
    assert "method_revisions" not in config_key(unchanged)
