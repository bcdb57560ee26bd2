"""What a new shell user tripped on in a first hour (QA helper-250): help and output wider than a
100-column terminal, accuracies in two units on one line, a printed command split across lines and
missing the ``--workspace`` it needs, ``data upload --json`` saying less than its text."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from tlcore.cli import build_parser, main
from tlcore.cli.output import ProgressBar, write_report
from tlcore.runs import jobs
from tlcore.workspace import Workspace

RUN_ID = "20260101-000000-abcdef"


def every_parser(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, argparse.ArgumentParser]]:
    """``name``'s parser and that of every command below it."""
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, child in action.choices.items():
                found += every_parser(child, f"{name} {sub}")
    return found


def cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["--workspace", str(workspace.root), *argv]) == 0
    return capsys.readouterr().out


def test_every_help_fits_a_100_column_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    for name, parser in every_parser(build_parser(), "python -m tlcore"):
        wide = [line for line in parser.format_help().splitlines() if len(line) > 100]
        assert not wide, f"`{name} --help`: {wide}"


def test_every_argument_says_what_it_is_and_a_number_is_named() -> None:
    """Every argument has a help line (``runs show ID`` had none); an integer option's value is named
    by its command (N, K, PX), not left to argparse's upper-cased option name (``predict --seed SEED``
    beside ``adapt --seed N``, ``runs list --limit LIMIT``: two words for one thing)."""
    for name, parser in every_parser(build_parser(), "python -m tlcore"):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            assert action.help, f"`{name}`: {action.dest} has no help"
            if action.type is int and action.option_strings:
                assert action.metavar is not None, f"`{name}` {action.option_strings[0]}"


def test_a_detached_run_says_its_follow_command_whole_with_the_workspace(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")  # the command is longer than a line: still on one
    monkeypatch.setattr(jobs, "launch", lambda *_: RUN_ID)
    out = cli(workspace, capsys, "adapt", "--source", "mnist5k:n=60", "--target", "digits:n=60", "--detach")
    lines = out.splitlines()
    assert lines[-2:] == [
        f"run {RUN_ID} started; follow it with:",
        f"  python -m tlcore --workspace {workspace.root} runs show {RUN_ID}",
    ]


def test_runs_list_gives_target_accuracy_in_percent(
    judged_copy: tuple[Workspace, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, ids = judged_copy  # target accuracies 0.7, 0.8, 0.9, newest last
    rows = {
        line.split()[0]: line.split()[3] for line in cli(workspace, capsys, "runs", "list").splitlines()[1:]
    }
    assert [rows[run_id] for run_id in ids] == ["70.0%", "80.0%", "90.0%"]


def test_runs_rank_keeps_two_spaces_between_its_score_columns(
    judged_copy: tuple[Workspace, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, _ = judged_copy
    out = cli(workspace, capsys, "runs", "rank", "--source", "mnist5k", "--target", "digits", "--scores")
    header = next(line for line in out.splitlines() if line.lstrip().startswith("#  EnsV"))  # every score
    assert "  source acc  " in header and "IWCV source acc" not in header


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A headed table of 30 rows: 3 numbers, a text column, a label."""
    rows = [f"{i % 7},{i % 5},{i / 10},{['north', 'south', 'east'][i % 3]},{i % 3}" for i in range(30)]
    path = tmp_path / "shops.csv"
    path.write_text("a,b,c,region,label\n" + "\n".join(rows) + "\n")
    return path


def test_upload_wraps_its_provenance_and_its_json_carries_the_summary(
    workspace: Workspace, table: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out = cli(workspace, capsys, "data", "upload", str(table), "--text", "onehot").splitlines()
    assert max(map(len, out)) <= 100, out
    start = next(i for i, line in enumerate(out) if line.startswith("  provenance: "))
    assert out[start + 1].startswith(" " * 14 + "0/1 column") and out[start + 1].endswith("region (3 values)")
    stored = json.loads(cli(workspace, capsys, "data", "upload", str(table), "--text", "onehot", "--json"))
    assert stored["spec"] == "upload:shops.csv:text=onehot"
    summary = stored["summary"]
    assert (summary["n_samples"], summary["shape"], summary["class_counts"]) == (
        30,
        [6],
        {"0": 10, "1": 10, "2": 10},
    )


def test_the_progress_bar_stays_one_column_inside_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    bar = ProgressBar("deep_coral")
    bar.update(0.5, "adapt: a stage message long enough to run past eighty columns of the terminal")
    assert err.getvalue().startswith("\r") and len(err.getvalue()) == 1 + 79


def test_a_report_says_where_it_was_written_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """diagnose --report and runs rank --report said nothing of the file; on stderr, --json's stdout
    stays one document."""
    report = tmp_path / "ranking.html"
    write_report(report, "<p>" + "x" * 250_000 + "</p>")
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"wrote the report {report} (0.3 MB)\n") and report.stat().st_size == 250_007
