"""Checkpointed cells: a config's key, stable for the settings older cells were measured with."""

from dataclasses import replace

from bench.cells import LATER_FIELDS, Cells, config_key
from tlcore.adapt.config import AdaptConfig


def test_fields_added_later_leave_the_key_of_older_settings_unchanged(tmp_path):
    config = AdaptConfig(source="mnist5k", target="digits", methods=("deep_coral", "im"), seed=1)
    older = {k: v for k, v in config.to_dict().items() if k not in LATER_FIELDS}  # a key written before
    assert config_key(config) == older
    cells = Cells(tmp_path / "state", resume=False)
    cells.get_or_run({"kind": "tlcore", "config": older}, lambda: {"accuracy": 0.9})
    assert cells.get({"kind": "tlcore", "config": config_key(config)}) == {"accuracy": 0.9}
    for changed in (replace(config, warm_start=True), replace(config, adapt_epochs=3)):
        assert cells.get({"kind": "tlcore", "config": config_key(changed)}) is None  # other settings
