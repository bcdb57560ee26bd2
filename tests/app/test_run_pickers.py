"""Compare's Runs picker and Predict's run picker name runs as the tables do: the cut label (a recipe's
methods cut after a "+", the id's end kept, so two runs never read alike), the whole label in the
picker's help; the values stay run ids."""

from __future__ import annotations

from pathlib import Path

from tests.app.helpers import plain
from tests.app.test_ranking_fit import RECIPE
from tests.app.test_ranking_ui import COLLAPSED, GOOD, SOURCE, TARGET, OpenApp, Y, store_run, with_models
from tests.selection.helpers import probabilities
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

WHOLE = "deep_coral+im+fixmatch+shot_pl+adabn"


def _runs(workspace: Path) -> dict[str, str]:
    store = RunStore(Workspace.resolve(workspace))
    return {
        "recipe": store_run(store, RECIPE, GOOD),
        "recipe_too": store_run(store, RECIPE, probabilities(Y, 0.85)),
        "dann": store_run(store, ("dann",), COLLAPSED),
    }


def test_compares_runs_picker_shows_the_tables_cut_label(app: OpenApp, workspace: Path) -> None:
    runs = _runs(workspace)
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    picker = next(m for m in at.multiselect if m.label == "Runs")
    assert set(picker.value) <= set(runs.values())  # the values are still run ids
    shown = {name: picker.format_func(run_id) for name, run_id in runs.items()}
    assert (
        shown
        == {
            "recipe": f"deep_coral+… · {runs['recipe'][-6:]}",  # was the 45-character label
            "recipe_too": f"deep_coral+… · {runs['recipe_too'][-6:]}",  # told apart by the id's end
            "dann": f"dann · {runs['dann'][-6:]}",
        }
    )
    assert set(at.dataframe[0].value["run"]) == set(shown.values())  # as the ranking table names them
    said = plain(picker.help)  # the cut composition whole, with its runs' ids
    assert f"in full: {WHOLE} (" in said and runs["recipe"][-6:] in said and runs["recipe_too"][-6:] in said


def test_predicts_run_picker_shows_the_tables_cut_label(app: OpenApp, workspace: Path) -> None:
    runs = _runs(workspace)
    with_models(RunStore(Workspace.resolve(workspace)), runs.values())  # Predict lists the runs with a model
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    picker = next(s for s in at.selectbox if s.label == "Run")
    assert picker.value in runs.values()  # the value is still a run id
    assert (
        sorted(o.replace(" (recommended)", "") for o in picker.options)
        == sorted(
            label  # the sidebar's pair's runs: no pair after them (it cut each option at 1024 px)
            for label in (
                f"deep_coral+… · {runs['recipe'][-6:]}",
                f"deep_coral+… · {runs['recipe_too'][-6:]}",
                f"dann · {runs['dann'][-6:]}",
            )
        )
    )
    assert f"in full: {WHOLE} (" in plain(picker.help)
