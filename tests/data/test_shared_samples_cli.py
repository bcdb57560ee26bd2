"""The samples a pair shares in the CLI's JSON (``shared_samples``: the counts, each side's share, the
split they are of, the fix and the line the text prints) and in ``diagnose --held-out``."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import pytest

from tests.data.data_formats import copied_digit_zips
from tests.data.test_drop_copies import mnist_digits
from tests.worker_start import landing_at_once
from tlcore.adapt import copy_search
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.copy_search import FOLDER
from tlcore.adapt.pair import load_run_pair
from tlcore.cli import main
from tlcore.commands import command_line
from tlcore.runs import driver, estimate_start, probe
from tlcore.workspace import Workspace

SOURCE, TARGET = "mnist5k:n=400", "mnist5k:n=200,rotate=30"  # the target: 200 source images, rotated
KEYS = {
    "by",
    "base",
    "shared",
    "n_source",
    "n_target",
    "source_share",
    "target_share",
    "shared_test",
    "n_test",
    "shared_held_out",
    "n_source_val",
    "seed",
    "test_fraction",
    "fix",
    "copies",
    "near_copies",
    "target_labelled",
    "shared_train",
    "n_train",
    "text",
}


def cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_adapt_and_diagnose_json_carry_the_shared_samples_of_the_seeds_split(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = ("--source", SOURCE, "--target", TARGET, "--seed", "3")
    expected = load_run_pair(AdaptConfig(source=SOURCE, target=TARGET, seed=3), workspace)
    split_by_3 = expected.shared(AdaptConfig(source=SOURCE, target=TARGET, seed=3))
    assert split_by_3 is not None
    estimated = cli(workspace, capsys, "adapt", *pair, "--epochs", "1", "--estimate", "--json")[
        "shared_samples"
    ]
    assert set(estimated) == KEYS and estimated == split_by_3.to_dict()
    assert (estimated["shared"], estimated["n_source"], estimated["n_target"]) == (200, 400, 200)
    assert (estimated["source_share"], estimated["target_share"]) == (0.5, 1.0)
    assert (estimated["seed"], estimated["test_fraction"]) == (3, 0.2)
    assert (estimated["shared_test"], estimated["n_test"]) == (31, 41)  # seed 0 splits 35 of 40
    assert estimated["text"].startswith(
        "source and target share images of mnist5k: all 200 of the target's samples are source samples "
        "(the same images, told apart only by the target's rotate=30), and 31 of the 41 target test "
        "samples a run with seed 3 scores on are source training samples"
    )
    diagnosed = cli(workspace, capsys, "diagnose", *pair, "--no-umap", "--no-explain", "--json")
    assert diagnosed["shared_samples"] == estimated  # the same pair, loaded and split with seed 3
    other = ("--source", SOURCE, "--target", "digits:n=200", "--no-umap", "--no-explain", "--json")
    assert cli(workspace, capsys, "diagnose", *other)["shared_samples"] is None  # the key is always there


def test_a_runs_json_and_its_held_out_diagnosis_say_what_the_held_out_splits_share(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        "--source",
        SOURCE,
        "--target",
        TARGET,
        "--seed",
        "3",
        "--method",
        "source_only",
        "--epochs",
        "1",
    )
    ran = cli(workspace, capsys, "adapt", *config, "--json")
    shared = ran["shared_samples"]
    assert (shared["shared_held_out"], shared["n_source_val"], shared["n_test"]) == (10, 80, 41)
    held_out = ("diagnose", "--features", f"run:{ran['run_id']}", "--held-out", "--no-umap", "--no-explain")
    assert cli(workspace, capsys, *held_out, "--json")["shared_samples"] == shared | {
        "text": shared["text"] + "; the held-out splits a run measures its gap on share images: 10 of the 41 "
        "target test samples are among the 80 source validation samples, so the gap compares them with "
        "themselves, shifted"
    }
    assert main(["--workspace", str(workspace.root), *held_out]) == 0
    out = capsys.readouterr().out
    assert "  shared: source and target share images of mnist5k: all 200 of the target's samples" in out
    assert "share images: 10 of the 41 target test samples are among the 80 source validation samples" in out


def test_a_table_repeating_source_rows_under_another_name_is_found_by_content(
    tmp_path: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two files (no sample id in common): the later one repeats 12 source rows among 18 new ones
    (QA helper-154: no warning, a diagnosis that read the copies as no gap)."""
    rows = [f"{i / 7:.4f},{i % 5},{'ab'[i % 2]}" for i in range(60)]
    new = [f"{100 + i}.25,{i % 5},{'ab'[i % 2]}" for i in range(18)]
    for name, lines in (("sensors.csv", rows), ("later.csv", new[:9] + rows[5:17] + new[9:])):
        (tmp_path / name).write_text("temp,flow,label\n" + "\n".join(lines) + "\n")
    specs = str(tmp_path / "sensors.csv"), str(tmp_path / "later.csv")
    pair = ("--source", specs[0], "--target", specs[1])
    estimated = cli(workspace, capsys, "adapt", *pair, "--epochs", "1", "--estimate", "--json")
    shared = estimated["shared_samples"]
    assert set(shared) == KEYS and (shared["by"], shared["fix"]) == ("content", None)
    assert (shared["shared"], shared["n_source"], shared["n_target"]) == (12, 60, 30)
    assert shared["copies"] == [str(row) for row in range(9, 21)]  # the target's rows 9..20
    # the test split's copies counted by bytes: target test rows among the source's training rows
    split = load_run_pair(AdaptConfig(source=specs[0], target=specs[1]), workspace)
    train = {bytes(x.numpy()) for x in split.source_train.X}
    assert shared["shared_test"] == sum(bytes(x.numpy()) in train for x in split.target_test.X) == 4
    assert shared["shared_train"] == sum(bytes(x.numpy()) in train for x in split.target_train.X) == 6
    assert shared["n_train"] == len(split.target_train.X) == 24  # what a run adapts to: counted too
    assert shared["text"].startswith(
        "the target repeats source samples, found by content: 12 of the target's 30 samples are exact "
        "copies of source samples, and 4 of the 6 target test samples a run with seed 0 scores on are "
        "copies of source training samples"
    )
    drop = command_line("data", "drop-copies", workspace=str(workspace.root))  # the --workspace given
    assert shared["text"].endswith(
        f"remove the copies from the target (sample ids 9, 10, 11 and 9 more; {drop} drops them)"
    )
    diagnose = ("diagnose", *pair, "--no-umap", "--no-explain")
    assert cli(workspace, capsys, *diagnose, "--json")["shared_samples"] == shared
    assert main(["--workspace", str(workspace.root), *diagnose]) == 0
    assert "  shared: the target repeats source samples, found by content: 12 of the target's 30" in (
        capsys.readouterr().out
    )


def test_a_sweep_says_what_its_pair_shares_before_it_starts_and_leaves_the_search_to_its_trials(
    workspace: Workspace,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """As ``adapt`` does, the line before the estimate and the key in ``--json`` (the first trial's
    splits); the near copies' search is stored in the workspace, where the trials' processes read it
    (the sweep said nothing, and each trial searched)."""
    launched: list[str] = []
    monkeypatch.setattr(driver, "launch", lambda _, sweep_id: launched.append(sweep_id))
    monkeypatch.setattr(
        probe, "measure", lambda *_: {"single": [0.1], "paired": [0.3], "forward_per_sample": 0.001}
    )
    monkeypatch.setattr(estimate_start, "measure_in_background", landing_at_once(1.0))
    source, target, _ = copied_digit_zips(tmp_path, *mnist_digits())
    pair = ("--source", str(source), "--target", str(target), "--seed", "2")
    monkeypatch.setattr(copy_search, "_MEMO", OrderedDict())  # a fresh process (other tests search this pair)
    adapt = cli(workspace, capsys, "adapt", *pair, "--epochs", "1", "--estimate", "--json")["shared_samples"]
    searches = list(workspace.inside(*FOLDER).glob("*"))
    assert len(searches) == 1  # adapt's own check stored it
    searches[0].unlink()
    monkeypatch.setattr(copy_search, "_MEMO", OrderedDict())  # as in the sweep's own process
    sweep = ["sweep", *pair[:4], "--seeds", "2", "--methods", "dann", "--epochs", "1", "--detach"]
    assert main(["--workspace", str(workspace.root), *sweep]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("shared: the target repeats source images, found by content: 20 of the target's 28")
    assert out.index("shared: ") < out.index("estimated: ") < out.index(f"sweep {launched[0]} started")
    assert len(list(workspace.inside(*FOLDER).glob("*"))) == 1  # searched once more, for the trials
    assert cli(workspace, capsys, *sweep, "--json")["shared_samples"] == adapt


def test_diagnose_stores_the_near_copy_search_that_drop_copies_and_adapt_read(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One search of the whole pair, in the workspace's cache: ``diagnose`` stores it and the next
    processes (each with an empty memo) read it, ``data drop-copies`` and a run's check alike."""
    searched: list[int] = []
    search = copy_search.near_copies
    monkeypatch.setattr(copy_search, "near_copies", lambda s, t: searched.append(len(t)) or search(s, t))
    source, target, _ = copied_digit_zips(tmp_path, *mnist_digits())
    pair = ("--source", str(source), "--target", str(target))
    monkeypatch.setattr(copy_search, "_MEMO", OrderedDict())
    diagnosed = cli(workspace, capsys, "diagnose", *pair, "--no-umap", "--no-explain", "--json")
    assert diagnosed["shared_samples"]["shared"] == 20 and len(searched) == 1
    assert len(list(workspace.inside(*FOLDER).glob("*"))) == 1
    monkeypatch.setattr(copy_search, "_MEMO", OrderedDict())  # another process
    dropped = cli(workspace, capsys, "data", "drop-copies", *pair, "--json")
    assert (dropped["dropped"], dropped["near_copies"]) == (20, 10) and len(searched) == 1
    monkeypatch.setattr(copy_search, "_MEMO", OrderedDict())
    cfg = AdaptConfig(source=str(source), target=str(target))
    found = load_run_pair(cfg, workspace).shared(cfg)
    assert found is not None and found.shared == 20 and len(searched) == 1
