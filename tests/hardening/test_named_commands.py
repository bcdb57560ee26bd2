"""Commands the engine names inside a sentence carry the user's workspace, as the pasteable lines do
(tests/hardening/test_printed_commands.py): ``runs list``'s "``runs cancel ID --force`` ends it", the
shared-samples fix's ``data drop-copies`` (also as a run's result stored it, read back by ``runs show``),
the missing upload's ``data list``, a kept-summary-less upload's ``data list --scan`` and ``diagnose
--features``' ``runs list``. Given ``--workspace DIR`` they name it; without one, they do not."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tlcore.cli import main
from tlcore.cli.stores import outliving
from tlcore.commands import command_in
from tlcore.data.catalog import upload_table
from tlcore.data.overlap import SharedSamples, for_workspace, stored_fix
from tlcore.data.uploads import NAMED_UPLOADS, upload_path
from tlcore.errors import TLError
from tlcore.runs.process_stop import RUN
from tlcore.workspace import ENV_VAR, Workspace

SPACED = "/tmp/a ws"  # a folder a shell splits unless it is quoted
GIVEN = ["--workspace", SPACED]


def named(text: str, before: str, after: str) -> list[str]:
    """The words after ``python -m tlcore`` of the command between ``before`` and ``after`` in ``text``."""
    command = text.split(before, 1)[1].split(after, 1)[0]
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "tlcore"], command
    return words[3:]


def test_an_outliving_workers_cancel_command_carries_the_workspace() -> None:
    record: Any = SimpleNamespace(id="r1", status="interrupted", updated=time.time())  # closed by a look
    cancel = ["runs", "cancel", "r1", "--force"]
    assert named(outliving(record, 4321, RUN, SPACED), "still runs: ", " ends it") == [*GIVEN, *cancel]
    assert named(outliving(record, 4321, RUN), "still runs: ", " ends it") == cancel


COPIES = SharedSamples(
    base="later.csv",
    shared=4,
    n_source=60,
    n_target=30,
    shared_test=2,
    n_test=6,
    shared_held_out=0,
    n_source_val=12,
    seed=0,
    test_fraction=0.2,
    shifts=("", ""),
    fix=None,
    images=False,
    by="content",
    copies=("t1", "t2", "t3", "t4"),
)


def test_the_drop_copies_fix_carries_the_workspace_and_a_stored_one_gets_it_when_shown() -> None:
    drop = ["data", "drop-copies"]
    assert named(COPIES.line(workspace=SPACED), "and 1 more; ", " drops") == [*GIVEN, *drop]
    assert named(COPIES.line(), "and 1 more; ", " drops") == drop
    stored = COPIES.to_dict()  # as a run's result keeps it: no workspace
    assert stored["text"] == COPIES.line()
    assert COPIES.to_dict(workspace=SPACED)["text"] == COPIES.line(workspace=SPACED)  # --json
    assert for_workspace(stored, SPACED) == stored | {"text": COPIES.line(workspace=SPACED)}  # runs show
    assert for_workspace(stored, None) == stored
    assert named(stored_fix(stored, workspace=SPACED), "more; ", " drops") == [*GIVEN, *drop]


def test_runs_show_names_drop_copies_in_the_workspace_it_was_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of a table whose later file repeats source rows: its result keeps the fix without a
    workspace; ``runs show --workspace DIR`` names DIR in it, ``runs show`` under ``$TLSTUDIO_WORKSPACE``
    does not."""
    rows = [f"{i / 7:.4f},{i % 5},{'ab'[i % 2]}" for i in range(60)]
    new = [f"{100 + i}.25,{i % 5},{'ab'[i % 2]}" for i in range(18)]
    for name, lines in (("sensors.csv", rows), ("later.csv", new[:9] + rows[5:17] + new[9:])):
        (tmp_path / name).write_text("temp,flow,label\n" + "\n".join(lines) + "\n")
    folder = str(tmp_path / "my ws")
    pair = ["--source", str(tmp_path / "sensors.csv"), "--target", str(tmp_path / "later.csv")]
    argv = ["adapt", *pair, "--method", "source_only", "--epochs", "1", "--json"]
    assert main(["--workspace", folder, *argv]) == 0
    ran = json.loads(capsys.readouterr().out)
    drop = ["data", "drop-copies"]
    assert named(ran["shared_samples"]["text"], "more; ", " drops") == ["--workspace", folder, *drop]
    result = json.loads((Path(folder) / "runs" / ran["run_id"] / "result.json").read_text())
    assert named(result["shared_samples"]["text"], "more; ", " drops") == drop  # stored without it
    assert main(["--workspace", folder, "runs", "show", ran["run_id"]]) == 0
    shown = " ".join(capsys.readouterr().out.split())  # unwrapped
    assert named(shown, "more; ", " drops") == ["--workspace", folder, *drop]
    assert main(["--workspace", folder, "runs", "show", ran["run_id"], "--json"]) == 0
    text = json.loads(capsys.readouterr().out)["shared_samples"]["text"]
    assert named(text, "more; ", " drops") == ["--workspace", folder, *drop]
    monkeypatch.setenv(ENV_VAR, folder)
    assert main(["runs", "show", ran["run_id"]]) == 0
    assert named(" ".join(capsys.readouterr().out.split()), "more; ", " drops") == drop


def test_a_missing_upload_and_an_upload_without_summary_name_data_list_in_their_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Errors and rows that know only the workspace's folder (:func:`tlcore.commands.command_in`): its
    absolute path, unless it is ./workspace of the current folder."""
    monkeypatch.chdir(tmp_path)
    here = tmp_path.resolve()
    for root, where in ((here / "my ws", ["--workspace", str(here / "my ws")]), (here / "workspace", [])):
        workspace = Workspace.resolve(root)
        for i in range(NAMED_UPLOADS + 1):
            (workspace.uploads / f"u{i}.csv").write_text("a,label\n1,x\n")
        with pytest.raises(TLError) as refused:
            upload_path(workspace, "nosuch")
        assert named(str(refused.value), "; `", "` lists") == [*where, "data", "list"]
        (row, *_) = upload_table(workspace)  # no summary kept: the command that keeps them
        assert named(row["description"], "keeps them (", " reads") == [*where, "data", "list", "--scan"]
    assert command_in(here / "workspace", "runs", "list") == "python -m tlcore runs list"


def test_diagnose_features_refusal_names_runs_list_in_the_workspace_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = str(tmp_path / "my ws")
    argv = ["diagnose", "--source", "mnist5k:n=50", "--target", "digits:n=50", "--features", "bogus"]
    assert main(["--workspace", folder, *argv]) == 2
    err = capsys.readouterr().err
    assert named(err, "(see ", ")") == ["--workspace", folder, "runs", "list"] and err.count("\n") == 1
    monkeypatch.setenv(ENV_VAR, folder)
    assert main(argv) == 2
    assert named(capsys.readouterr().err, "(see ", ")") == ["runs", "list"]
