"""Every command takes a run or sweep id, or a unique prefix or suffix of it (the pages show an id's
last 6 characters: QA helper-143's ``runs show 08c04e`` said "no run 08c04e")."""

from __future__ import annotations

import pytest

from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.errors import TLError
from tlcore.runs import driver
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace


def _cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_runs_end_or_start_names_it_in_every_run_command(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    store = RunStore(workspace)
    first, second = (store.create(AdaptConfig("mnist5k", "digits", ("im",))) for _ in range(2))
    code, out, _ = _cli(workspace, capsys, "runs", "show", first[-6:])
    assert code == 0 and out.startswith(f"run {first}: queued")
    assert store.resolve(first[:-3]) == first and store.resolve(first) == first
    code, out, err = _cli(workspace, capsys, "runs", "show", "2")  # both ids start so
    assert (code, out) == (2, "")
    assert err == (
        f"error: run id 2 is ambiguous: 2 runs' ids begin or end so ({', '.join(sorted((first, second)))}); "
        "give more of it\n"
    )
    assert _cli(workspace, capsys, "runs", "show", "%")[2] == f"error: no run % in {workspace.root}\n"
    code, out, _ = _cli(workspace, capsys, "runs", "cancel", second[-6:])
    assert code == 0 and store.get(second).status == "cancelled"
    code, out, _ = _cli(workspace, capsys, "runs", "delete", second[-6:])
    assert (code, out) == (0, f"run {second} deleted\n")
    assert [r.id for r in store.list()] == [first]


def test_a_sweeps_end_names_it(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    sweep_id = driver.create(workspace, SweepSpec("mnist5k", "digits", (("im",),), seeds=(0,)))
    code, out, _ = _cli(workspace, capsys, "sweeps", "show", sweep_id[-6:], "--json")
    assert code == 0 and f'"{sweep_id}"' in out
    with pytest.raises(TLError, match=f"no sweep {sweep_id[-6:]}0 in"):
        SweepStore(workspace).resolve(sweep_id[-6:] + "0")
