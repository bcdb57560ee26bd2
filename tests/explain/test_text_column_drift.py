"""Diagnose reads a table's text column (its 0/1 columns, ``text=onehot``) as one column, by its mix of
values (tlcore.explain.text_drift): the measure, its test, its share of the gap, its words."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import chi2

from tests.explain.test_verdict_cli import run
from tlcore.data import load_domain
from tlcore.data.domain import Domain
from tlcore.data.harmonise import harmonise
from tlcore.diagnosis import diagnose
from tlcore.explain.causes import Cause
from tlcore.explain.columns import ColumnDrift, column_drift
from tlcore.explain.explanation import explain
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.text_drift import TV_MILD, TV_STRONG, TextDrift, to_source_mix, value_counts
from tlcore.numbers import pct, significant
from tlcore.views.column_table import MIX, MIX_SHOWN, column_rows, cut_mixes, drifted_columns
from tlcore.views.explore import foreign_rows, most_foreign
from tlcore.views.text_cells import MISSING, OR_MISSING

SETTINGS = ExplainSettings()


def regions(rng: np.random.Generator, counts: dict[str, int]) -> np.ndarray:
    """The values by their exact counts, shuffled."""
    return rng.permutation(np.concatenate([np.full(n, v) for v, n in counts.items()]))


def table(path: Path, region: np.ndarray, rng: np.random.Generator, *, labels: bool) -> str:
    """A table of ``region`` and two numeric columns drawn alike on every side."""
    x1, x2 = rng.normal(size=len(region)).round(3), rng.normal(size=len(region)).round(3)
    frame = pd.DataFrame({"region": region, "x1": x1, "x2": x2})
    if labels:
        frame["label"] = (x1 + 0.5 * x2 > 0).astype(int)
    frame.to_csv(path, index=False)
    return f"{path}:text=onehot"


def lost_and_gained(folder: Path) -> tuple[str, str]:
    """Source east 30%, north 40%, south 30% (240 rows); target north 35%, south 40%, west 25%: the
    target lacks east and gains west, a value the source never had. TV = ½ (.30 + .05 + .10 + .25)."""
    rng = np.random.default_rng(205)
    source = table(folder / "src.csv", regions(rng, {"east": 72, "north": 96, "south": 72}), rng, labels=True)
    target = regions(rng, {"north": 84, "south": 96, "west": 60})
    return source, table(folder / "tgt.csv", target, rng, labels=False)


def pair(source: str, target: str) -> tuple[Domain, Domain]:
    return harmonise(load_domain(source), load_domain(target))


def test_the_measure_and_test_on_hand_numbers() -> None:
    # source east 3, north 4, south 3; target north 4, south 4 and 2 rows of a value the source never had
    columns = ("region=east", "region=north", "region=south", "x")
    meta = {"columns": columns, "categories": {"region": ("east", "north", "south")}}
    S = torch.tensor([[1, 0, 0]] * 3 + [[0, 1, 0]] * 4 + [[0, 0, 1]] * 3, dtype=torch.float32)
    T = torch.tensor([[0, 1, 0]] * 4 + [[0, 0, 1]] * 4 + [[0, 0, 0]] * 2, dtype=torch.float32)
    x = torch.arange(10, dtype=torch.float32)[:, None]
    source = Domain("s", torch.cat([S, x], 1), None, (), meta=meta)
    target = Domain("t", torch.cat([T, x], 1), None, (), meta=meta)
    region, same = column_drift(source, target, SETTINGS)
    assert isinstance(region, TextDrift) and isinstance(same, ColumnDrift) and same.name == "x"
    assert (region.name, region.indices, region.values) == ("region", (0, 1, 2), ("east", "north", "south"))
    assert region.source_shares == pytest.approx((0.3, 0.4, 0.3)) and region.source_missing == 0.0
    assert region.target_shares == pytest.approx((0.0, 0.4, 0.4)) and region.target_new == pytest.approx(0.2)
    assert region.target_missing == 0.0  # no pair report: no missing cell counted, its rows of none new
    assert region.tv == pytest.approx(0.5 * (0.3 + 0.0 + 0.1 + 0.2))
    # chi-square of [[3, 4, 3, 0], [0, 4, 4, 2]]: expected 1.5, 4, 3.5, 1 a side
    statistic = 2 * (1.5**2 / 1.5 + 0 + 0.5**2 / 3.5 + 1**2 / 1)
    assert region.p_value == pytest.approx(chi2.sf(statistic, 3))
    # the thresholds: the total variation of two unit normals 0.5 / 1 SD apart, 2 Φ(d / 2) - 1
    assert pytest.approx((0.1974, 0.3829), abs=1e-4) == (TV_MILD, TV_STRONG)
    assert region.severity == "mild" and region.drift == pytest.approx(0.3 / TV_STRONG)
    # given the source's mix: 3 rows change (TV of 10), to east; x as it was
    mixed = to_source_mix(source, target, region.indices, seed=0)
    assert value_counts(mixed.X[:, :3]).tolist() == [3, 4, 3, 0]
    assert int((mixed.X[:, :3] != target.X[:, :3]).any(1).sum()) == 3
    assert torch.equal(mixed.X[:, 3], target.X[:, 3])
    assert int(((mixed.X[:, :3] != target.X[:, :3]).any(1) & (T[:, 1] == 1)).sum()) == 0  # north kept


def test_a_target_that_lacks_one_value_and_gains_another_is_one_finding_read_as_shares(tmp_path) -> None:
    source, target = pair(*lost_and_gained(tmp_path))
    explained = explain(source, target, settings=SETTINGS)
    names = [c.name for c in explained.columns]
    assert names == ["region", "x1", "x2"]  # one column for region, not one per value
    (region,) = drifted_columns(explained)
    assert isinstance(region, TextDrift)
    assert region.tv == pytest.approx(0.35) and region.severity == "mild" and region.new_values == ("west",)
    assert (
        region.title == "region's mix changed: east 30% -> 0%; west (25% of the target) never in the source"
    )
    assert region.message.startswith(
        "region (text): east 30% -> 0%, south 30% -> 40%, north 40% -> 35%; west (25% of the target) never "
        "in the source. Total variation 0.35"
    )
    assert region.share is not None and region.share > 0.8  # the whole gap is the mix
    (first, *_) = explained.verdict.causes
    assert isinstance(first, Cause) and first.kind == "column" and first.title == region.title
    assert "domain_weights" in first.action and "collect labelled source rows of west" in first.action
    assert "upstream" not in first.action
    assert "Giving the target's region the source's mix of values" in first.detail
    assert list(column_rows([region])[0]) == ["column", "severity", "share of the gap", MIX]
    (_, row, _) = column_rows(explained.columns)  # beside numeric columns: blank numbers
    # the verdict's columns before the wide mix: after it they were off the page's right edge (QA)
    assert list(row)[:5] == ["column", "severity", "share of the gap", MIX, "source mean"]
    assert (row["column"], row[MIX], row["source mean"]) == (
        "x1",
        "",
        significant(float(source.X[:, 3].mean())),
    )


def test_two_draws_of_one_mix_are_no_finding(tmp_path) -> None:
    rng = np.random.default_rng(7)
    values, p = ["east", "north", "south"], [0.3, 0.4, 0.3]
    source = table(tmp_path / "a.csv", rng.choice(values, 240, p=p), rng, labels=True)
    target = table(tmp_path / "b.csv", rng.choice(values, 240, p=p), rng, labels=False)
    explained = explain(*pair(source, target), settings=SETTINGS)
    region = explained.columns[0]
    assert isinstance(region, TextDrift) and 0 < region.tv < TV_MILD
    assert not any(c.fires for c in explained.columns)
    assert not [c for c in explained.verdict.causes if c.kind == "column"]


def test_the_most_foreign_rows_show_the_text_value(tmp_path) -> None:
    source, target = pair(*lost_and_gained(tmp_path))
    report = diagnose(source, target, umap=False)
    index = most_foreign(report, 5)
    rows = foreign_rows(report, target, index, [c.index for c in drifted_columns(explain(source, target))])
    assert list(rows[0]) == ["sample id", "log-odds", "region", "x1", "x2"]
    held = {0: "east", 1: "north", 2: "south"}
    west = "west (never in the source)"  # the one value the pair report found new
    expected = [held[int(target.X[i, :3].argmax())] if target.X[i, :3].any() else west for i in index]
    assert west in expected
    assert [row["region"] for row in rows] == expected


def test_the_cli_says_it_as_shares_in_text_and_json(capsys, tmp_path) -> None:
    source, target = lost_and_gained(tmp_path)
    page = tmp_path / "report.html"
    out = run(capsys, tmp_path, "--source", source, "--target", target, "--report", str(page))
    assert (
        "Verdict: Most of the gap: region's mix changed: east 30% -> 0%; west (25% of the target) never"
        in (" ".join(out.split()))
    )
    verdict = out[out.index("Verdict:") :]  # the pairing notes above name the 0/1 columns, as they are
    assert "region=east" not in verdict and "upstream" not in verdict
    assert "matching the drifted columns" not in verdict  # a mix is no column to match: "before it"
    assert "What differs (1 of 3 columns;" in out
    assert (
        "  mild   region (text): east 30% -> 0%, south 30% -> 40%, north 40% -> 35%; west (25% of the" in out
    )
    html = page.read_text(encoding="utf-8")
    columns = html.split("What differs (columns)", 1)[1].split("<h2>", 1)[0]
    assert "text values (source -&gt; target)" in columns and "region=east" not in columns
    data = json.loads(run(capsys, tmp_path, "--source", source, "--target", target, "--json"))
    (row, *_) = data["explanation"]["columns"]
    assert (row["kind"], row["name"], row["values"]) == ("text", "region", ["east", "north", "south"])
    assert math.isclose(row["tv"], 0.35) and row["new_values"] == ["west"] and row["share"] > 0.8


def test_missing_text_cells_are_told_apart_from_values_the_source_never_had(tmp_path) -> None:
    # lost_and_gained's pair, the target's first 24 regions blanked and read with missing=impute
    source, target = lost_and_gained(tmp_path)
    frame = pd.read_csv(target.split(":")[0])
    west_left = 60 - int((frame["region"].iloc[:24] == "west").sum())
    frame.loc[frame.index[:24], "region"] = None
    frame.to_csv(tmp_path / "holes.csv", index=False)
    paired = pair(source, f"{tmp_path / 'holes.csv'}:missing=impute,text=onehot")
    assert paired[1].meta["pair_report"].target.unvalued == {"region": 24}
    (region,) = drifted_columns(explain(*paired, settings=SETTINGS))
    assert isinstance(region, TextDrift)
    assert region.target_missing == pytest.approx(0.1) and region.target_new == pytest.approx(west_left / 240)
    assert sum(region.target_shares) + region.target_new + region.target_missing == pytest.approx(1.0)
    assert region.mix.endswith(
        f"; west ({pct(west_left / 240)} of the target) never in the source; missing (no value) in 10% of "
        "the target"
    )
    rows = foreign_rows(diagnose(*paired, umap=False), paired[1], np.arange(240), [region.index])
    assert {row["region"] for row in rows} == {"north", "south", f"west (never in the source){OR_MISSING}"}


def test_a_target_with_missing_text_cells_and_no_new_value_names_none(tmp_path) -> None:
    rng = np.random.default_rng(3)
    source = table(tmp_path / "a.csv", regions(rng, {"east": 60, "north": 60}), rng, labels=True)
    region = regions(rng, {"east": 20, "north": 100}).astype(object)
    region[:30] = None
    target = table(tmp_path / "b.csv", region, rng, labels=False)
    paired = pair(source, target.replace(":text=onehot", ":missing=impute,text=onehot"))
    (drift, *_) = explain(*paired, settings=SETTINGS).columns
    assert isinstance(drift, TextDrift) and drift.target_new == 0 and drift.new_values == ()
    assert "never in the source" not in drift.mix and drift.mix.endswith(
        "missing (no value) in 25% of the target"
    )
    assert "collect labelled source rows" not in drift.action
    rows = foreign_rows(diagnose(*paired, umap=False), paired[1], np.arange(120), [drift.index])
    assert {row["region"] for row in rows} == {"east", "north", MISSING}


def test_missing_and_new_values_are_two_shares_of_the_total_variation(tmp_path) -> None:
    """Source east 8, north 10, 2 missing; target east 8, north 10, west 2 (new), none missing. One share
    for both kinds of rows of none would read 10% against 10%, TV 0; as two: TV = ½ (0.1 + 0.1) = 0.1,
    and the chi-square test of [[8, 10, 0, 2], [8, 10, 2, 0]]: expected 1 in each of the last two
    cells, a statistic of 4 on 3 degrees of freedom."""
    rows = {"s": ["east"] * 8 + ["north"] * 10 + [""] * 2, "t": ["east"] * 8 + ["north"] * 10 + ["west"] * 2}
    for side, regions_ in rows.items():
        lines = [f"{r},{i},{'xy'[i % 2]}" for i, r in enumerate(regions_)]
        (tmp_path / f"{side}.csv").write_text("region,a,label\n" + "\n".join(lines) + "\n")
    specs = (f"{tmp_path / 's.csv'}:missing=impute,text=onehot", f"{tmp_path / 't.csv'}:text=onehot")
    source, target = pair(*specs)
    region = column_drift(source, target, SETTINGS)[0]
    assert isinstance(region, TextDrift)
    assert (region.source_shares, region.source_missing) == (pytest.approx((0.4, 0.5)), pytest.approx(0.1))
    assert (region.target_shares, region.target_new, region.target_missing) == (
        pytest.approx((0.4, 0.5)),
        pytest.approx(0.1),
        0.0,
    )
    assert region.tv == pytest.approx(0.1) and region.p_value == pytest.approx(chi2.sf(4.0, 3))
    assert region.message == (
        "region (text): every value's share alike; west (10% of the target) never in the source; missing "
        "(no value) in 10% of the source. Total variation 0.1 (the share of target rows whose value would "
        "have to change)."
    )


def test_the_columns_table_names_a_long_mixs_largest_changes_and_the_page_and_report_keep_it_whole() -> None:
    """QA helper-224: one row height serves a whole table, so a mix of 24 cities made every row six lines
    tall. The table's cell names the :data:`MIX_SHOWN` largest changes and counts the rest; the page
    lists each cut mix whole under the table (:func:`cut_mixes`), the HTML report's rows hold it whole."""
    values = tuple(f"city_{c}" for c in "abcdef")
    city = TextDrift(
        index=0,
        indices=tuple(range(6)),
        name="city",
        values=values,
        source_shares=(0.3, 0.2, 0.2, 0.1, 0.1, 0.1),
        target_shares=(0.05, 0.1, 0.2, 0.25, 0.15, 0.1),
        source_missing=0.0,
        target_missing=0.05,
        target_new=0.1,
        new_values=("city_z",),
        tv=0.35,
        p_value=1e-4,
        q_value=1e-4,
        significant=True,
    )
    tail = "; city_z (10% of the target) never in the source; missing (no value) in 5% of the target"
    whole = "city_a 30% -> 5%, city_d 10% -> 25%, city_b 20% -> 10%, city_e 10% -> 15%" + tail
    assert city.mix == whole
    cut = "city_a 30% -> 5%, city_d 10% -> 25%, city_b 20% -> 10% and 1 more"
    assert city.mix_of(MIX_SHOWN) == cut + tail
    assert city.mix_of(4) == whole  # every change named: nothing cut
    assert column_rows([city], MIX_SHOWN)[0][MIX] == city.mix_of(3)
    assert column_rows([city])[0][MIX] == whole  # the HTML report's
    assert cut_mixes([city]) == [("city", whole)] and cut_mixes([city], 4) == []
