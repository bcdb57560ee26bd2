"""Long and wide class names in the CLI's tables (helper-76's 20- and 30-class pairs): every table cuts
a name to :data:`~tlcore.cli.output.NAME_CAP` columns with an ellipsis, sizes its name column to the
longest name shown, keeps two spaces between columns and counts an East Asian wide character as two
columns; ``runs show``'s confusion matrix numbers its columns when the names would not fit."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.diagnosis.test_diagnose import FEW, _clustered
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.cli.diagnose_text import format_report
from tlcore.cli.explain_text import label_shift_lines
from tlcore.cli.output import NAME_CAP, display_width, text_table
from tlcore.diagnosis import diagnose
from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

SHIRT = 'Shirt "formal" long-sleeved with collar and buttons'  # 51 characters
CUT = 'Shirt "formal" long-sleeved…'  # its first 27 and the ellipsis: 28 columns
CAT = "猫 (ねこ)"  # 3 wide characters: 9 columns of 6 characters
NAMES = ("digit 3 (three, trois)", SHIRT, CAT, "Bag")


def column(line: str, text: str) -> int:
    """The terminal column where ``text`` starts in ``line``."""
    return display_width(line[: line.index(text)])


def test_a_text_table_cuts_long_cells_and_counts_wide_characters_twice() -> None:
    lines = text_table(["class", "samples"], [[SHIRT, 12], [CAT, 3], ["Bag", 100]])
    assert display_width(CUT) == NAME_CAP and display_width(CAT) == 9
    assert lines == [
        f"{'class':<28}  samples",
        f"{CUT}       12",
        f"{CAT}{' ' * 19}        3",
        f"{'Bag':<28}      100",
    ]
    assert text_table(["a", "b"], [["x", 1.23456]]) == ["a      b", "x  1.235"]  # floats: 4 digits


def test_diagnoses_per_class_table_keeps_its_columns_apart() -> None:
    """Old: ``digit 3 (three, trois)0.2842``, the class column padded to 18 characters."""
    source, target = _clustered("s", (60, 20, 20, 20), 0), _clustered("t", (20, 20, 20, 60), 1, moved=1)
    report = diagnose(
        replace(source, classes=NAMES), replace(target, classes=NAMES), settings=FEW, umap=False
    )
    lines = format_report(report)
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("class "))
    header, rows = lines[start], lines[start + 1 : start + 5]
    mmd = column(header, "MMD²")
    assert mmd == 2 + NAME_CAP + 2  # the cut name column, then two spaces
    for gap, row in zip(report.per_class, rows, strict=True):
        value = f"{gap['mmd2']:.4g}"
        assert column(row, value) == mmd, row
    assert rows[1].startswith(f"  {CUT}  ") and rows[2].startswith(f"  {CAT}{' ' * 19}  ")


def test_the_class_proportions_table_keeps_its_columns_apart() -> None:
    """Old: ``digit 3 (three, trois)    5.4%`` under a class column of 12 characters."""
    y = torch.arange(400) % 4
    logits = 10.0 * torch.nn.functional.one_hot(y, 4).double()
    est = estimate_label_shift(logits, y, logits, NAMES, settings=LabelShiftSettings(n_bootstrap=20))
    lines = label_shift_lines(est)
    header = lines[1]
    assert header.split()[:3] == ["class", "source", "EM"]
    end = column(header, "source") + len("source")  # right-aligned: every row's share ends there
    rows = lines[2:6]
    assert [row.split("  ")[1].strip() for row in rows] == ["digit 3 (three, trois)", CUT, CAT, "Bag"]
    for row in rows:
        assert column(row, "25.0%") + len("25.0%") == end, row
    assert lines[6].lstrip().startswith("TV to source")


def _stored(workspace: Workspace, classes: list[str], confusion: list[list[int]]) -> str:
    store = RunStore(workspace)
    run_id = store.create(AdaptConfig("mnist5k", "digits", ("im",)))
    assert store.start(run_id, os.getpid())
    matrix = np.asarray(confusion)
    accuracy = {
        c: (float(matrix[i, i] / matrix[i].sum()) if matrix[i].sum() else None) for i, c in enumerate(classes)
    }
    result = {"target_accuracy": 0.5, "per_class_accuracy": accuracy, "confusion": confusion}
    assert store.finish(run_id, result)
    return run_id


def test_runs_show_numbers_the_columns_of_a_wide_confusion(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old: every confusion column as wide as the longest class name, 1,118-character lines at 20
    classes. Now 20 classes fit in 120 columns, numbered as the rows' ``#``; a predicted class with no
    target test sample is named below."""
    classes = [f"class {i} with a long name" for i in range(18)] + [SHIRT, CAT]
    confusion = (np.eye(20, dtype=int) * 12 + 1).tolist()
    confusion[5] = [0] * 20  # no target test sample of class 5: its row is left out
    run_id = _stored(workspace, classes, confusion)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["--workspace", str(workspace.root), "runs", "show", run_id]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index(
        "  confusion on the target test split (rows: true class, columns: predicted class by its # number)"
    )
    table = out[start + 1 : start + 21]
    assert all(display_width(line) <= 120 for line in table)
    assert table[0].split()[:3] == ["#", "true", "0"] and table[0].split()[-1] == "19"
    assert table[1].split()[:2] == ["0", "class"] and table[6].split()[0] == "6"  # 5 left out
    assert table[19].startswith(f"    19  {CAT}{' ' * 19}   1")
    assert table[18].startswith(f"    18  {CUT}   1")
    assert out[start + 21] == "    predicted classes with no target test sample: 5 class 5 with a long name"
    per_class = out.index("    class                         samples  accuracy")
    assert out[per_class + 19] == f"    {CAT}{' ' * 19}       32     40.6%"  # 13 of 32
    # a few short names still head their columns
    small = _stored(workspace, ["cat", "dog"], [[3, 1], [0, 2]])
    assert main(["--workspace", str(workspace.root), "runs", "show", small]) == 0
    assert "    true  cat  dog\n    cat     3    1\n    dog     0    2\n" in capsys.readouterr().out


def test_runs_show_splits_a_30_class_confusion_into_column_blocks_that_fit(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA (helper-76's 30-class pair): numbered columns still made 156-column lines at 30 classes. Now
    the predicted columns come in blocks that each fit the terminal (120 or 70 columns), every block
    repeating the rows' ``#`` and name, and every count is printed once."""
    classes = [f"category {i:02d} - a long name" for i in range(29)] + [CAT]
    confusion = (np.eye(30, dtype=int) * 12 + np.arange(30)[:, None] % 3).tolist()
    run_id = _stored(workspace, classes, confusion)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["--workspace", str(workspace.root), "runs", "show", run_id]) == 0
    out = capsys.readouterr().out.splitlines()
    title = "  confusion on the target test split (rows: true class, columns: predicted class by its # number"
    start = out.index(f"{title}; 2 blocks)")
    first, second = out[start + 1 : start + 32], out[start + 32 : start + 64]
    assert second[0] == "" and max(display_width(line) for line in out[start:]) <= 120
    assert first[0].split()[:3] == ["#", "true", "0"] and first[0].split()[-1] == "20"
    assert second[1].split() == ["#", "true", *map(str, range(21, 30))]
    assert first[30].split()[-1] == "2" and second[31].split()[-1] == "14"  # row 29: + 29 % 3 everywhere
    assert second[31].startswith(f"    29  {CAT}")
    numbers = [int(x) for line in first[1:] for x in line.split()[-21:]]
    numbers += [int(x) for line in second[2:] for x in line.split()[-9:]]
    assert sum(numbers) == int(np.asarray(confusion).sum())
    monkeypatch.setenv("COLUMNS", "70")  # QA: the title alone stayed 107 columns wide
    assert main(["--workspace", str(workspace.root), "runs", "show", run_id]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("  confusion on the target test split (rows: true class, columns:")
    assert out[start + 1] == "  predicted class by its # number; 4 blocks)"  # the blocks fit 70 columns too
    blocks = out[start + 2 : start + 2 + 4 * 32]  # 4 blocks of a header and 30 rows, a blank between
    assert max(display_width(line) for line in blocks) <= 70 and blocks[-1].startswith(f"    29  {CAT}")
