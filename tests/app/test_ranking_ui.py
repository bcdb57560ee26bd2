"""The label-free ranking and the negative-transfer alarm on the Compare and Adapt pages and in the
report, on stored runs whose validator scores and predictions are constructed (no training)."""

from __future__ import annotations

import io
import json
import os
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_support.state import COMPARE_RUNS
from tests.app.helpers import pair_field, plain
from tests.app.test_escaping import _result, deferred_downloads
from tests.selection.helpers import candidate, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import save_checkpoint
from tlcore.cli import main
from tlcore.data import save_upload
from tlcore.models import build_model
from tlcore.runs.blank_target import pair_blank_warning
from tlcore.runs.run_files import CHECKPOINT_FILE
from tlcore.runs.store import RunStore
from tlcore.views import ranking_caveats
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"
Y = np.arange(30) % 3
BASELINE = probabilities(np.where(np.arange(30) < 20, Y, (Y + 1) % 3), 0.6)
GOOD = probabilities(Y, 0.9)  # every target sample right, 0.9 confident
COLLAPSED = probabilities(np.zeros(30, dtype=int), 0.95)  # class 0 for every sample, 0.95 confident


def store_run(
    store: RunStore,
    methods: tuple[str, ...],
    after: np.ndarray,
    target: str = TARGET,
    model: str = "auto",
    *,
    before: np.ndarray = BASELINE,
    **kw: Any,
) -> str:
    """A done run of ``SOURCE -> target`` whose result carries the validators of a constructed candidate
    (its source-only model's target probabilities ``before``)."""
    config = AdaptConfig(source=SOURCE, target=target, methods=methods, epochs=1, model=model)
    made = candidate("x", before, after, **kw)
    run_id = store.create(config)
    result = _result(config) | {"validators": made.validators.to_dict()}
    assert store.start(run_id, os.getpid())
    assert store.finish(run_id, result, write_predictions=made.predictions.save)
    return run_id


def with_models(store: RunStore, run_ids: Iterable[str]) -> None:
    """Give the runs ``run_ids`` a (stand-in) saved model: Predict lists only the runs that have one."""
    for run_id in run_ids:
        (store.get(run_id).folder / CHECKPOINT_FILE).touch()


@pytest.fixture
def pool(workspace: Path) -> dict[str, str]:
    store = RunStore(Workspace.resolve(workspace))
    return {
        # its DEV and IWCV rest on 2 effective samples of the importance weights
        "good": store_run(store, ("deep_coral", "im"), GOOD, ess=2.0),
        "collapsed": store_run(store, ("dann",), COLLAPSED),
    }


def test_compare_recommends_the_good_run_and_flags_the_collapsed_one(
    app: OpenApp, pool: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = deferred_downloads(monkeypatch)
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    assert next(s.value for s in at.subheader) == "Which run to keep, without target labels"
    assert f"The runs of {SOURCE} → {TARGET}, the sidebar's pair." in [plain(c.value) for c in at.caption]
    (recommended,) = at.success
    assert recommended.icon == ":material/verified:"
    assert plain(recommended.value).startswith(
        f"Recommended: deep_coral+im · {pool['good'][-6:]}, the highest"
    )
    flags = [plain(e.value) for e in at.error if "Negative transfer suspected" in plain(e.value)]
    assert flags == [
        "Negative transfer suspected for 1 of 2 runs, none of them a false alarm by the target labels."
    ]
    (why,) = at.expander[0].dataframe[0].value.to_dict("records")  # each flagged run's reasons
    assert why["run"] == f"dann · {pool['collapsed'][-6:]}"
    assert "collapsed onto 1.0 effective classes" in why["why"]
    table = at.dataframe[0].value
    assert table["status"].tolist() == ["recommended", "alarm"]
    assert at.multiselect[0].value[0] == pool["good"]  # the recommended run is compared first
    report = downloads["tlstudio-report.html"]()
    assert "Which run to keep, without target labels" in report and "effective classes" in report
    assert "DEV and IWCV are unreliable for 1 of 2 runs" in report


def test_ranking_by_another_validator_and_advanced_ones_on_request(
    app: OpenApp, pool: dict[str, str]
) -> None:
    at = app("compare", source=SOURCE, target=TARGET)
    rank_by = at.selectbox[0]
    assert not [o for o in rank_by.options if o.startswith("SND")] and rank_by.value == "ensv"
    # the collapsed run is left out of EnsV's ensemble: it holds 1 adapted model and 1 source-only model,
    # outvoted, so EnsV's ranking ranks by BNM (the good run's 30 rows, 10 per class, share three rows
    # of singular values 1.0, 0.85, 0.85: nuclear norm sqrt(10) * 2.7 = 8.54, over 30: 0.285) and says so
    assert plain(at.success[0].value).startswith(
        f"Recommended: deep_coral+im · {pool['good'][-6:]}, the highest BNM (0.285)"
    )
    assert any(
        "so the runs are ranked by BNM in EnsV's place and not held to ensemble agreement" in plain(c.value)
        for c in at.caption
    )
    # under the picker that still reads EnsV, one caption: the table is ranked by BNM, why in brief and
    # what BNM is (QA helper-249: EnsV's words above "Ranked by BNM" described what did not rank)
    instead = (
        "Ranked by BNM in EnsV's place: its ensemble holds 1 adapted model and 1 source-only model, too few "
        "adapted ones to judge by (the note below the recommendation says more). BNM (batch nuclear-norm "
        "maximisation): nuclear norm of the target probabilities over n (Cui et al. 2020)."
    )
    captions = [plain(c.value) for c in at.caption]
    assert instead in captions
    assert not [c for c in captions if c.startswith("EnsV (ensemble validation)")]
    unreliable = [plain(w.value) for w in at.warning if "unreliable" in plain(w.value)]
    assert unreliable == [
        "DEV and IWCV are unreliable for 1 of 2 runs: their importance weights rest on 2.0 effective "
        f"samples of 100 (deep_coral+im · {pool['good'][-6:]}), fewer than 30 (the ESS column), so a few "
        "source samples decide those scores."
    ]
    table = at.dataframe[0].value
    assert table["ESS"].tolist()[0] == 2.0  # the collapsed run's was never stored
    columns = list(table.columns)
    assert columns[columns.index("IWCV") + 1] == "ESS"  # beside the scores it is about, not off-screen
    rank_by.set_value("dev").run()  # the one passing run's DEV is unreliable: no recommendation
    assert not at.exception and not at.success
    (undecided,) = [i for i in at.info if plain(i.value).startswith("No recommendation")]
    assert plain(undecided.value).startswith("No recommendation: the DEV of every run that passed")
    assert undecided.icon == ":material/help:"  # not the check mark of a recommendation
    at.selectbox[0].set_value("im").run()
    assert not at.exception
    assert "highest IM" in plain(at.success[0].value)
    assert not [c for c in at.caption if plain(c.value).startswith("Ranked by")]  # IM ranks as asked
    im = "IM (information maximisation): confident yet diverse target predictions, H(mean p) - mean H(p)"
    assert im in [plain(c.value) for c in at.caption]  # under the picker: what ranked
    at.toggle[0].set_value(True).run()
    assert [o for o in at.selectbox[0].options if o.startswith("SND")]
    assert "SND" in at.dataframe[0].value.columns


def test_keep_the_source_only_model_is_a_warning_without_a_check_mark(app: OpenApp, workspace: Path) -> None:
    store_run(RunStore(Workspace.resolve(workspace)), ("dann",), COLLAPSED)
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception and not at.success
    kept = [w for w in at.warning if plain(w.value).startswith("Keep the source-only model")]
    assert [plain(w.value) for w in kept] == [
        "Keep the source-only model: the one run did not pass the guardrails: it collapsed."
    ]  # alone, its ensemble is its source-only model: the agreement check has nothing to judge by
    assert kept[0].icon == ":material/undo:"


def test_the_adapt_page_flags_the_run_the_alarm_names(app: OpenApp, pool: dict[str, str]) -> None:
    at = app("adapt", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    flags = [plain(e.value) for e in at.error if "Negative transfer suspected" in plain(e.value)]
    assert len(flags) == 1 and "dann" in flags[0]
    # EnsV judges a run among the pair's others: the card says so, in runs show's words
    assert flags[0].endswith("(judged within a pool of 2 runs of this pair)")


def test_the_predict_page_shows_the_chosen_runs_alarm(
    app: OpenApp, workspace: Path, pool: dict[str, str]
) -> None:
    """Predict offers every run with a model: the one whose alarm is raised says so beside the picker,
    in the Compare page's sentence with the pool it was judged in (as on Adapt's card); the other
    shows none."""
    store = RunStore(Workspace.resolve(workspace))
    with_models(store, pool.values())  # listed as having a model
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    at.selectbox[0].set_value(pool["collapsed"]).run()
    flags = [plain(e.value) for e in at.error if "Negative transfer suspected" in plain(e.value)]
    compare = app("compare", source=SOURCE, target=TARGET)
    pool_note = " (judged within a pool of 2 runs of this pair)"
    assert len(flags) == 1 and flags[0].endswith(pool_note)
    (why,) = compare.expander[0].dataframe[0].value.to_dict("records")  # Compare's flagged run
    said = f"Negative transfer suspected for {why['run']}: {why['why']}"
    # the check the outvoted ensemble (1 adapted model, 1 source-only) did not make: Predict says it too
    said += (
        "; ensemble agreement not checked: the ensemble holds 1 adapted model and 1 source-only model, so "
        "agreeing with it mostly means agreeing with the source-only models"
    )
    said += f" (with the target labels: {why['with the target labels']})"
    assert flags[0].removesuffix(pool_note) == said
    at.selectbox[0].set_value(pool["good"]).run()
    assert not [e for e in at.error if "Negative transfer suspected" in plain(e.value)]


def test_an_alarm_the_target_labels_contradict_is_a_caution_not_an_error(
    app: OpenApp, workspace: Path
) -> None:
    """The alarm's own text says "false alarm" when the target accuracy rose: no red box for it."""
    store = RunStore(Workspace.resolve(workspace))
    store_run(store, ("deep_coral", "im"), GOOD)
    collapsed = AdaptConfig(source=SOURCE, target=TARGET, methods=("dann",), epochs=1)
    made = candidate("x", BASELINE, COLLAPSED)
    run_id = store.create(collapsed)
    result = _result(collapsed) | {"validators": made.validators.to_dict(), "target_accuracy": 0.8}
    assert store.start(run_id, os.getpid())
    assert store.finish(run_id, result, write_predictions=made.predictions.save)
    for page in ("compare", "adapt"):
        at = app(page, source=SOURCE, target=TARGET)
        assert not at.exception, [e.message for e in at.exception]
        flagged = [plain(w.value) for w in at.warning if "Negative transfer suspected" in plain(w.value)]
        assert len(flagged) == 1 and "false alarm" in flagged[0], page
        assert not [e for e in at.error if "Negative transfer suspected" in plain(e.value)], page


def test_runs_opened_in_compare_are_ranked_with_their_own_pair(
    app: OpenApp, workspace: Path, pool: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A run another page opens in Compare (Sweep's "Open in Compare") is ranked among its own pair's
    runs, whatever the sidebar's pair; the page says which pair it ranks, and the command it shows
    prints the same ranking, pasted as shown: it carries the app's workspace ($TLSTUDIO_WORKSPACE here)."""
    at = app("home", source="mnist5k:n=200", target="digits:n=200")  # no runs on the sidebar's pair
    at.session_state[COMPARE_RUNS] = [pool["collapsed"]]
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Which run to keep, without target labels" in [s.value for s in at.subheader]
    assert plain(at.success[0].value).startswith(f"Recommended: deep_coral+im · {pool['good'][-6:]}")
    said = " ".join(plain(c.value) for c in at.caption)
    assert f"{SOURCE} → {TARGET}, the pair of the runs opened in Compare" in said
    assert "the sidebar's pair is mnist5k:n=200 → digits:n=200" in said
    assert next(m for m in at.multiselect if m.label == "Runs").value == [pool["collapsed"]]
    command = at.code[0].value
    # ranked among the runs covering the opened run's target samples; the validator as asked (EnsV), which
    # ranks by BNM here: the ensemble (the good run's two models; the collapsed one left out) is outvoted
    assert command == (
        f"python -m tlcore --workspace {Workspace.resolve(workspace).root} runs rank --source {SOURCE} "
        f"--target {TARGET} --validator ensv --run {pool['collapsed']}"
    )
    capsys.readouterr()
    assert main([*shlex.split(command)[3:], "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    table = at.dataframe[0].value
    assert cli["recommended"] == pool["good"]
    assert [r.split(" · ")[1] for r in table["run"]] == [e["run_id"][-6:] for e in cli["entries"]]
    assert table["EnsV"].tolist() == pytest.approx([e["scores"]["ensv"] for e in cli["entries"]])
    next(b for b in at.button if b.label == "Back to the sidebar's pair").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Which run to keep, without target labels" not in [s.value for s in at.subheader]


def test_changing_the_sidebars_pair_lets_go_of_the_runs_opened_in_compare(
    app: OpenApp, pool: dict[str, str]
) -> None:
    """Runs opened from another page are ranked among their pair until the user picks another pair."""
    at = app("home", source="mnist5k:n=200", target="digits:n=200")  # no runs on the sidebar's pair
    at.session_state[COMPARE_RUNS] = [pool["collapsed"]]
    at.switch_page("app_pages/compare.py").run()
    assert "Which run to keep, without target labels" in [s.value for s in at.subheader]
    pair_field(at).set_value("digits:n=300").run()
    assert not at.exception, [e.message for e in at.exception]
    assert COMPARE_RUNS not in at.session_state
    assert "Which run to keep, without target labels" not in [s.value for s in at.subheader]


def test_a_run_stored_before_the_ess_is_not_recommended_on_its_dev_and_the_page_says_why(
    app: OpenApp, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Compare page and ``runs rank`` say the same: the old run's DEV is the best but unchecked."""
    store = RunStore(Workspace.resolve(workspace))
    old = store_run(store, ("dann",), GOOD, source_after=0.97)  # no ESS stored
    new = store_run(store, ("deep_coral",), GOOD, ess=40.0)
    at = app("compare", source=SOURCE, target=TARGET)
    at.selectbox[0].set_value("dev").run()
    assert not at.exception, [e.message for e in at.exception]
    (recommended,) = at.success
    said = plain(recommended.value)
    assert said.startswith(f"Recommended: deep_coral · {new[-6:]}, the highest DEV")
    assert f"dann · {old[-6:]} also passed the guardrails, but its DEV cannot be vouched for" in said
    capsys.readouterr()
    command = ["runs", "rank", "--source", SOURCE, "--target", TARGET, "--validator", "dev"]
    assert main(["--workspace", str(workspace), *command]) == 0
    assert f"recommended: run {new}\n" in capsys.readouterr().out


def test_cli_predict_with_an_alarmed_run_warns_as_the_page_does(
    workspace: Path, pool: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: the app's Predict page shows the chosen run's alarm; ``predict`` said nothing."""
    store = RunStore(Workspace.resolve(workspace))
    for run_id in pool.values():  # a real (untrained) model, so that predict runs
        model = build_model("lenet_bn", (1, 28, 28), 10, pretrained=False)
        save_checkpoint(store.get(run_id).folder / CHECKPOINT_FILE, model, {}, tuple(map(str, range(10))))
    argv = ["--workspace", str(workspace), "predict", "--data", "digits:n=20"]
    assert main([*argv, pool["collapsed"], "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["alarm"]["raised"] is True
    assert err.startswith(f"warning: run {pool['collapsed']}: ALARM: predictions collapsed onto 1.0")
    assert "(judged within a pool of 2 runs of this pair)" in err
    assert main([*argv, pool["good"]]) == 0
    assert "ALARM" not in capsys.readouterr().err  # no alarm (its untrained model is warned of: one class)
    # the warning wraps to the terminal, each continuation line indented under it
    wide = err
    monkeypatch.setenv("COLUMNS", "60")
    assert main([*argv, pool["collapsed"], "--json"]) == 0
    narrow = capsys.readouterr().err.splitlines()
    assert len(narrow) > len(wide.splitlines()) and all(len(line) <= 60 for line in narrow)
    assert narrow[0].startswith(f"warning: run {pool['collapsed']}: ALARM:")
    assert all(line.startswith("  ") for line in narrow[1:]) and " ".join(wide.split()) == " ".join(
        " ".join(narrow).split()
    )


def test_compare_warns_that_the_pairs_target_is_blank(app: OpenApp, workspace: Path) -> None:
    ws = Workspace.resolve(workspace)
    buffer = io.BytesIO()
    np.savez(buffer, X=np.zeros((30, 1, 28, 28), dtype=np.float32))  # no ink in any image
    target = f"upload:{save_upload(ws, 'blank.npz', buffer.getvalue())}"
    store_run(RunStore(ws), ("im",), GOOD, target=target)
    at = app("compare", source=SOURCE, target=target)
    assert not at.exception, [e.message for e in at.exception]
    blank = pair_blank_warning(RunStore(ws), SOURCE, target)  # what `runs rank` says
    assert blank is not None and blank.startswith("30 of 30 target images are blank (no ink)")
    assert [plain(w.value) for w in at.warning if "blank" in plain(w.value)] == [blank]


def test_compare_downloads_do_not_rerun_the_page(app: OpenApp, pool: dict[str, str]) -> None:
    """QA helper-70: "Metrics (CSV)" then "Report (HTML)" at once downloaded nothing
    (MediaFileStorageError: Deferred file … not found): the CSV's click reran the page, which
    registered the report's deferred file anew and dropped the id the browser still held. Downloads
    now leave the page as it is (``on_click="ignore"``), so the report's id stays valid."""
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert {"Metrics (CSV)", "Report (HTML)"} <= set(buttons)
    assert all(proto.ignore_rerun for proto in buttons.values()), list(buttons)


def test_the_caveats_command_is_code_not_backticks(
    app: OpenApp, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA helper-246: the caveat under a recommendation on an unlabelled target showed "`python -m tlcore
    predict RUN_ID --data upload:FILE`" with its backticks: escaped, they were no Markdown code (this
    pool's target is labelled: the caveat is given)."""
    said = "Check it on labelled samples (or `python -m tlcore predict RUN_ID --data FILE`)."
    monkeypatch.setattr(ranking_caveats, "blind_spot", lambda ranking: said)
    store_run(RunStore(Workspace.resolve(workspace)), ("deep_coral",), GOOD)
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception and at.success
    (caveat,) = [c.value for c in at.caption if "Check it on" in c.value]
    assert r"(or `python -m tlcore predict RUN_ID --data FILE`\)\." in caveat  # code, as written
