"""A text column of a table (its 0/1 columns, ``text=onehot``: :mod:`tlcore.data.categories`) compared
source vs target as one column: did the mix of its values change?

Each side's rows are counted by value: a row's value is that of its 1; a row with all of the column's
0/1 columns 0 holds none (a missing text cell, ``missing=impute``) or, in the target, a value the
source never had (:mod:`tlcore.data.column_match`). Those are two more shares, as the views name
them: *missing*, on both sides, and *new*, in the target (the source holds none); the pair report
names the target's rows whose cell is missing, counted among the rows compared (a held-out split's
own), the rest of its all-0 rows are new. Each side's shares (its values',
missing, new) sum to 1. Between the source's shares ``p_s`` and the target's ``p_t`` the measure is
their total variation, ``TV = ½ Σ_v |p_s(v) - p_t(v)|`` over the values, missing and new: the share of
the target's rows whose value would have to change for the two mixes to be equal (0 alike, 1
disjoint).

Its severity lines up with a numeric column's shift: mild from the TV between two normals
:data:`~tlcore.explain.findings.MILD` (0.5) standard deviations apart, strong from that of two
:data:`~tlcore.explain.findings.STRONG` (1) apart, ``TV = 2 Φ(d / 2) - 1`` (0.197 / 0.383): the same
overlap of the two sides, read on shares instead of on a scale. Its ``drift`` is ``TV`` in units of
the strong threshold. Its test is Pearson's chi-square test of the two sides' counts
(:func:`tlcore.metrics.feature_tests.chi_square_p_value`), adjusted with the numeric columns'
Kolmogorov-Smirnov tests at one false discovery rate (:func:`tlcore.explain.columns.column_drift`).

Its share of the gap (:mod:`tlcore.explain.gap_shares`) is measured with the target given the
source's mix (:func:`to_source_mix`): each value's rows are made its largest-remainder quota of the
source's share of the target's size (:func:`quotas`) by changing the fewest rows, the surplus of
over-represented values (a seeded draw of them) taking the under-represented values: about ``TV`` of
the rows change, every other column of theirs as it was, as a numeric column is matched alone. A row
of a new value and a missing one are both all 0 there: one share of rows of none, the source's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch

from tlcore.data.categories import CATEGORIES, encoded_name
from tlcore.data.domain import Domain, pair_shown_name
from tlcore.data.rng import generator
from tlcore.explain.findings import MILD, STRONG, Severity, severity_of
from tlcore.numbers import and_list, first_named, pct

TV_MILD, TV_STRONG = (math.erf(d / (2 * math.sqrt(2))) for d in (MILD, STRONG))  # 2 Φ(d/2) - 1
NAMED_MOVES = 3  # values a title names at most, largest change first (the message names every one)
TITLE_MOVES = 0.5  # a title names the values whose share changed by at least this part of the largest


@dataclass(frozen=True)
class TextDrift:
    """A text column compared source vs target (module docstring): ``indices`` its 0/1 columns in
    ``X`` (``index`` the first: its place among the columns), ``values`` theirs; ``source_missing`` and
    ``target_missing`` the shares of rows whose cell is missing, ``target_new`` that of target rows
    holding a value the source never had (named in ``new_values``): with the values' shares, each
    side's sum to 1. ``mmd2_after``, ``share``, ``mmd2_before`` and ``matched_before`` as a numeric
    column's (:class:`tlcore.explain.columns.ColumnDrift`)."""

    index: int
    indices: tuple[int, ...]
    name: str
    values: tuple[str, ...]
    source_shares: tuple[float, ...]
    target_shares: tuple[float, ...]
    source_missing: float
    target_missing: float
    target_new: float
    new_values: tuple[str, ...]
    tv: float
    p_value: float  # the chi-square test's, and adjusted with every column's test (q):
    q_value: float
    significant: bool  # q_value <= ExplainSettings.fdr
    mmd2_after: float | None = None
    share: float | None = None
    mmd2_before: float | None = None
    matched_before: tuple[str, ...] = ()
    row_number: bool = False  # a text column never counts rows

    @property
    def severity(self) -> Severity:
        return severity_of(self.tv, TV_MILD, TV_STRONG)

    @property
    def fires(self) -> bool:
        """Drifted: at least mild, and significant (module docstring)."""
        return self.severity != "none" and self.significant

    @property
    def drift(self) -> float:
        """The total variation in units of its strong threshold."""
        return self.tv / TV_STRONG

    def _moves(self, least: float = 0.0) -> list[str]:
        """``east 31% -> 0%`` per source value whose share changed by at least ``least`` of the largest
        change, largest first, those that round alike left out."""
        pairs = sorted(
            zip(self.values, self.source_shares, self.target_shares, strict=True),
            key=lambda v: -abs(v[2] - v[1]),
        )
        largest = max((abs(t - s) for _, s, t in pairs), default=0.0)
        return [
            f"{v} {pct(s)} -> {pct(t)}"
            for v, s, t in pairs
            if pct(s) != pct(t) and abs(t - s) >= least * largest
        ]

    def _new(self) -> str:
        """``; west (24% of the target) never in the source``, '' when the target holds no new value."""
        if self.target_new <= 0:
            return ""
        named = and_list(self.new_values) if self.new_values else "values"
        return f"; {named} ({pct(self.target_new)} of the target) never in the source"

    @property
    def title(self) -> str:
        """``region's mix changed: east 31% -> 0%; west (24% of the target) never in the source``."""
        if self.severity == "none":
            return f"{self.name}: alike"
        moves = self._moves(TITLE_MOVES)[:NAMED_MOVES]
        listed = ", ".join(moves) if moves else ""
        new = self._new()
        return f"{self.name}'s mix changed: {listed}{new if listed else new.removeprefix('; ')}"

    @property
    def mix(self) -> str:
        """The values whose share changed, then the new ones: ``east 31% -> 0%, north 40% -> 35%; west
        (24% of the target) never in the source``."""
        return self.mix_of(None)

    def mix_of(self, shown: int | None) -> str:
        """:attr:`mix` naming the ``shown`` largest changes and how many more changed (``city_w 3% -> 7%,
        city_u 4% -> 8% and 20 more``, :func:`~tlcore.numbers.first_named`); every one when None."""
        changed = self._moves()
        moves = first_named(changed, len(changed) if shown is None else shown) or "every value's share alike"
        sides = [
            f"{pct(s)} of the {side}"
            for side, s in (("source", self.source_missing), ("target", self.target_missing))
            if s > 0
        ]
        none = f"; missing (no value) in {' and '.join(sides)}" if sides else ""
        return f"{moves}{self._new()}{none}"

    @property
    def message(self) -> str:
        """Every value's shares, the new ones, the total variation."""
        return (
            f"{self.name} (text): {self.mix}. Total variation {self.tv:.3g} (the share of target rows "
            "whose value would have to change)."
        )

    @property
    def removal(self) -> str:
        """How its share of the gap is measured, as a clause (module docstring)."""
        return f"Giving the target's {self.name} the source's mix of values (changing the fewest rows)"

    @property
    def action(self) -> str:
        """What to do about a changed mix: the source weighted to the target's mix (importance weights
        from a domain classifier, method ``domain_weights``), and labelled source rows of the values
        it never had, which no weight makes up."""
        action = (
            f"the target's mix of {self.name} differs from the source's (a change of population, not of "
            f"how {self.name} is written): adapt with the source weighted to the target's mix (method "
            "domain_weights, importance weights from a domain classifier)"
        )
        if self.target_new > 0:
            named = and_list(self.new_values) if self.new_values else "the new values"
            action += f"; collect labelled source rows of {named}, which the source never holds"
        return action

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "kind": "text",
            "severity": self.severity,
            "drift": self.drift,
            "title": self.title,
            "message": self.message,
        }


def text_groups(domain: Domain) -> dict[str, tuple[int, ...]]:
    """Each text column of ``domain`` (``meta["categories"]``) -> the positions of its 0/1 columns."""
    names = domain.column_names
    where = {n: i for i, n in enumerate(names)}
    groups = {}
    for column, values in (domain.meta.get(CATEGORIES) or {}).items():
        at = tuple(where[encoded_name(column, v)] for v in values if encoded_name(column, v) in where)
        if at:
            groups[str(column)] = at
    return groups


def value_counts(X: torch.Tensor) -> torch.Tensor:
    """Rows per 0/1 column of ``X`` (n x k), then the rows with none: ``k + 1`` counts."""
    held = X > 0.5
    return torch.cat([held.sum(0), (~held.any(1)).sum().reshape(1)]).double()


def split_counts(counts: torch.Tensor, missing: float) -> torch.Tensor:
    """A side's :func:`value_counts` with its rows of none split in two, ``k + 2`` counts: the values',
    the new ones (a value the source never had) and the missing ones, a ``missing`` share of the rows
    (no more than the rows of none; the rest are new)."""
    held = min(missing * float(counts.sum()), float(counts[-1]))
    return torch.cat([counts[:-1], torch.tensor([float(counts[-1]) - held, held], dtype=counts.dtype)])


def text_drift(
    source: Domain,
    target: Domain,
    name: str,
    indices: Sequence[int],
    new_values: Mapping[str, int],
    *,
    missing: float = 0.0,
) -> tuple[TextDrift, torch.Tensor, torch.Tensor]:
    """Text column ``name`` (its 0/1 columns at ``indices``) compared, before its test (``p_value`` 1),
    with each side's :func:`split_counts` (values, new, missing: the source's rows of none missing);
    ``new_values`` the target's values the source never had, by their samples, and ``missing`` the
    share of its rows whose cell is missing (the pair report's)."""
    cs = split_counts(value_counts(source.X[:, list(indices)]), 1.0)
    ct = split_counts(value_counts(target.X[:, list(indices)]), missing)
    ps, pt = cs / cs.sum(), ct / ct.sum()
    values = tuple(source.column_names[j].removeprefix(encoded_name(name, "")) for j in indices)
    drift = TextDrift(
        index=int(indices[0]),
        indices=tuple(int(j) for j in indices),
        name=pair_shown_name(name, source.file_columns, target.file_columns),  # a place: its columns
        values=values,
        source_shares=tuple(float(v) for v in ps[:-2]),
        target_shares=tuple(float(v) for v in pt[:-2]),
        source_missing=float(ps[-1]),
        target_missing=float(pt[-1]),
        target_new=float(pt[-2]),
        new_values=tuple(sorted(new_values, key=lambda v: -new_values[v])),
        tv=float((ps - pt).abs().sum() / 2),
        p_value=1.0,
        q_value=1.0,
        significant=False,
    )
    return drift, cs, ct


def quotas(shares: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` split by ``shares`` (non-negative, not all 0) into whole numbers by largest remainder:
    each gets the floor of ``n * share``, the largest remainders one more, until ``n`` are given."""
    p = shares.double().clamp(min=0.0)
    raw = n * p / p.sum()
    out = raw.floor().long()
    out[torch.argsort(raw - out, descending=True, stable=True)[: n - int(out.sum())]] += 1
    return out


def to_source_mix(source: Domain, target: Domain, indices: Sequence[int], seed: int) -> Domain:
    """The target with the 0/1 columns at ``indices`` given the source's mix of values by changing the
    fewest rows (module docstring), every other column as it is."""
    at = list(indices)
    X = target.X.clone()
    held = X[:, at] > 0.5
    k = len(at)
    value = torch.where(held.any(1), held.float().argmax(1), torch.full((len(X),), k))
    quota = quotas(value_counts(source.X[:, at]), len(X))
    gen = generator(seed, "explain", "text mix")
    order = torch.randperm(len(X), generator=gen)
    surplus, wanted = [], []
    for v in range(k + 1):
        rows = order[value[order] == v]
        surplus.append(rows[int(quota[v]) :])
        wanted += [v] * max(0, int(quota[v]) - len(rows))
    free = torch.cat(surplus)
    free = free[torch.randperm(len(free), generator=gen)]
    value[free] = torch.tensor(wanted, dtype=value.dtype)
    X[:, at] = torch.nn.functional.one_hot(value, k + 1)[:, :k].to(X.dtype)
    return replace(target, X=X)
