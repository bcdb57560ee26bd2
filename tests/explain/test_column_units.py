"""A column whose units changed (spread x10) ranks right after a larger shift, before columns moved
+0.6 source SDs (tlcore.explain.gap_shares: forward selection in the source's units)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tlcore.cli.explain_text import column_lines
from tlcore.data.domain import Domain
from tlcore.explain.explanation import explain
from tlcore.explain.settings import ExplainSettings
from tlcore.views.column_table import column_rows

NAMES = ("temp", "pressure", "ch05", "ch07", *(f"c{i}" for i in range(8)))


def sensor_pair(seed: int = 146) -> tuple[Domain, Domain]:
    """12 unit-normal-ish columns, 400 vs 300 rows; the target's temp +14 SDs, pressure x10 (its
    spread 10x, mean -2 SDs), ch05 and ch07 +0.6 SDs."""
    rng = np.random.default_rng(seed)
    source = rng.normal(20.0, 5.0, (400, len(NAMES)))
    target = rng.normal(20.0, 5.0, (300, len(NAMES)))
    target[:, 0] = target[:, 0] * 1.8 + 32.0
    target[:, 1] = (target[:, 1] - 20.0) * 10.0 + 10.0
    target[:, 2:4] += 3.0

    def domain(name: str, X: np.ndarray) -> Domain:
        return Domain(name, torch.from_numpy(X.astype(np.float32)), None, (), meta={"columns": NAMES})

    return domain("s", source), domain("t", target)


def test_the_tenfold_column_ranks_second_and_its_fix_is_named() -> None:
    explained = explain(*sensor_pair(), settings=ExplainSettings())
    by_name = {c.name: c for c in explained.columns}
    assert by_name["pressure"].spread == pytest.approx(10.0, abs=1.0)
    assert abs(by_name["ch05"].shift) < 1.0 < abs(by_name["pressure"].shift)
    causes = [c for c in explained.verdict.causes if c.kind == "column"]
    assert [c.title.split(" ")[0] for c in causes[:2]] == ["temp", "pressure"]
    second = causes[1]
    assert second.share is not None and second.share > 0.1
    assert second.share > 3 * max(by_name["ch05"].share or 0.0, by_name["ch07"].share or 0.0)
    assert second.action.startswith("check how pressure is produced upstream")
    assert "(with temp matched too)" in second.detail
    assert by_name["pressure"].matched_before == ("temp",)
    # forward selection: the shares add up to the checked columns matched together
    checked = [c.share for c in explained.columns if c.share is not None]
    assert sum(checked) == pytest.approx(explained.shares.columns_share, abs=0.01)  # each clipped to [0, 1]


def test_the_tenfold_column_alone_is_the_cause_once_temp_is_fixed() -> None:
    source, target = sensor_pair()
    X = target.X.clone()
    X[:, 0] = (X[:, 0] - 32.0) / 1.8
    explained = explain(source, Domain("t2", X, None, (), meta=target.meta), settings=ExplainSettings())
    first = explained.verdict.causes[0]
    assert first.kind == "column" and first.title.startswith("pressure moved")
    assert explained.verdict.next_step.startswith("check how pressure is produced upstream")


def test_a_running_number_is_named_a_row_number_to_make_the_id() -> None:
    source, target = sensor_pair()
    Xs, Xt = source.X.clone(), target.X.clone()
    Xs[:, 4] = torch.arange(400, dtype=torch.float32)  # c0: the source sorted and numbered 0..399
    Xt[:, 4] = torch.arange(1000, 1300, dtype=torch.float32)  # the target numbered from 1000
    explained = explain(
        Domain("s", Xs, None, (), meta=source.meta),
        Domain("t", Xt, None, (), meta=target.meta),
        settings=ExplainSettings(),
    )
    by_title = {c.title.split(" ")[0]: c for c in explained.verdict.causes if c.kind == "column"}
    assert by_title["c0"].action.startswith("c0 looks like a row number")
    assert (
        "if it is an identifier, rename it id (or sample_id) so it is not learned from"
        in by_title["c0"].action
    )
    assert by_title["temp"].action.startswith("check how temp is produced upstream")
    # no share of its own, ranked after the measured causes, its action saying why (once: not in the headline)
    assert "so it is left out of the shares of the gap: if it is an identifier" in by_title["c0"].action
    assert (
        "so it has no share of the gap: a running number tells any two files apart" in by_title["c0"].detail
    )
    assert by_title["c0"].share is None and explained.verdict.causes[-1] is by_title["c0"]
    assert "c0 moved" not in explained.verdict.headline and "row number" not in explained.verdict.headline
    by_name = {c.name: c for c in explained.columns}
    assert by_name["c0"].row_number and by_name["c0"].share is None
    # matched first, so the others' shares are measured without it: the first round starts where it left MMD²
    assert by_name["temp"].matched_before == ("c0",)
    assert by_name["temp"].mmd2_before == pytest.approx(by_name["c0"].mmd2_after)
    assert by_name["temp"].share is not None and by_name["temp"].share > 0.4
    # the CLI's lines and the Diagnose page's table say it the same way
    (line,) = [line for line in column_lines(explained) if line.strip().startswith("strong c0:")]
    assert line.endswith("Share of the gap: left out (it counts rows).")
    drifted = sum(c.fires for c in explained.columns)
    assert f"  and {drifted - 1} more drifted columns (--json lists every column)" in column_lines(
        explained, limit=1
    )
    rows = {r["column"]: r for r in column_rows(explained.columns)}
    assert rows["c0"]["share of the gap"] == "left out (it counts rows)"
    assert rows["temp"]["share of the gap"] == f"{100 * by_name['temp'].share:.0f}%"
