"""A table's values as its file wrote them in every sample table (QA helper-218): an income of
20969.27, stored in float32, showed as 20969.2695 in the Data page's preview, Compare's flow table
and Diagnose's most foreign samples."""

from __future__ import annotations

import numpy as np
import torch

from tests.selection.test_changes import CLASSES, table_run
from tlcore.data.domain import Domain
from tlcore.diagnosis import diagnose
from tlcore.diagnosis_settings import GapSettings
from tlcore.numbers import as_written
from tlcore.runs.changes import RunChanges
from tlcore.views.changes import flow_table
from tlcore.views.explore import foreign_rows, table_preview

INCOMES = [20969.27, 29122.75, 30028.81, 80418.85, 19155.14, 45481.1]


def test_as_written_gives_the_shortest_decimals_of_a_float32() -> None:
    stored = np.array([20969.27, 0.1, -3.5, 1e-7], dtype=np.float32)
    assert float(stored[0]) == 20969.26953125  # what a table showed, rounded: 20969.2695
    assert as_written(stored) == [20969.27, 0.1, -3.5, 1e-7]
    assert np.isnan(as_written(np.array([np.nan], dtype=np.float32))[0])


def test_every_sample_table_shows_the_files_values() -> None:
    run, target = table_run()
    X = target.X.clone()
    X[:, 2] = torch.tensor(INCOMES)
    income = Domain("t", X, None, CLASSES, meta={"columns": ("a", "<b>", "income")})
    assert table_preview(income, rows=6)["income"].tolist() == INCOMES
    flow = flow_table(RunChanges("r1", None, run.changes, run.target), income, run.changes.flows()[0])
    assert [row["income"] for row in flow] == [INCOMES[5], INCOMES[3]]  # rows 5 and 3
    source = Domain("s", X + 1.0, None, CLASSES, meta={"columns": ("a", "<b>", "income")})
    report = diagnose(source, income, umap=False, settings=GapSettings(n_permutations=20))
    rows = foreign_rows(report, income, np.arange(6))
    assert [row["income"] for row in rows] == INCOMES
