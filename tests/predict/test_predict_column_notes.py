"""``predict``'s notes on how a table's columns met its model, each only where it is true: one table
of the files a user gives a model trained on ``a,b,c`` whose ``b`` was empty in every row (it reads
``a``, ``c``), and on the same file without a header (it reads places 0 and 2). The order note comes
only where the columns both have come in another order; a column between them (unknown, or one the
model was trained without) or one empty and dropped is no reorder (helper-235: ``b``'s removal read as
one). A missing column's refusal names no column the model knows as a renamed one."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from tests.predict.test_predict_cli import cli
from tests.predict.test_predict_dropped_places import IGNORED, UNREAD, notes, table, trained, write
from tlcore.workspace import Workspace

ORDER = "note: data: feature columns taken by name, in the model's order"
UNREAD_B = (
    "note: data: column 'b' was empty in every row of the training file and the model does not read it: "
    "ignored"
)
DROPPED_B = (
    "note: data: column 'b' is empty in every row, so reading dropped it; the model was trained without it"
)
EMPTY_B = "note: data: column 'b' is empty in every row and the model was trained without it: ignored"
UNKNOWN_D = "note: data columns unknown to the model ignored: d"
FILLED = "note: data: {n} cells of 1 column missing, filled with the model's column medians"
MOSTLY_C = "note: data column 'c': 6 of its 6 cells filled in: its part of the gap is partly the fill"
LACKS_C = "error: {path} lacks feature columns of {model}: c (columns match by name)"
KEEP_C = (
    "error: {path}: column 'c' is empty in every row, so reading dropped it; {model} has it: read the file "
    "with the spec option missing=impute to keep it, filled in from {model}"
)
IMPUTE = ":missing=impute"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[Workspace, str]]:
    """Two done runs whose source's column ``b`` (place 1) is empty in every row: with a header, without."""
    return {
        True: trained(tmp_path_factory.mktemp("headed"), "a,b,c,label"),
        False: trained(tmp_path_factory.mktemp("headerless")),
    }


def csv(header: str, blank: tuple[int, ...] = (), holes: dict[int, int] | None = None) -> str:
    """Six rows of the columns ``header`` names (``""``: three places, no header) and a label column;
    the columns at ``blank`` empty in every row, and at ``holes`` empty in that many first rows."""
    width = len(header.split(",")) - 1 if header else 3
    rows = [line.split(",") for line in table(6, 2, blank, header, width).splitlines()]
    body = rows[1:] if header else rows
    for column, n in (holes or {}).items():
        for row in body[:n]:
            row[column] = ""
    return "".join(",".join(row) + "\n" for row in rows)


class Case(NamedTuple):
    """A file given to the model: its ``csv`` (:func:`csv`) read with ``option``, and the notes it gets
    (a tuple) or its refusal (a string, ``{path}`` the spec and ``{model}`` the model)."""

    header: str
    blank: tuple[int, ...] = ()
    holes: dict[int, int] | None = None
    option: str = ""
    expected: tuple[str, ...] | str = ()


CASES = {
    "the-models-columns-in-its-order": Case("a,c,label", expected=()),
    "b-empty-dropped-as-read": Case("a,b,c,label", (1,), expected=(DROPPED_B,)),
    "b-empty-kept-by-impute": Case("a,b,c,label", (1,), option=IMPUTE, expected=(EMPTY_B,)),
    "reordered": Case("c,a,label", expected=(ORDER,)),
    "unknown-column-at-the-end": Case("a,c,d,label", expected=(UNKNOWN_D,)),
    "unknown-column-between": Case("a,d,c,label", expected=(UNKNOWN_D,)),
    "column-trained-without": Case("a,b,c,label", expected=(UNREAD_B,)),
    "column-trained-without-impute": Case("a,b,c,label", option=IMPUTE, expected=(UNREAD_B,)),
    "reordered-and-trained-without": Case("c,b,a,label", expected=(ORDER, UNREAD_B)),
    "missing-column": Case("a,b,label", expected=LACKS_C),
    "missing-column-impute": Case("a,b,label", option=IMPUTE, expected=LACKS_C),
    "empty-column": Case("a,b,c,label", (2,), expected=KEEP_C),
    "empty-column-impute": Case(
        "a,b,c,label", (2,), option=IMPUTE, expected=(UNREAD_B, FILLED.format(n=6), MOSTLY_C)
    ),
    "missing-cells-impute": Case(
        "a,b,c,label", holes={2: 2}, option=IMPUTE, expected=(UNREAD_B, FILLED.format(n=2))
    ),
    "missing-cells-in-order-impute": Case(
        "a,c,label", holes={1: 2}, option=IMPUTE, expected=(FILLED.format(n=2),)
    ),
    "headerless-skipped-place": Case("", expected=(IGNORED,)),
    "headerless-place-empty": Case("", (1,), expected=(UNREAD,)),
    "headerless-place-empty-impute": Case("", (1,), option=IMPUTE, expected=(IGNORED,)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_column_note_only_where_it_is_true(
    runs: dict[bool, tuple[Workspace, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    workspace, run_id = runs[bool(case.header)]
    spec = write(tmp_path, "batch.csv", csv(case.header, case.blank, case.holes)) + case.option
    code, text, err = cli(workspace, capsys, run_id, "--data", spec)
    if isinstance(case.expected, str):  # a refusal, in one line
        refusal = case.expected.format(path=spec, model=f"the model of run {run_id}")
        assert code == 2 and err.splitlines() == [refusal]
    else:
        assert code == 0, err
        assert notes(text) == list(case.expected)
