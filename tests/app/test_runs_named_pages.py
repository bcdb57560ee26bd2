"""Compare and Predict name runs as the ranking table does (helper-237 left these): the flagged runs'
expander, the "Not ranked:" lines and Predict's note on a kept model named runs by their whole label or by
id beside a table of cut ones; a cut label is whole in the help. Compare's two toggles, both labelled "All
columns" (the ranking's, the numbers table's), read apart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app_support import engine
from tests.app.helpers import plain
from tests.app.test_ranking_ui import SOURCE, TARGET, OpenApp, Y, store_run
from tests.selection.helpers import probabilities
from tests.selection.test_runs_named import kept
from tlcore.runs.run_files import CHECKPOINT_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

LEFT_OUT = "stored without its predictions"


@pytest.fixture
def long_names(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Four stored runs whose labels the run column cuts: three ranked as a mixed pool that keeps the
    ``strong`` config's source-only model (``strong`` and ``forgot`` flagged), one left out; each saved
    a model (Predict offers it)."""
    store = RunStore(Workspace.resolve(workspace))
    runs = {
        name: store_run(store, methods, probabilities(Y, 0.9))
        for name, methods in {
            "weak": ("deep_coral", "im", "fixmatch", "shot_pl", "adabn"),
            "strong": ("deep_coral", "im", "fixmatch", "shot_pl"),
            "forgot": ("deep_coral", "im", "fixmatch", "adabn"),
            "left_out": ("deep_coral", "im", "shot_pl", "adabn"),
        }.items()
    }
    for run_id in runs.values():
        (store.get(run_id).folder / CHECKPOINT_FILE).touch()
    ranking = replace(
        kept(runs["weak"], runs["strong"], runs["forgot"]), excluded=((runs["left_out"], LEFT_OUT),)
    )
    monkeypatch.setattr(engine, "ranking", lambda *args, **kwargs: ranking)
    return runs


def test_compare_names_flagged_and_left_out_runs_as_its_table(
    app: OpenApp, long_names: dict[str, str]
) -> None:
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    (flagged,) = [d for d in at.dataframe if "why" in d.value.columns]
    end = {name: run_id[-6:] for name, run_id in long_names.items()}
    assert flagged.value["run"].tolist() == [
        f"deep_coral+… · {end['forgot']}",
        f"deep_coral+… · {end['strong']}",
    ]
    help_ = json.loads(flagged.proto.columns)["run"]["help"]  # whole in the help, as the table's
    assert f"deep_coral+im+fixmatch+adabn ({end['forgot']})" in plain(help_)
    (left_out,) = [c for c in at.caption if plain(c.value).startswith("Not ranked:")]
    assert plain(left_out.value) == f"Not ranked: deep_coral+… · {end['left_out']}: {LEFT_OUT}"
    assert plain(left_out.help) == f"deep_coral+im+shot_pl+adabn · {end['left_out']}"
    toggles = [t.label for t in at.toggle]  # two toggles a reader (and a screen reader) tells apart
    assert "All ranking columns" in toggles and "All numbers" in toggles and "All columns" not in toggles


def test_predicts_kept_note_names_the_run_as_compare_does(app: OpenApp, long_names: dict[str, str]) -> None:
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    notes = [plain(i.value) for i in at.info if "source-only model of run" in plain(i.value)]
    kept_run = engine.ranking(SOURCE, TARGET).kept  # the strong config's newest run
    assert kept_run in (long_names["strong"], long_names["forgot"])
    label = f"deep_coral+… · {kept_run[-6:]}"
    assert notes == [f"Compare recommends keeping the source-only model of run {label}, not any run."]
