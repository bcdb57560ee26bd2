"""The Diagnose page's most foreign target samples of a table (QA helper-198): the drifted columns, as
the explanation ranks them, come first, so that on a 14-column table whose last column drifted the
verdict's cause is on screen; the other columns follow in the file's order, every value kept."""

from __future__ import annotations

import numpy as np
import torch

from tlcore.data.domain import Domain
from tlcore.diagnosis import diagnose
from tlcore.explain.explanation import explain
from tlcore.explain.settings import ExplainSettings
from tlcore.views.column_table import drifted_columns
from tlcore.views.explore import foreign_rows, most_foreign

NAMES = (*(f"c{i:02d}" for i in range(13)), "voltage")


def test_the_drifted_last_column_comes_first() -> None:
    rng = np.random.default_rng(198)
    source, target = rng.normal(0.0, 1.0, (300, 14)), rng.normal(0.0, 1.0, (200, 14))
    target[:, 13] += 4.0  # only the last column moved

    def domain(name: str, X: np.ndarray) -> Domain:
        return Domain(name, torch.from_numpy(X.astype(np.float32)), None, (), meta={"columns": NAMES})

    pair = domain("s", source), domain("t", target)
    moved = [c.index for c in drifted_columns(explain(*pair, settings=ExplainSettings()))]
    assert moved == [13]
    report = diagnose(*pair, umap=False)
    index = most_foreign(report, 5)
    rows = foreign_rows(report, pair[1], index, moved)
    assert list(rows[0]) == ["sample id", "log-odds", "voltage", *NAMES[:13]]
    assert [row["voltage"] for row in rows] == [float(str(np.float32(target[i, 13]))) for i in index]
    assert list(foreign_rows(report, pair[1], index)[0]) == ["sample id", "log-odds", *NAMES]  # file order
