"""The commands that only read the run and sweep stores, ``data list``, ``methods``, and the help of
the others, start without torch: the command tree loads a command's module only when the command line
names it (:func:`tlcore.cli.parser_for`), and a command's module imports the engine's torch code in its
handler (``data list`` reads :mod:`tlcore.data.catalog` and :mod:`tlcore.data.shift_table`, and the
package ``tlcore.data`` loads its names on first use; ``methods`` reads :mod:`tlcore.method_table`;
``runs show``'s alarm computes EnsV over the pair's runs in numpy, :mod:`tlcore.selection.ensemble`;
``sweeps show`` and ``runs rank`` read the specs' text with :mod:`tlcore.data.spec_text` and the kept
model's command with :mod:`tlcore.adapt.source_only_run`, and load a run's target only to show where its
predictions moved)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.sweeps.inline_executor import InlineExecutor
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import COMMANDS, Command, build_parser, main
from tlcore.runs import driver
from tlcore.runs.run_files import BLANK_FILE
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.selection.predictions import TargetFingerprint, TargetPredictions
from tlcore.selection.scores import RunValidators, ValidatorScores, ValidatorSettings
from tlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "umap", "tlcore.methods", "tlcore.training")
# every command's help: the help of a command that runs a model reads its defaults and choices from
# torch-free modules (diagnosis_settings, run_model_options, model_names)
HELP_WITHOUT_TORCH = [
    [*words, "--help"]
    for words in (
        ("diagnose",),
        ("predict",),
        ("export",),
        ("adapt",),
        ("sweep",),
        ("methods",),
        ("data",),
        ("data", "list"),
        ("data", "inspect"),
        ("data", "upload"),
        ("runs", "show"),
        ("runs", "rank"),
        ("runs", "changes"),
        ("runs", "cancel"),
        ("runs", "delete"),
        ("sweeps", "show"),
        ("sweeps", "cancel"),
        ("sweeps", "resume"),
    )
]
CLI = """import sys
from tlcore.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as end:  # --help
    code = end.code
print("heavy:", *[m for m in sys.argv[0].split(",") if m in sys.modules], file=sys.stderr)
sys.exit(code)
"""


def cli(*argv: str, heavy: tuple[str, ...] = HEAVY) -> tuple[str, list[str]]:
    """stdout of ``python -m tlcore ARGV`` in a fresh interpreter, and the ``heavy`` modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", CLI.replace("sys.argv[0]", repr(",".join(heavy))), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr.splitlines()[-1].split()[1:]


@pytest.fixture
def one_run(workspace: Workspace) -> tuple[Workspace, str]:
    return workspace, RunStore(workspace).create(AdaptConfig("mnist5k", "digits", ("im",)))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["runs", "--help"],
        ["runs", "list", "--help"],
        ["runs", "list"],
        ["runs", "list", "--json"],
        ["sweeps", "--help"],
        ["sweeps", "list"],
        ["sweeps", "list", "--find", "dann", "--offset", "1"],
        ["data", "list"],
        ["data", "list", "--json"],
        ["methods"],
        ["methods", "--json"],
        *HELP_WITHOUT_TORCH,
    ],
    ids=" ".join,
)
def test_the_store_commands_and_the_help_start_without_torch(
    one_run: tuple[Workspace, str], argv: list[str]
) -> None:
    workspace, run_id = one_run
    out, heavy = cli("--workspace", str(workspace.root), *argv)
    assert heavy == []
    if "--help" in argv:
        assert out.startswith(f"usage: python -m tlcore {' '.join(argv[:-1])}".rstrip())
    if argv == ["runs", "list"]:
        assert run_id in out and "queued" in out and "im  " in out
    if argv[:2] == ["runs", "list"] and "--json" in argv:
        assert [row["id"] for row in json.loads(out)] == [run_id]
    if argv == ["data", "list"]:
        assert out.startswith("name ") and "\nmnist5k " in out
        assert "\n  rotate       -180..180  degrees" in out
    if argv == ["data", "list", "--json"]:
        listing = json.loads(out)
        assert [d["name"] for d in listing["domains"][:3]] == ["mnist5k", "digits", "fashion"]
        assert listing["shifts"][0] == {
            "name": "rotate",
            "param": "degrees, counter-clockwise",
            "low": -180,
            "high": 180,
            "identity": 0.0,
        }
    if argv == ["methods"]:
        assert out.startswith("name             family           kind       description\nsource_only ")
        assert (
            "\n                                             params: weight=0.3, momentum=0.9, ramp=True\n"
            in out
        )
    if argv == ["methods", "--json"]:
        listing = json.loads(out)["methods"]
        assert [m["name"] for m in listing[:3]] == ["source_only", "target_only", "finetune"]
        assert listing[-1] == {
            "name": "shot_pl",
            "family": "self-training",
            "kind": "term",
            "description": "SHOT's clustering pseudo-labels: each target sample trained towards its nearest "
            "class centroid in feature space.",
            "needs_target_labels": False,
            "params": {"weight": 0.3, "momentum": 0.9, "ramp": True},
            "choices": {},
        }
    if argv == ["sweeps", "list"]:
        assert out == "no sweeps yet\n"
    if "--find" in argv:
        assert out == "no sweeps match 'dann'\n"  # none at all: no offset to speak of


def _done_run(store: RunStore, methods: str, before: list[list[float]], after: list[list[float]]) -> str:
    """A done run of mnist5k -> digits with validators and target predictions, no training; its blank
    warning stored (as the first ``runs show`` stores it: computing it loads the target, and torch)."""
    run_id = store.create(AdaptConfig("mnist5k", "digits", (methods,)))
    scores = ValidatorScores(0.9, -0.1, -0.1, 0.5, 0.5, 1.0, -0.3, 2.0, 100, 4)
    validators = RunValidators(scores, scores, ValidatorSettings(), TargetFingerprint(4, "0" * 64))
    predictions = TargetPredictions(np.array(before, np.float32), np.array(after, np.float32))
    paired = {"b": 12, "c": 1, "n": 300}
    result = {
        "target_accuracy": 0.5,
        "source_only_accuracy": 0.55,
        "paired": paired,
        "validators": validators.to_dict(),
    }
    assert store.start(run_id, 1) and store.finish(run_id, result, write_predictions=predictions.save)
    (store.folder(run_id) / BLANK_FILE).write_text('{"blank": null}', encoding="utf-8")
    return run_id


@pytest.mark.parametrize("form", [[], ["--json"], ["--history"]], ids=["text", "json", "history"])
def test_runs_show_judges_the_alarm_without_torch(workspace: Workspace, form: list[str]) -> None:
    """Two runs on one shared baseline: the ensemble of the three distinct models labels the samples
    0, 0, 1, 1 (class-0 means 0.77, 0.73, 0.47, 0.23); the baseline and run b's model agree on all four,
    run a's on three, so a's alarm is raised on EnsV (75% against its source-only model's 100%). Run a
    stores a paired test against its source-only model: its p-value loads no scipy.stats either."""
    store = RunStore(workspace)
    baseline = [[0.6, 0.4], [0.6, 0.4], [0.4, 0.6], [0.4, 0.6]]
    a = _done_run(store, "im", baseline, [[0.9, 0.1], [0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])
    _done_run(store, "deep_coral", baseline, [[0.8, 0.2], [0.7, 0.3], [0.2, 0.8], [0.2, 0.8]])
    shown = ("--workspace", str(workspace.root), "runs", "show", a, *form)
    out, heavy = cli(*shown, heavy=(*HEAVY, "scipy.stats"))
    assert heavy == []
    if form == ["--json"]:
        alarm = json.loads(out)["alarm"]
        assert alarm["raised"] is True
        ensemble = next(c for c in alarm["checks"] if c["name"] == "ensemble_agreement")
        assert (ensemble["before"], ensemble["after"], ensemble["checked"]) == (1.0, 0.75, True)
        assert ensemble["paired"] == {"b": 1, "c": 0, "n": 4, "p_value": 1.0}  # sample 3: only the baseline
        assert json.loads(out)["paired_test"]["p_value"] == pytest.approx(2 * 14 / 2**13)
    else:
        assert "(11 more wrong of 300, 12 right to wrong and 1 wrong to right; McNemar p = 0.0034)" in out
        fell = (
            "fell 1 sample of 4 (only the adapted model agrees with the ensemble on 0, only the source-only"
        )
        assert f"  alarm    ALARM: ensemble agreement below source-only's (75.0% vs 100.0%): {fell} " in out
        assert " model on 1; McNemar p = 1.0: within chance)\n" in out
        assert ("learning curves" in out) == (form == ["--history"])


def test_a_command_that_reads_tensors_loads_torch_when_named(one_run: tuple[Workspace, str]) -> None:
    out, heavy = cli("--workspace", str(one_run[0].root), "data", "inspect", "digits")
    assert heavy == ["torch"] and out.startswith("digits: 1797 image samples of shape [1, 28, 28]\n")


def paths(commands: tuple[Command, ...], above: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's words, ``("runs", "show")`` for a sub-command."""
    found = []
    for command in commands:
        found += [(*above, command.name), *paths(command.actions, (*above, command.name))]
    return found


@pytest.mark.parametrize("path", paths(COMMANDS), ids=" ".join)
def test_help_loaded_on_demand_is_the_full_trees(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    with pytest.raises(SystemExit):
        main([*path, "--help"])
    assert capsys.readouterr().out == parser.format_help()


@pytest.fixture
def done_sweep(workspace: Workspace) -> tuple[Workspace, str]:
    """A sweep of im and dann over seeds 0 and 1, its four trials done by a stand-in worker."""
    budget = {"epochs": 2}  # the stand-in worker's steps
    spec = SweepSpec("mnist5k", "digits", (("im",), ("dann",)), seeds=(0, 1), budget=budget)
    sweep_id = driver.create(workspace, spec)
    executor = InlineExecutor(workspace, "tests.runs.fake_workers:quick")
    driver.drive(workspace, sweep_id, executor=executor, poll=0.0)
    return workspace, sweep_id


@pytest.mark.parametrize(
    "form", [[], ["--json"], ["--trials"], ["--csv"]], ids=["text", "json", "trials", "csv"]
)
def test_sweeps_show_starts_without_torch(done_sweep: tuple[Workspace, str], form: list[str]) -> None:
    """The summary reads each trial's numbers and stored predictions (changes.py loads a run's target
    only for the samples it shows); every trial's target accuracy is the stand-in's 0.9, im listed first."""
    workspace, sweep_id = done_sweep
    out, heavy = cli("--workspace", str(workspace.root), "sweeps", "show", sweep_id, *form)
    assert heavy == []
    if form == ["--json"]:
        shown = json.loads(out)
        assert shown["counts"] == {"done": 4} and len(shown["trials"]) == 4
    elif form == ["--csv"]:
        assert [line.split(",")[0] for line in out.splitlines()] == ["config", "im", "dann"]
    else:
        assert f"sweep {sweep_id}: done\n" in out and "\n +  im\n      2/2       -     90.0% ± 0.0% " in out
        assert out.count(" done ") == (4 if form == ["--trials"] else 0)  # a row per trial


@pytest.mark.parametrize(
    "form", [[], ["--json"], ["--alarms"], ["--run"]], ids=["text", "json", "alarms", "run"]
)
def test_runs_rank_starts_without_torch(workspace: Workspace, form: list[str]) -> None:
    """The two runs of :func:`test_runs_show_judges_the_alarm_without_torch`, ranked by EnsV: b's model
    agrees with the ensemble on all four samples, a's on three, so b ranks first and a's alarm is raised;
    the pair's spec is read as text (``anchored``), the kept model's command made without torch."""
    store = RunStore(workspace)
    baseline = [[0.6, 0.4], [0.6, 0.4], [0.4, 0.6], [0.4, 0.6]]
    a = _done_run(store, "im", baseline, [[0.9, 0.1], [0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])
    b = _done_run(store, "deep_coral", baseline, [[0.8, 0.2], [0.7, 0.3], [0.2, 0.8], [0.2, 0.8]])
    pair = ("--source", "MNIST5K", "--target", "digits")  # as anchored spells it: mnist5k
    argv = ["--run", a] if form == ["--run"] else form
    out, heavy = cli("--workspace", str(workspace.root), "runs", "rank", *pair, *argv)
    assert heavy == []
    if form == ["--json"]:
        ranked = json.loads(out)
        assert [e["run_id"] for e in ranked["entries"]] == [b, a] and ranked["blank"] is None
    else:
        assert out.index(b) < out.index(a)
