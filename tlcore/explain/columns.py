"""Which columns of a feature-vector pair (a table, ``.npz`` vectors) moved, and how much of the gap each
accounts for.

Each column is compared on the scale the model standardises it (:class:`tlcore.models.Standardize`):
the source's mean ``m_s`` and population standard deviation ``s_s`` (1 for a constant column), so
units do not matter (a constant source column is measured in its own units, as the model does). With
``m_t``, ``s_t`` the target's:

* ``shift = (m_t - m_s) / s_s``, the target's mean shift in source standard deviations: ``mild``
  from :data:`~tlcore.explain.findings.MILD` (0.5), ``strong`` from
  :data:`~tlcore.explain.findings.STRONG` (1), as an image statistic's standardised difference;
* ``spread = s_t / s_s``, the ratio of spreads: a ratio ``r`` moves a sample one standard deviation
  out by ``r - 1`` of them, so it is mild from ``1 + MILD`` (1.5x) and strong from ``1 + STRONG``
  (2x), and the same for a narrower target (the inverse ratio); a constant source column has no
  ratio: its target's spread (in the model's units) is read as a shift;
* ``shape``: unbiased MMD² (:func:`~tlcore.metrics.mmd.mmd2_unbiased`, Gaussian kernel of bandwidth
  1) of the column with each side standardised by its own mean and spread, on :data:`SHAPE_SAMPLES`
  of the fix checks' samples a side: what differs beyond location and scale (a skew, a second mode;
  0 when a side is constant). Mild / strong from the MMD² of two unit normals ``MILD`` / ``STRONG``
  apart, ``2 / sqrt(3) (1 - exp(-d² / 6))`` (0.047 / 0.18). Two draws of one normal give at most
  about 0.001 at 200 samples a side (99th percentile), far under mild, at a fifth of the cost of 500
  (tens of thousands of columns stay seconds).

A column's severity is the strongest of the three, its ``drift`` the largest of them each divided by
its strong threshold. A column *drifted* (``fires``) when its severity is at least mild and a
Kolmogorov-Smirnov test of its two sides, adjusted for the number of columns, finds the difference at
the false discovery rate :attr:`~tlcore.explain.settings.ExplainSettings.fdr`
(:mod:`tlcore.metrics.feature_tests`): with few rows and many columns, some columns differ by half a
standard deviation by chance alone. The drifted columns' shares of the gap are measured in
:mod:`tlcore.explain.gap_shares` (the removal: :func:`matched`); the largest become causes
(:func:`tlcore.explain.cause_ranking.column_causes`); one that counts rows on both sides
(:func:`tlcore.data.values.looks_like_row_number`) is set aside (:func:`set_aside`): it gets no share,
and is named as a sample id to drop. Names come
from the table's header (``meta["columns"]``), else from each column's place: in a file without a
header the column of the source's file it is, ``column 4 of the file``, and of the target's when its
file holds it elsewhere, ``column 4 of the source's file (1 of the target's)``
(:func:`~tlcore.data.domain.pair_shown_name`), in an ``.npz`` ``feature i``
(:attr:`~tlcore.data.domain.Domain.column_names`: ``X[:, i]`` unless a place was dropped).

A text column read as 0/1 columns (``text=onehot``) is one column, its mix of values compared
(:mod:`tlcore.explain.text_drift`: :class:`TextDrift`, a chi-square test adjusted with the others'),
matched by giving the target the source's mix (:func:`removed`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from tlcore.data.domain import Domain, pair_shown_name
from tlcore.data.harmonise import PairReport
from tlcore.data.values import looks_like_row_number
from tlcore.explain.findings import MILD, STRONG, Severity, severity_of
from tlcore.explain.image_stats import sample_index
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.text_drift import TextDrift, text_drift, text_groups, to_source_mix
from tlcore.metrics.feature_tests import chi_square_p_value, fdr_adjusted, ks_p_values, ks_statistics
from tlcore.metrics.mmd import mmd2_unbiased
from tlcore.models import CONSTANT_STD
from tlcore.numbers import sds, significant

SPREAD_MILD, SPREAD_STRONG = 1.0 + MILD, 1.0 + STRONG  # spread ratio thresholds (either way)
SHAPE_MILD, SHAPE_STRONG = (2 / math.sqrt(3) * (1 - math.exp(-(d**2) / 6)) for d in (MILD, STRONG))
SHAPE_SAMPLES = 200  # samples a side for a column's shape (module docstring)
ROW_NUMBER_SHARE = "left out (it counts rows)"  # a set-aside column's share, as the views say it


@dataclass(frozen=True)
class ColumnDrift:
    """One column compared source vs target (module docstring); ``mmd2_after`` is the fix checks'
    MMD² with it matched (:func:`matched`) on top of the columns ``matched_before`` it, from
    ``mmd2_before`` with those alone (forward selection, :mod:`tlcore.explain.gap_shares`), and
    ``share`` its share of the gap, ``None`` when it was not checked."""

    index: int
    name: str
    source_mean: float
    source_std: float
    target_mean: float
    target_std: float
    shift: float
    spread: float
    shape: float
    p_value: float  # the Kolmogorov-Smirnov test's, and adjusted for the number of columns (q):
    q_value: float  # :mod:`tlcore.metrics.feature_tests`
    significant: bool  # q_value <= ExplainSettings.fdr
    mmd2_after: float | None = None
    share: float | None = None
    mmd2_before: float | None = None
    matched_before: tuple[str, ...] = ()
    row_number: bool = False  # each side a different integer in every row (looks_like_row_number)

    @property
    def spread_severity(self) -> Severity:
        """Of the ratio of spreads; of a constant source column (no ratio), of the target's spread in
        the model's units, read as a shift: how far its samples lie from the source's one value."""
        if self.source_std <= CONSTANT_STD:
            return severity_of(self.target_std)
        return severity_of(
            math.log(max(self.spread, CONSTANT_STD)), math.log(SPREAD_MILD), math.log(SPREAD_STRONG)
        )

    @property
    def severity(self) -> Severity:
        """The strongest of the shift's, the spread's and the shape's."""
        shape = severity_of(self.shape, SHAPE_MILD, SHAPE_STRONG)
        return max(
            (severity_of(self.shift), self.spread_severity, shape), key=("none", "mild", "strong").index
        )

    @property
    def fires(self) -> bool:
        """Drifted: at least mild, and significant (module docstring)."""
        return self.severity != "none" and self.significant

    @property
    def drift(self) -> float:
        """The largest of the three differences, each in units of its strong threshold."""
        if self.source_std <= CONSTANT_STD:
            spread = self.target_std / STRONG
        else:
            spread = abs(math.log(max(self.spread, CONSTANT_STD))) / math.log(SPREAD_STRONG)
        return max(abs(self.shift) / STRONG, spread, self.shape / SHAPE_STRONG)

    @property
    def title(self) -> str:
        """``proline moved +0.7 source SDs``, ``hue's spread is 1.6x the source's``, ``alcohol moved +1.2
        source SDs and its spread is 2x the source's`` (:func:`times`); a side constant alone says so:
        ``p8 moved +123 source SDs and is constant in the target, not in the source`` (it read ``its
        spread is 0x the source's``, QA helper-275)."""
        parts = []
        if severity_of(self.shift) != "none":
            parts.append(f"moved {self.moved}")
        if self.spread_severity != "none" and self.source_std <= CONSTANT_STD:
            parts.append(" is constant in the source, not in the target")
        elif self.spread_severity != "none" and self.target_std <= CONSTANT_STD:
            parts.append(" is constant in the target, not in the source")
        elif self.spread_severity != "none":
            parts.append(f"'s spread is {times(self.spread)} the source's")
        if severity_of(self.shape, SHAPE_MILD, SHAPE_STRONG) != "none":
            parts.append("'s shape changed")
        if not parts:
            return f"{self.name}: alike"
        later = [f"its{p[2:]}" if p.startswith("'s") else p.strip() for p in parts[1:]]
        return self.name + ("" if parts[0][0] in "' " else " ") + " and ".join([parts[0], *later])

    @property
    def own_units(self) -> bool:
        """Whether the shift is in the column's own units: a constant source column has no SD (the
        model's scale is 1)."""
        return self.source_std <= CONSTANT_STD

    @property
    def moved(self) -> str:
        """The shift with its unit: ``+0.7 source SDs``, and for a constant source column
        (:attr:`own_units`) ``+2.7 in its own units``."""
        return f"{sds(self.shift)} {'in its own units' if self.own_units else 'source SDs'}"

    def ratio(self, digits: int = 2) -> str:
        """The ratio of spreads to ``digits`` significant digits (:func:`times`), or, where a side is
        constant and there is none, which side: ``constant in the target`` (not ``0x``)."""
        source, target = (std <= CONSTANT_STD for std in (self.source_std, self.target_std))
        if source and target:
            return "constant on both sides"
        if source or target:
            return f"constant in the {'source' if source else 'target'}"
        return times(self.spread, digits)

    @property
    def message(self) -> str:
        """The numbers: means, spreads (:meth:`ratio`), shape."""
        return (
            f"{self.name}: mean {significant(self.source_mean)} -> {significant(self.target_mean)} "
            f"({self.moved}), spread {significant(self.source_std)} -> "
            f"{significant(self.target_std)} ({self.ratio(3)}), shape "
            f"MMD² {significant(self.shape, 3)} (each side standardised)."
        )

    @property
    def removal(self) -> str:
        """How its share of the gap is measured (:func:`matched`), as a clause."""
        return f"Re-centring and re-scaling the target's {self.name} to the source's mean and spread"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "kind": "number",
            "severity": self.severity,
            "drift": self.drift,
            "title": self.title,
            "message": self.message,
        }


Drift = ColumnDrift | TextDrift  # a numeric column's or a text column's (:mod:`tlcore.explain.text_drift`)


def times(ratio: float, digits: int = 2) -> str:
    """A ratio for a person, to ``digits`` significant digits (:func:`tlcore.numbers.significant`):
    ``1.6x``, ``0.65x``, and from 10 on whole: ``948x`` (not ``9.5e+02x``)."""
    return f"{significant(ratio, digits)}x"


def _scale(std: torch.Tensor) -> torch.Tensor:
    """The standard deviations as :class:`~tlcore.models.Standardize` scales by: 1 for a constant column."""
    return torch.where(std > CONSTANT_STD, std, torch.ones_like(std))


def mean_shift(reference: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """Each column's ``(m_other - m_ref) / s_ref``: how far ``other``'s mean lies from
    ``reference``'s, in ``reference``'s population standard deviations (1 for a constant column)."""
    return (other.mean(0) - reference.mean(0)) / _scale(reference.std(0, correction=0))


def column_drift(source: Domain, target: Domain, settings: ExplainSettings) -> tuple[Drift, ...]:
    """Every column of a harmonised feature-vector pair compared (module docstring), a text column's
    0/1 columns as one (:mod:`tlcore.explain.text_drift`), in the columns' order: means and spreads on
    all samples, the shape on ``min(settings.check_samples, SHAPE_SAMPLES)`` of them a side, the tests
    on all samples, adjusted together."""
    groups = text_groups(source)
    encoded = {j for at in groups.values() for j in at}
    numeric = [j for j in range(source.X.shape[1]) if j not in encoded]
    Xs, Xt = source.X.double(), target.X.double()
    m_s, m_t = Xs.mean(0), Xt.mean(0)
    s_s, s_t = Xs.std(0, correction=0), Xt.std(0, correction=0)
    shift = mean_shift(Xs, Xt)
    spread = s_t / _scale(s_s)
    k = min(settings.check_samples, SHAPE_SAMPLES)
    Zs = (Xs[sample_index(len(Xs), k, settings.seed)] - m_s) / _scale(s_s)
    Zt = (Xt[sample_index(len(Xt), k, settings.seed)] - m_t) / _scale(s_t)
    report = target.meta.get("pair_report")
    new = report.target.columns.unseen if isinstance(report, PairReport) else {}
    # of the rows ``target`` holds (a held-out split's, not the whole paired target's)
    missing = report.target.unvalued_in(target.ids) if isinstance(report, PairReport) else {}
    rows = max(1, target.n_samples)
    texts = [
        text_drift(source, target, name, at, new.get(name, {}), missing=missing.get(name, 0) / rows)
        for name, at in groups.items()
    ]
    p_text = [chi_square_p_value(cs.numpy(), ct.numpy()) for _, cs, ct in texts]
    p_numeric = ks_p_values(ks_statistics(source.X[:, numeric], target.X[:, numeric]), len(Xs), len(Xt))
    p = np.concatenate([p_numeric, np.asarray(p_text, dtype=np.float64)])
    q = fdr_adjusted(p)
    rows: list[Drift] = []
    for i, j in enumerate(numeric):
        varies = min(s_s[j], s_t[j]) > CONSTANT_STD  # a constant side has no shape
        shape = max(0.0, mmd2_unbiased(Zs[:, j : j + 1], Zt[:, j : j + 1], 1.0)) if varies else 0.0
        values = (m_s[j], s_s[j], m_t[j], s_t[j], shift[j], spread[j])
        test = (float(p[i]), float(q[i]), bool(q[i] <= settings.fdr))
        counts = all(looks_like_row_number(X[:, j].numpy()) for X in (Xs, Xt))
        name = pair_shown_name(source.column_names[j], source.file_columns, target.file_columns)
        rows.append(ColumnDrift(j, name, *(float(v) for v in values), shape, *test, row_number=counts))
    for i, (drift, _, _) in enumerate(texts, start=len(numeric)):
        rows.append(
            replace(drift, p_value=float(p[i]), q_value=float(q[i]), significant=bool(q[i] <= settings.fdr))
        )
    return tuple(sorted(rows, key=lambda c: c.index))


def to_check(columns: Sequence[Drift], limit: int) -> list[Drift]:
    """The drifted columns whose share is measured: the ``limit`` largest ``drift``
    (:attr:`~tlcore.explain.settings.ExplainSettings.max_column_checks`), a row number never
    (:func:`set_aside`)."""
    return sorted((c for c in columns if c.fires and not c.row_number), key=lambda c: -c.drift)[:limit]


def set_aside(columns: Sequence[Drift]) -> list[Drift]:
    """The drifted columns that count rows on both sides: no cause a user fixes but by dropping them
    (a running number tells any two files apart), so they get no share of the gap; they are matched
    before the others are measured, which a running number far from the source's would otherwise hide
    (:mod:`tlcore.explain.gap_shares`)."""
    return [c for c in columns if c.fires and c.row_number]


def chance_note(columns: Sequence[Drift], fdr: float) -> str:
    """The columns that differ by a mild amount or more but that the test does not find (chance-sized
    at these sample sizes), in a clause; empty when there are none."""
    n = sum(c.severity != "none" and not c.significant for c in columns)
    if not n:
        return ""
    which = "column differs" if n == 1 else "columns differ"
    return (
        f"not counted as moved: {n} {which} by a mild amount or more, as two samples of one distribution "
        f"can by chance at these sizes; {_tests(columns)} does not tell their sides apart at a "
        f"{fdr:.0%} false discovery rate over the {len(columns)} columns"
    )


def compared_on(columns: Sequence[Drift]) -> str:
    """What a column is compared on, as the views say none moved: ``mean, spread or shape``, and a
    text column's mix of values when there is one."""
    text = "; a text column: its mix of values" if any(isinstance(c, TextDrift) for c in columns) else ""
    return f"mean, spread or shape{text}"


def _tests(columns: Sequence[Drift]) -> str:
    """The test that decides whether a column moved, as :func:`chance_note` names it."""
    text = " (a text column's: chi-square)" if any(isinstance(c, TextDrift) for c in columns) else ""
    return f"a Kolmogorov-Smirnov test{text}"


def ranked_columns(columns: Iterable[Drift]) -> list[Drift]:
    """Largest share of the gap first, then the unchecked by ``drift``: how every view lists them."""
    return sorted(columns, key=lambda c: (c.share is None, -(c.share or 0.0), -c.drift))


def removed(source: Domain, target: Domain, columns: Sequence[Drift], seed: int) -> Domain:
    """The target with ``columns`` matched to the source's: a numeric one by :func:`matched`, a text
    one given the source's mix (:func:`~tlcore.explain.text_drift.to_source_mix`, seeded)."""
    out = matched(source, target, [c.index for c in columns if isinstance(c, ColumnDrift)])
    for c in columns:
        if isinstance(c, TextDrift):
            out = to_source_mix(source, out, c.indices, seed)
    return out


def matched(source: Domain, target: Domain, columns: Sequence[int]) -> Domain:
    """The target with ``columns`` re-centred and re-scaled to the source's mean and spread: ``x ->
    m_s + (x - m_t) s_s / s_t`` (a constant target column becomes ``m_s``), every other column as it is."""
    X = target.X.double().clone()
    for j in columns:
        xs, xt = source.X[:, j].double(), X[:, j]
        s_t = float(xt.std(correction=0))
        z = (xt - xt.mean()) / s_t if s_t > CONSTANT_STD else torch.zeros_like(xt)
        X[:, j] = xs.mean() + z * xs.std(correction=0)
    return replace(target, X=X.float())
