"""Every command's ``--json`` as a script reads it: one strict JSON document on stdout, exit code 0,
the same document when asked twice; a refusal is one ``error:`` line on stderr, exit code 2, stdout
empty. Walks the parser tree, so a command added without ``--json`` or without a case here fails."""

from __future__ import annotations

import argparse
import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sweeps.stored_sweeps import many_sweeps
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import build_parser, main
from tlcore.cli.output import print_json
from tlcore.runs.store import RunStore
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

PAIR = ("--source", "mnist5k", "--target", "digits")  # the judged runs' pair
SMALL = ("--source", "mnist5k:n=40", "--target", "digits:n=40")
# each leaf command with --json: its arguments ({run}: a done run, {queued}: a queued run, {sweep}: a
# queued sweep, {csv}: a small table); False: it changes the workspace, so it is asked once
CASES = {
    "data list": (["data", "list"], True),
    "data inspect": (["data", "inspect", "digits:n=20"], True),
    "data upload": (["data", "upload", "{csv}"], True),
    "data drop-copies": None,  # a pair sharing copies: tests/data/test_drop_copies.py covers its --json
    "diagnose": None,  # loads torch and data: tests/diagnosis cover its --json
    "adapt": (["adapt", *SMALL, "--method", "dann", "--estimate"], True),
    "runs list": (["runs", "list"], True),
    "runs show": (["runs", "show", "{run}"], True),
    "runs rank": (["runs", "rank", *PAIR], True),
    "runs changes": None,  # a run's real predictions: tests/selection cover its --json
    "runs cancel": (["runs", "cancel", "{queued}", "--wait", "0"], False),
    "runs delete": (["runs", "delete", "{run}"], False),
    "cache": (["cache"], True),
    "methods": (["methods"], True),
    "predict": None,  # a trained model: tests/predict cover its --json
    "export": None,  # a trained model: tests/export cover its --json
    "sweep": None,  # runs its trials: tests/sweeps cover its --json
    "sweeps list": (["sweeps", "list"], True),
    "sweeps show": (["sweeps", "show", "{sweep}"], True),
    "sweeps cancel": (["sweeps", "cancel", "{sweep}", "--wait", "0"], False),
    "sweeps resume": None,  # drives trials: tests/sweeps cover it
}


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, set[str]]]:
    """Every leaf command of the tree as ``("runs show", its option strings)``."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), {o for a in parser._actions for o in a.option_strings}
    for action in subs:
        for name, child in action.choices.items():
            yield from leaves(child, (*path, name))


def strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_every_command_has_json_and_a_case() -> None:
    commands = dict(leaves(build_parser()))
    assert sorted(commands) == sorted(CASES)
    assert [name for name, options in commands.items() if "--json" not in options] == []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, judged_pair: tuple[Workspace, list[str]]) -> Path:
    """The judged pair's workspace with a queued run and a queued sweep."""
    root = shutil.copytree(judged_pair[0].root, tmp_path_factory.mktemp("json") / "ws")
    store = RunStore(Workspace.resolve(root))
    store.create(AdaptConfig("mnist5k", "digits", ("dann",)))
    many_sweeps(SweepStore(store.workspace), 1)
    return root


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case and case[1] is not None])
def test_json_is_one_strict_document(
    name: str, built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = shutil.copytree(built, tmp_path / "ws")
    store = RunStore(Workspace.resolve(root))
    done = store.list("done")[0].id
    table = tmp_path / "tiny.csv"
    table.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
    fill = {
        "{run}": done,
        "{queued}": store.list("queued")[0].id,
        "{sweep}": SweepStore(store.workspace).list(1)[0].id,
        "{csv}": str(table),
    }
    argv, repeatable = CASES[name]
    argv = ["--workspace", str(root), *(fill.get(a, a) for a in argv), "--json"]
    documents = []
    for _ in range(3 if repeatable else 1):  # the first may fill a cache (adapt's probe) that it says
        code, (out, err) = main(argv), capsys.readouterr()
        assert code == 0, err
        documents.append(strict(out))
        assert out.endswith("}\n") or out.endswith("]\n")
    if repeatable:
        assert documents[1] == documents[2]
    if name == "runs delete":  # the deleted run's record, and the run gone
        assert documents[0]["id"] == done and done not in [r.id for r in store.list()]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["runs", "show", "nosuch"], "no run nosuch in"),
        (["runs", "delete", "nosuch"], "no run nosuch in"),
        (["sweeps", "show", "nosuch"], "no sweep nosuch in"),
        (["data", "inspect", "mnist5k:n=zz"], "n=zz: must be a positive whole number"),
        (["data", "upload", "missing.csv"], "no such file"),
        (["adapt", *PAIR, "--method", "dann", "--param", "dann.weight=abc", "--estimate"], "must be float"),
        (["runs", "list", "--status", "bogus"], "argument --status: invalid choice: 'bogus'"),
        (["cache", "--prune", "--clear"], "argument --clear: not allowed with argument --prune"),
        (["methods", "extra"], "unrecognized arguments: extra"),
    ],
)
def test_a_refusal_is_one_error_line_and_exit_2(
    argv: list[str], said: str, built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["--workspace", str(built), *argv, "--json"])
    except SystemExit as end:  # argparse's refusals end the process
        code = end.code
    out, err = capsys.readouterr()
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert err.startswith("error: ") and said in err


def test_print_json_writes_a_non_finite_number_as_null(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"score": math.nan, "scores": [1.5, math.inf, (-math.inf,)], "path": Path("a")})
    assert strict(capsys.readouterr().out) == {"score": None, "scores": [1.5, None, [None]], "path": "a"}
