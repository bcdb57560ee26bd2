"""``runs rank --report`` writes the Compare page's HTML report; ``runs rank`` and ``runs show`` warn of
a blank target (stand-in validators and predictions, no training), a warning each run stores once."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tests.runs.fake_workers import make_config, quick
from tests.selection.helpers import candidate, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data import load_domain, save_upload, spec
from tlcore.data.domain import Domain
from tlcore.data.ink import blank_warning, count_blank
from tlcore.runs import blank_target
from tlcore.runs.jobs import execute
from tlcore.runs.run_files import BLANK_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

BLANK = (
    "120 of 120 target images are blank (no ink) and still each get a class from a model: its "
    "predictions, confidences and label-free scores (EnsV among them) on them mean nothing."
)


def blank_upload(workspace: Workspace, n_blank: int, n_inked: int = 0) -> str:
    """An npz upload of ``n_blank`` all-zero 28x28 images then ``n_inked`` with a bright square."""
    X = np.zeros((n_blank + n_inked, 1, 28, 28), dtype=np.float32)
    X[n_blank:, :, 10:18, 10:18] = 1.0
    buffer = io.BytesIO()
    np.savez(buffer, X=X)
    return f"upload:{save_upload(workspace, f'blank{n_blank}.npz', buffer.getvalue())}"


def judged_runs(workspace: Workspace, target: str) -> list[str]:
    """Two done runs of ``mnist5k -> target`` with stand-in scores and predictions over 30 samples."""
    store = RunStore(workspace)
    labels = np.arange(30) % 3
    before = probabilities(labels, 0.6)
    ids = []
    for confidence in (0.7, 0.9):
        made = candidate("x", before, probabilities(labels, confidence))
        run_id = store.create(AdaptConfig("mnist5k", target, ("im",)))
        assert store.start(run_id, os.getpid())
        result = {"validators": made.validators.to_dict(), "config": store.get(run_id).config}
        assert store.finish(run_id, result, write_predictions=made.predictions.save)
        ids.append(run_id)
    return ids


def rank(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], target: str, *argv: str
) -> tuple[int, str, str]:
    code = main(
        ["--workspace", str(workspace.root), "runs", "rank", "--source", "mnist5k", "--target", target, *argv]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_the_share_of_blank_images_decides_the_warning(workspace: Workspace) -> None:
    at_five = load_domain(blank_upload(workspace, 1, 19), workspace)  # 1 of 20: 5%, BLANK_MIN
    assert count_blank(at_five) == 1
    assert blank_warning(at_five, "target").startswith("1 of 20 target images is blank (no ink) and still")
    below = load_domain(blank_upload(workspace, 1, 20), workspace)  # 1 of 21: under 5%
    assert count_blank(below) == 1 and blank_warning(below) is None
    assert count_blank(load_domain("digits:n=50", workspace)) == 0


def test_runs_rank_warns_of_a_blank_target(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    target = blank_upload(workspace, 120)
    first, _ = judged_runs(workspace, target)
    code, out, _ = rank(workspace, capsys, target)
    assert code == 0 and f"\n  warning: {BLANK}\n" in out
    code, out, _ = rank(workspace, capsys, target, "--json")
    assert code == 0 and json.loads(out)["blank"] == BLANK
    # QA: runs show of one of these runs had no warning
    show = ["--workspace", str(workspace.root), "runs", "show", first]
    assert main(show) == 0 and f"\n  warning  {BLANK}\n" in capsys.readouterr().out
    assert main([*show, "--json"]) == 0 and json.loads(capsys.readouterr().out)["blank"] == BLANK


def test_runs_rank_report_writes_the_compare_report(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    judged_runs(workspace, "digits:n=30")
    code, out, _ = rank(workspace, capsys, "digits:n=30", "--json")
    ranking = json.loads(out)
    assert ranking["blank"] is None
    assert main(["--workspace", str(workspace.root), "runs", "show", ranking["entries"][0]["run_id"]]) == 0
    assert "warning" not in capsys.readouterr().out
    ranked = [entry["run_id"] for entry in ranking["entries"]]  # best first
    path = tmp_path / "compare.html"
    code, out, _ = rank(workspace, capsys, "digits:n=30", "--report", str(path))
    assert code == 0 and "warning" not in out
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    titles = re.findall("<h2>([^<]*)</h2>", page)  # labelled as the Compare page labels the runs
    moved = [f"Where the predictions of im · {run_id[-6:]} moved" for run_id in ranked]
    unlabelled = ["Runs", "Target accuracy", "Domain gap"]  # its runs measured no accuracy: it says so
    assert titles == ["Which run to keep, without target labels", *unlabelled, *moved]
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, no temporary left
    code, out, err = rank(workspace, capsys, "digits:n=30", "--report", str(tmp_path / "no" / "c.html"))
    assert (
        code == 2
        and out == ""
        and err == f"error: --report {tmp_path / 'no' / 'c.html'}: no folder {tmp_path / 'no'}\n"
    )
    code, _, err = rank(workspace, capsys, "digits:n=30", "--report", str(tmp_path))
    assert code == 2 and err == f"error: --report {tmp_path}: it is a folder; name an .html file\n"


def test_the_blank_warning_is_computed_once_and_stored(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RunStore(workspace)
    blank, inked = (
        store.create(AdaptConfig("mnist5k", t, ("im",)))
        for t in (blank_upload(workspace, 120), "digits:n=30")
    )
    for run_id, expected in ((blank, BLANK), (inked, None)):
        record = store.get(run_id)
        assert blank_target.computed_blank_warning(store, record) == expected
        assert blank_target.run_blank_warning(store, record) == expected  # computed, then stored
        assert json.loads((record.folder / BLANK_FILE).read_text(encoding="utf-8")) == {"blank": expected}

    def no_loading(*_: object) -> None:
        raise AssertionError("the stored warning is read, the target not loaded")

    monkeypatch.setattr(blank_target, "computed_blank_warning", no_loading)
    show = ["--workspace", str(workspace.root), "runs", "show", blank]
    assert main(show) == 0 and f"\n  warning  {BLANK}\n" in capsys.readouterr().out
    assert main([*show, "--json"]) == 0 and json.loads(capsys.readouterr().out)["blank"] == BLANK
    assert blank_target.run_blank_warning(store, store.get(inked)) is None
    monkeypatch.undo()
    (store.folder(blank) / BLANK_FILE).write_text("{damaged", encoding="utf-8")  # computed again
    assert blank_target.run_blank_warning(store, store.get(blank)) == BLANK
    assert json.loads((store.folder(blank) / BLANK_FILE).read_text(encoding="utf-8")) == {"blank": BLANK}


def test_a_run_whose_worker_passes_no_target_gets_its_blank_warning_on_the_first_read(
    workspace: Workspace,
) -> None:
    """Only the real pipeline hands its target over; a worker that does not (the tests' stand-ins)
    finishes without loading the target again, and the first read stores the warning."""
    store = RunStore(workspace)
    run_id = store.create(make_config(target=blank_upload(workspace, 120)))
    assert execute(store, run_id, quick).status == "done"
    assert not (store.folder(run_id) / BLANK_FILE).exists()  # the old code loaded the target here
    assert blank_target.run_blank_warning(store, store.get(run_id)) == BLANK
    assert json.loads((store.folder(run_id) / BLANK_FILE).read_text(encoding="utf-8")) == {"blank": BLANK}


def test_a_finished_run_stores_the_warning_of_the_target_it_loaded(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker hands over the target its run loaded (harmonised, image files decoded to the source's
    shape): the warning stored is that target's, 120 blank images, and the spec (30 inked digits) is not
    loaded again."""
    loaded = Domain("target", torch.zeros(120, 1, 28, 28), None, ())

    def worker(config: AdaptConfig, ws: Workspace | None, on_event: Any, should_stop: Any) -> Any:
        result = quick(config, ws, on_event, should_stop)
        result.target = loaded
        return result

    def no_loading(*_: object, **__: object) -> None:
        raise AssertionError("the run's target is reused, not loaded again")

    monkeypatch.setattr(spec, "load_domain", no_loading)
    store = RunStore(workspace)
    run_id = store.create(make_config(target="digits:n=30"))
    assert execute(store, run_id, worker).status == "done"
    assert json.loads((store.folder(run_id) / BLANK_FILE).read_text(encoding="utf-8")) == {"blank": BLANK}


def test_runs_rank_says_what_each_short_column_name_is(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA helper-121: the table's EnsV, IM, BNM, DEV, IWCV, CLASSES and ESS were bare abbreviations;
    a legend under it says each in words (the Compare page's column help): the columns shown, the score
    it ranks by, or with --scores every score."""
    target = "digits:n=30"
    judged_runs(workspace, target)
    code, out, _ = rank(workspace, capsys, target)
    legend = out.split("\ncolumns (higher is better for every score; --scores: every validator's score of")[1]
    starts = [line.split(":")[0] for line in legend.splitlines() if line.startswith("  ") and ":" in line]
    ranked = out.split(" ranked by ", 1)[1].split()[0]  # EnsV, or BNM in its place
    assert code == 0 and starts[0].startswith(f"  {ranked} (") and starts[1:3] == ["  CLASSES", "  ESS"]
    code, out, _ = rank(workspace, capsys, target, "--scores")
    legend = out.split("\ncolumns (higher is better for every score):\n")[1]
    starts = [line.split(":")[0] for line in legend.splitlines() if line.startswith("  ") and ":" in line]
    assert code == 0 and starts[:8] == [
        "  EnsV (ensemble validation)",
        "  IM (information maximisation)",
        "  BNM (batch nuclear-norm maximisation)",
        "  DEV (deep embedded validation)",
        "  IWCV (importance-weighted cross-validation)",
        "  source acc (source accuracy)",
        "  MixVal (mixup validation)",
        "  SND (soft neighbourhood density)",
    ]
    assert "  ESS: effective sample size of the importance weights behind DEV and IWCV" in legend
