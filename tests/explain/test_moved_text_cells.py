"""Compare's moved-predictions table shows a text column read as 0/1 columns (``text=onehot``) as its
value, decoded as Diagnose's most foreign rows decode it (:mod:`tlcore.views.text_cells`), not as
``city=north 1.0, city=south 0.0``."""

from __future__ import annotations

import numpy as np
import torch

from tests.selection.test_changes import CLASSES, table_run
from tlcore.data.domain import Domain
from tlcore.diagnosis import diagnose
from tlcore.diagnosis_settings import GapSettings
from tlcore.runs.changes import RunChanges
from tlcore.views.changes import flow_table
from tlcore.views.explore import foreign_rows

COLUMNS = ("a", "city=north", "city=south")
CITY = torch.tensor([[1, 0], [0, 1], [1, 0], [0, 0], [0, 1], [1, 0]], dtype=torch.float32)  # row 3: neither


def test_a_moved_rows_text_column_shows_its_value() -> None:
    run, table = table_run()
    X = torch.cat([table.X[:, :1], CITY], dim=1)
    meta = {"columns": COLUMNS, "categories": {"city": ("north", "south")}}
    target = Domain("t", X, None, CLASSES, meta=meta)
    changes = RunChanges("r1", None, run.changes, run.target)
    flow = changes.changes.flows()[0]  # rows 5 and 3, most confident first
    rows = flow_table(changes, target, flow)
    assert rows == [
        {"sample id": "5", "a": 6.0, "city": "north"},
        {"sample id": "3", "a": 4.0, "city": "(a value the source never had)"},
    ]
    assert list(rows[0]) == ["sample id", "a", "city"]  # a shifts +1.52 SD, city=south -1, city=north 0
    # of city's 0/1 columns only city=south shown (0 in both rows): the value still read from them all
    assert flow_table(changes, target, flow, columns=2) == rows
    source = Domain("s", X + 1.0, None, CLASSES, meta=target.meta)
    report = diagnose(source, target, umap=False, settings=GapSettings(n_permutations=20))
    foreign = foreign_rows(report, target, np.array([5, 3]))
    assert [{k: v for k, v in row.items() if k != "log-odds"} for row in foreign] == flow_table(
        changes, target, flow
    )
