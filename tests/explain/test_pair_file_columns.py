"""A pair of tables without a header whose label columns sit in different places: Diagnose names each
moved column by the source's file and the target's (tlcore.data.domain.pair_shown_name), in the
engine the page explains with and in ``diagnose --json`` alike."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.explain.test_verdict_cli import run
from tlcore.data.domain import pair_shown_name
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_sides
from tlcore.explain.columns import column_drift
from tlcore.explain.settings import ExplainSettings

NAMES = (  # the source's label last, the target's first: its features one column further right
    "column 1 of the source's file (2 of the target's)",
    "column 2 of the source's file (3 of the target's)",
    "column 3 of the source's file (4 of the target's)",
)


def write_pair(folder: Path, *, target_label_first: bool) -> tuple[str, str]:
    """60 rows of 3 features and a label; the target's second feature moved by 2."""
    X = np.random.default_rng(0).normal(size=(60, 3)).round(3)
    labels = np.where(X[:, 0] > 0, "a", "b")
    moved = X + np.array([0.0, 2.0, 0.0])
    with (folder / "src.csv").open("w") as fh:
        fh.writelines(",".join(map(str, row)) + f",{label}\n" for row, label in zip(X, labels, strict=True))
    with (folder / "tgt.csv").open("w") as fh:
        for row, label in zip(moved, labels, strict=True):
            cells = [label, *map(str, row)] if target_label_first else [*map(str, row), label]
            fh.write(",".join(cells) + "\n")
    target = f"{folder}/tgt.csv" + (":label=0" if target_label_first else "")
    return f"{folder}/src.csv", target


def test_a_place_is_named_in_both_files_only_where_they_hold_it_apart() -> None:
    assert pair_shown_name("feature 1", (0, 1, 2), (1, 2, 3)) == NAMES[1]
    assert pair_shown_name("feature 1=north", (0, 1, 2), (1, 2, 3)) == NAMES[1] + "=north"
    assert pair_shown_name("feature 1", (0, 1, 2), (0, 1, 2)) == "column 2 of the file"
    assert pair_shown_name("feature 1", (0, 1, 2), ()) == "column 2 of the file"
    assert pair_shown_name("alcohol", (), ()) == "alcohol"


@pytest.mark.parametrize(
    ("label_first", "names"),
    [(True, NAMES), (False, ("column 1 of the file", "column 2 of the file", "column 3 of the file"))],
    ids=["target-label-first", "same-layout"],
)
def test_the_columns_diagnose_explains_are_named_in_each_file(
    tmp_path: Path, label_first: bool, names: tuple[str, ...]
) -> None:
    source, target = harmonise(*load_sides(*write_pair(tmp_path, target_label_first=label_first)))
    drift = column_drift(source, target, ExplainSettings())
    assert tuple(c.name for c in drift) == names
    assert [c.name for c in drift if c.fires] == [names[1]]


def test_diagnose_json_names_the_moved_column_in_both_files(capsys, tmp_path: Path) -> None:
    source, target = write_pair(tmp_path, target_label_first=True)
    data = json.loads(run(capsys, tmp_path, "--source", source, "--target", target, "--json"))
    columns = {row["name"]: row for row in data["explanation"]["columns"]}
    assert tuple(columns) == NAMES and columns[NAMES[1]]["severity"] == "strong"
    out = run(capsys, tmp_path, "--source", source, "--target", target)
    assert f"Verdict: Most of the gap: {NAMES[1]} moved +2.44 source SDs." in out
