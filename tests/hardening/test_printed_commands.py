"""The commands the engine prints carry the user's workspace (the CLI audit: given ``--workspace DIR``,
Diagnose's adapt suggestion, ``runs rank``'s predict line and the source-only command said nothing of
it, so pasted they looked in ./workspace and found "no such upload"): pasted into a shell in the same
folder, each works. Without ``--workspace`` they stay as they were."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.selection.helpers import BASELINE, Y, candidate, pair_pool, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.source_only_run import runs_show_command, source_only_command
from tlcore.cli import main
from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.commands import app_workspace, command_line
from tlcore.selection.ranking import Ranking, rank
from tlcore.views.ranking import rank_command, report_sections
from tlcore.views.ranking_caveats import blind_spot
from tlcore.workspace import ENV_VAR

SPACED = "/tmp/a ws"  # a folder a shell splits unless it is quoted


def given(command: str) -> list[str]:
    """The words of a printed command after ``python -m tlcore``, as a shell splits them."""
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "tlcore"], command
    return words[3:]


def test_a_command_carries_the_workspace_given_quoted_and_none_without_one() -> None:
    assert command_line("runs", "show", "r1", workspace=SPACED) == (
        "python -m tlcore --workspace '/tmp/a ws' runs show r1"
    )
    assert command_line("runs", "show", "r1") == "python -m tlcore runs show r1"


def test_the_app_names_its_workspace_unless_it_is_the_default_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    here = tmp_path.resolve()
    assert app_workspace(here / "workspace") is None  # ./workspace: a shell here finds it unaided
    assert app_workspace(here / "elsewhere") == str(here / "elsewhere")  # $TLSTUDIO_WORKSPACE's


def test_the_source_only_and_runs_show_commands_carry_it() -> None:
    config = AdaptConfig(source="mnist5k", target="digits", epochs=3)
    trains = ["adapt", "--source", "mnist5k", "--target", "digits", "--method", "source_only"]
    trains += ["--epochs", "3"]
    assert given(source_only_command(config, workspace=SPACED)) == ["--workspace", SPACED, *trains]
    assert given(source_only_command(config)) == trains
    assert given(runs_show_command("r1", workspace=SPACED)) == ["--workspace", SPACED, "runs", "show", "r1"]


def _unlabelled() -> Ranking:
    """Two runs that err alike on an unlabelled target: one is recommended, with the caveat that says
    to check it on labelled samples."""
    wrong, wronger = probabilities((Y + 1) % 3, 0.9), probabilities((Y + 1) % 3, 0.8)
    return rank(pair_pool(candidate("a", BASELINE, wrong), candidate("b", BASELINE, wronger)))


def test_runs_rank_names_the_predict_command_with_the_workspace_and_the_app_its_page(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ranking = _unlabelled()
    page = blind_spot(ranking) or ""
    assert page.endswith("check its accuracy on them (the Predict page).") and "python -m" not in page
    shell = blind_spot(ranking, shell=True, workspace=SPACED) or ""
    # the recommended run's own id (audit helper-275: it read RUN_ID), the labelled file still to make
    predict = ["--workspace", SPACED, "predict", ranking.recommended, "--data", "upload:FILE"]
    assert ranking.recommended in ("a", "b")
    assert given(shell.split("`")[1]) == predict and shell.endswith("`).")
    assert given((blind_spot(ranking, shell=True) or "").split("`")[1]) == predict[2:]
    assert ranking_json(ranking, workspace=SPACED)["caveat"] == shell  # runs rank --json
    assert report_sections(ranking, {}, shell=True, workspace=SPACED)[0].note.endswith(shell)  # --report
    assert report_sections(ranking, {})[0].note.endswith(page)  # the app's report
    print_ranking(ranking, workspace=SPACED)
    assert f"caveat: {shell}" in " ".join(capsys.readouterr().out.split())  # wrapped to the terminal
    assert given(rank_command(ranking, workspace=SPACED))[:4] == ["--workspace", SPACED, "runs", "rank"]


def test_diagnose_prints_its_commands_with_the_workspace_given_and_shares_its_cache_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``diagnose --workspace DIR``: the recommended recipe's ``adapt`` command and the one that trains the
    missing source-only model carry it; the explanation is cached without it, so the same workspace read
    from ``$TLSTUDIO_WORKSPACE`` reuses it and prints the commands without ``--workspace``."""
    folder = str(tmp_path / "my ws")
    argv = ["diagnose", "--source", "mnist5k:n=200", "--target", "digits:n=200", "--json"]
    argv += ["--permutations", "50", "--no-umap"]
    assert main(["--workspace", folder, *argv]) == 0
    data = json.loads(capsys.readouterr().out)
    (adapt,) = [c["action"] for c in data["explanation"]["verdict"]["causes"] if c["kind"] == "adaptation"]
    recipe = ["adapt", "--source", "mnist5k:n=200", "--target", "digits:n=200", "--recipe", "recommended"]
    assert given(adapt.split(": ", 1)[1]) == ["--workspace", folder, *recipe]
    assert given(data["label_shift_estimate"]["command"])[:3] == ["--workspace", folder, "adapt"]
    monkeypatch.setenv(ENV_VAR, folder)
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["explanation"]["seconds"] == data["explanation"]["seconds"]  # read back from the cache
    (plain,) = [c["action"] for c in again["explanation"]["verdict"]["causes"] if c["kind"] == "adaptation"]
    assert given(plain.split(": ", 1)[1]) == recipe
    assert given(again["label_shift_estimate"]["command"])[0] == "adapt"
