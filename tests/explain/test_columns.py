"""Which columns of a table moved and how much of the gap each accounts for (tlcore.explain.columns)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine

from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.explain.cause_ranking import rank_causes
from tlcore.explain.causes import Cause
from tlcore.explain.columns import (
    SHAPE_MILD,
    SHAPE_STRONG,
    ColumnDrift,
    chance_note,
    column_drift,
    matched,
)
from tlcore.explain.explanation import explain
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.verdict import verdict
from tlcore.views.column_table import column_rows, columns_reading, drifted_columns

SETTINGS = ExplainSettings()
MOVED = ("alcohol", "proline", "color_intensity")


def table(name: str, X: np.ndarray, columns: tuple[str, ...] | None = None) -> Domain:
    meta = {} if columns is None else {"columns": columns}
    return Domain(name, torch.from_numpy(X.astype(np.float32)), None, (), meta=meta)


def wine_halves(modified: bool) -> tuple[Domain, Domain]:
    """The reproduction of the brief: wine shuffled, 110 rows -> the other 68, three columns changed."""
    frame = load_wine(as_frame=True).frame.sample(frac=1, random_state=0).reset_index(drop=True)
    features = frame.drop(columns="target")
    source, target = features.iloc[:110].copy(), features.iloc[110:].copy()
    if modified:
        target["alcohol"] = target["alcohol"] * 1.05 + 0.3
        target["proline"] = target["proline"] * 1.3
        target["color_intensity"] = target["color_intensity"] + 1.5
    names = tuple(features.columns)
    return table("wine_src", source.to_numpy(), names), table("wine_tgt", target.to_numpy(), names)


def test_the_shift_is_in_source_sds_and_the_spread_a_ratio_on_hand_numbers() -> None:
    # source column a: 1, 3, 1, 3, ... (mean 2, population SD 1); target 4, 8, ... (mean 6, SD 2)
    a_s, a_t = np.tile([1.0, 3.0], 50), np.tile([4.0, 8.0], 50)
    g = torch.tensor(np.tile([-2.0, 2.0], 50), dtype=torch.float32)[:, None]
    b = np.tile([0.0, 10.0], 50)  # the same on both sides
    c_s, c_t = np.full(100, 5.0), np.full(100, 5.5)  # constant in the source: its own units, as the model's
    source = table("s", np.stack([a_s, b, c_s], 1), ("a", "b", "c"))
    target = table("t", np.stack([a_t, b, c_t], 1), ("a", "b", "c"))
    a, same, c = column_drift(source, target, SETTINGS)
    assert (a.name, a.source_mean, a.source_std, a.target_mean, a.target_std) == ("a", 2.0, 1.0, 6.0, 2.0)
    assert a.shift == pytest.approx(4.0) and a.spread == pytest.approx(2.0) and a.severity == "strong"
    assert a.title == "a moved +4 source SDs and its spread is 2x the source's"
    assert "mean 2 -> 6 (+4 source SDs), spread 1 -> 2 (2x)" in a.message
    assert (same.shift, same.spread, same.severity) == (0.0, 1.0, "none")
    assert c.shift == pytest.approx(0.5) and c.spread == 0.0 and c.severity == "mild"
    assert c.title == "c moved +0.5 in its own units"  # a constant source column has no SD
    assert "(+0.5 in its own units), spread 0 -> 0 (constant on both sides)" in c.message
    varies = column_drift(source, replace(target, X=target.X + torch.tensor([0.0, 0.0, 1.0]) * g), SETTINGS)[
        2
    ]
    assert varies.spread_severity == "strong" and varies.shape == 0.0  # its spread (2) read as a shift
    assert varies.title == "c moved +0.5 in its own units and is constant in the source, not in the target"
    # a matched target column takes the source's mean and spread exactly, the others stay
    X = matched(source, target, [0]).X.double()
    assert X[:, 0].mean() == pytest.approx(2.0) and X[:, 0].std(correction=0) == pytest.approx(1.0)
    assert torch.equal(X[:, 1:].float(), target.X[:, 1:])


def test_a_column_constant_on_one_side_says_which_not_a_ratio_of_0x() -> None:
    """QA helper-275: a target column set to one value read "p8 moved +7.33 source SDs and its spread
    is 0x the source's"; the mirror (constant in the source) divides by no zero (the model's scale 1)
    and has no SD to move by: it moved in its own units."""
    varies = np.tile([1.0, 3.0], 50)  # mean 2, population SD 1
    source = table("s", np.stack([varies, np.full(100, 5.0)], 1), ("p8", "p32"))
    target = table("t", np.stack([np.full(100, 5.0), np.tile([4.0, 8.0], 50)], 1), ("p8", "p32"))
    p8, p32 = column_drift(source, target, SETTINGS)
    assert (p8.shift, p8.spread, p8.severity) == (pytest.approx(3.0), 0.0, "strong")
    assert p8.title == "p8 moved +3 source SDs and is constant in the target, not in the source"
    assert "spread 1 -> 0 (constant in the target)" in p8.message and "0x" not in p8.message
    assert (p32.shift, p32.spread) == (pytest.approx(1.0), pytest.approx(2.0))  # in its own units
    assert p32.title == "p32 moved +1 in its own units and is constant in the source, not in the target"
    assert "(+1 in its own units), spread 0 -> 2 (constant in the source)" in p32.message
    rows = {r["column"]: r["spread ratio"] for r in column_rows([p8, p32])}
    assert rows == {"p8": "constant in the target", "p32": "constant in the source"}
    # QA helper-279: the table headed "shift (source SDs)" read p32's "+1" as source SDs; its cell says
    # its unit where it is not the heading's, and the reading under the table says why
    shifts = {r["column"]: r["shift (source SDs)"] for r in column_rows([p8, p32])}
    assert shifts == {"p8": "+3", "p32": "+1 in its own units"}
    explained = explain(source, target, settings=SETTINGS)
    assert {c.name for c in drifted_columns(explained)} == {"p8", "p32"}
    (reading,) = [meaning for what, meaning in columns_reading(explained) if what == "shift (source SDs)"]
    assert reading == (
        "the target's mean shift in source standard deviations; a column constant in the source has none, "
        "its shift is in its own units"
    )
    plain = explain(*wine_halves(modified=True), settings=SETTINGS)  # no constant column: said plainly
    assert (
        dict(columns_reading(plain))["shift (source SDs)"]
        == "the target's mean shift in source standard deviations"
    )


def test_the_shape_thresholds_are_the_mmd2_of_unit_normals_half_and_one_sd_apart() -> None:
    # population MMD² of N(0, 1) vs N(d, 1), kernel exp(-u² / 2): 2 (E k(u ~ N(0, 2)) - E k(u ~ N(d, 2)))
    u = np.linspace(-20, 20, 40001)

    def mean_kernel(d: float) -> float:
        density = np.exp(-((u - d) ** 2) / 4) / math.sqrt(4 * math.pi)
        return float(np.trapezoid(density * np.exp(-(u**2) / 2), u))

    reference = [2 * (mean_kernel(0) - mean_kernel(d)) for d in (0.5, 1)]  # 0.047, 0.177
    thresholds = [SHAPE_MILD, SHAPE_STRONG]
    assert thresholds == pytest.approx(reference)
    # a sensor stuck at one value with rare jumps: the same mean and spread, another shape
    g = np.random.default_rng(0)
    source = g.normal(size=(500, 1))
    stuck = np.where(g.random((500, 1)) < 0.1, 3.0, -1 / 3) + 0.01 * g.normal(size=(500, 1))
    stuck = (stuck - stuck.mean()) / stuck.std()
    (drift,) = column_drift(table("s", source), table("t", stuck), SETTINGS)
    assert abs(drift.shift) < 0.1 and abs(drift.spread - 1) < 0.1
    assert drift.shape > SHAPE_MILD and drift.severity != "none"
    assert drift.title == "feature 0's shape changed"


def test_the_wine_case_ranks_the_three_modified_columns_first_with_shares_that_add_up() -> None:
    explained = explain(*wine_halves(modified=True), settings=SETTINGS)
    causes = explained.verdict.causes
    assert [c.kind for c in causes] == ["column"] * 3  # all three together leave no gap to adapt
    firing = [c.name for c in explained.columns if c.fires]
    assert sorted(firing) == sorted(MOVED)
    by_name = {c.name: c for c in explained.columns}
    assert [causes[i].title.split(" ")[0] for i in range(3)] == ["alcohol", "proline", "color_intensity"]
    assert by_name["alcohol"].shift == pytest.approx(1.21, abs=0.01)
    assert by_name["proline"].spread == pytest.approx(1.23, abs=0.01)
    shares = [c.share for c in causes]
    assert shares == sorted(shares, reverse=True) and shares[0] == pytest.approx(0.57, abs=0.01)
    together = explained.shares.columns_share
    assert together == pytest.approx(1.0) and max(shares) <= together <= sum(shares) + 0.1
    assert explained.verdict.headline.startswith("Most of the gap: alcohol moved +1.21 source SDs. alcohol:")
    assert "The 3 checked drifted columns matched together" in causes[0].detail
    assert explained.verdict.next_step.startswith("check how alcohol is produced upstream")
    rows = explained.to_dict()["columns"]
    assert len(rows) == 13 and {r["name"] for r in rows if r["share"] is not None} == set(MOVED)


def test_the_column_caps_are_settings() -> None:
    # the three moved wine columns: two checked, the third unmeasured; or one of three named a cause
    two = explain(*wine_halves(modified=True), settings=replace(SETTINGS, max_column_checks=2))
    checked = [c.name for c in two.columns if c.share is not None]
    assert checked == ["alcohol", "proline"]
    assert two.shares.notes["columns"] == "only the 2 most drifted of 3 drifted columns are checked"
    assert [c.title.split(" ")[0] for c in two.verdict.causes if c.kind == "column"] == checked
    one = explain(*wine_halves(modified=True), settings=replace(SETTINGS, max_column_causes=1))
    assert [c.kind for c in one.verdict.causes] == ["column"]
    assert one.verdict.causes[0].title.startswith("alcohol moved +1.21 source SDs")
    assert one.to_dict()["settings"]["max_column_causes"] == 1
    with pytest.raises(TLError, match="max_column_checks must be at least 0, got -1"):
        ExplainSettings(max_column_checks=-1)


def test_two_halves_of_the_same_table_give_no_column_cause() -> None:
    explained = explain(*wine_halves(modified=False), settings=SETTINGS)
    assert len(explained.columns) == 13 and not any(c.fires for c in explained.columns)
    assert explained.verdict.causes == ()
    assert explained.verdict.headline == "No detectable gap and no other cause found: nothing to fix."


def test_unnamed_wide_vectors_say_feature_i_and_check_only_the_most_drifted_columns() -> None:
    g = np.random.default_rng(1)
    Xs, Xt = g.normal(size=(400, 500)), g.normal(size=(400, 500))
    Xt[:, 3] += 2.0  # the largest move
    Xt[:, 100:120] += 0.8  # twenty mild ones
    explained = explain(table("s", Xs), table("t", Xt), settings=SETTINGS)
    checked = [c for c in explained.columns if c.share is not None]
    assert len(checked) == SETTINGS.max_column_checks == 8
    assert explained.shares.notes["columns"] == "only the 8 most drifted of 21 drifted columns are checked"
    first = explained.verdict.causes[0]
    assert first.kind == "column" and first.title == "feature 3 moved +2.07 source SDs"
    assert first.action.startswith("check how feature 3 is produced upstream")
    # each mild column matched on top of those before it is under 5% of the gap; with feature 3, 57%
    assert (
        explained.verdict.causes[-1].title == "the rest of the gap (at most 43%) that adaptation should close"
    )


def test_the_columns_matched_together_bound_what_adaptation_is_left() -> None:
    def column(name: str, share: float) -> ColumnDrift:
        return ColumnDrift(0, name, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, True, 1.0 - share, share)

    shares = GapShares(
        1.0, columns=(column("a", 0.4), column("b", 0.3), column("c", 0.02)), columns_together=0.4
    )
    causes: list[Cause] = rank_causes([], "moderate", source_spec="s", target_spec="t", shares=shares)
    assert [c.kind for c in causes] == ["column", "column", "adaptation"]  # c: under 5%, not a cause
    assert causes[-1].title == "the rest of the gap (at most 40%) that adaptation should close"


def test_large_ratios_big_means_and_a_negative_mmd2_read_plainly() -> None:
    """QA: "its spread is 9.5e+02x the source's", "mean 661.4 -> 6.466e+05" and "matched together:
    MMD² -> -0.00032" (unbiased MMD² dips below 0 once the gap is gone)."""
    moved = (661.4, 359.5, 646564.6586, 340987.0, 1796.6, 948.46, 0.0)
    area = ColumnDrift(0, "mean_area", *moved, 0.0, 0.0, True, -0.00032, 1.0)
    assert area.title == "mean_area moved +1,797 source SDs and its spread is 948x the source's"
    assert "mean 661.4 -> 646,565 (+1,797 source SDs), spread 359.5 -> 340,987 (948x)" in area.message
    texture = replace(area, name="mean_texture", mmd2_after=0.01, share=0.5)
    shares = GapShares(0.0612, columns=(area, texture), columns_together=-0.00032)
    causes = rank_causes([], "large", source_spec="s", target_spec="t", shares=shares)
    assert "MMD² 0.0612 -> ≈ 0 (no gap left): it accounts for 100% of the gap" in causes[0].detail
    assert "matched together: MMD² -> ≈ 0 (no gap left), 100% of the gap" in causes[0].detail
    assert "-0.00032" not in causes[0].detail
    assert "MMD² 0.0612 -> 0.01: it accounts" in causes[1].detail


def test_two_draws_of_one_distribution_with_many_columns_and_few_rows_move_no_column() -> None:
    """QA: 40 rows a side, 2,000 columns of one normal: 91 columns differed by half a source SD or
    more by chance, and the verdict named five of them as causes of a gap the test could not detect."""
    g = np.random.default_rng(1)
    source, target = table("s", g.normal(size=(40, 2000))), table("t", g.normal(size=(40, 2000)))
    explained = explain(source, target, settings=SETTINGS)
    chance = [c for c in explained.columns if c.severity != "none"]
    assert len(chance) > 50 and not any(c.fires for c in explained.columns)
    assert min(c.q_value for c in explained.columns) > SETTINGS.fdr
    assert explained.verdict.headline == "No detectable gap and no other cause found: nothing to fix."
    assert chance_note(explained.columns, 0.05).startswith(
        f"not counted as moved: {len(chance)} columns differ by a mild amount or more"
    )


def test_drifted_columns_are_causes_even_when_the_fix_check_sees_no_gap_to_share() -> None:
    """QA: three columns of 20,000 moved by 1.5 SD; the fix check's PCA did not see them (MMD² at most
    0: no gap to share, no column checked), and the verdict said "no single cause found"."""

    def column(name: str, shift: float) -> ColumnDrift:
        return ColumnDrift(0, name, 0.0, 1.0, shift, 1.0, shift, 1.0, 0.0, 1e-9, 1e-6, True)

    alike = replace(column("c", 0.1), significant=False)
    shares = GapShares(-0.0001, columns=(column("a", 1.4), column("b", 1.6), alike))
    basis = SETTINGS.basis(500, 400)
    found = verdict([], "small", source_spec="s", target_spec="t", shares=shares, basis=basis)
    assert [(c.kind, c.title, c.share) for c in found.causes[:2]] == [
        ("column", "b moved +1.6 source SDs", None),
        ("column", "a moved +1.4 source SDs", None),
    ]
    assert [c.kind for c in found.causes[2:]] == ["adaptation"]
    assert found.causes[2].title == "a small gap that adaptation should close"  # no share: no "rest"
    assert found.causes[0].detail.endswith(
        "Its share of the gap was not measured: MMD² on the fix check's 500+400 samples, 20 PCA dims is at "
        "most 0, and a PCA of all 3 columns can miss a few that moved."
    )
    assert found.headline.startswith("A cause found, its share of the gap not measured: b moved +1.6 source")
    assert found.headline.endswith("Also drifted, their shares not measured either: a moved +1.4 source SDs.")
