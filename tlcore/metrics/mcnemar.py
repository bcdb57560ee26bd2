"""Whether two models' accuracies on the same test samples differ by more than chance: the exact
McNemar test (McNemar 1947, https://doi.org/10.1007/BF02295996).

A run scores its source-only and its adapted model on the same target test samples, so their
accuracies are paired: only the *discordant* samples say which model is better,

    b = samples the source-only model gets right and the adapted one wrong,
    c = samples the source-only model gets wrong and the adapted one right,

and the adapted accuracy minus the source-only one is ``(c - b) / n``. If both models were equally
good, each of the ``m = b + c`` discordant samples would fall either way with probability 1/2, so
``b ~ Binom(m, 1/2)``; the two-sided exact p-value is

    p = min(1, 2 · P(Binom(m, 1/2) <= min(b, c))) = min(1, 2 · sum_{i <= min(b, c)} C(m, i) / 2^m)

(``p = 1`` when ``m = 0``). On 30 test samples, one sample more wrong (``b = 1, c = 0``) gives
``p = 1``: two equally good models differ that much by chance. The test is evidence beside the
display rule of :mod:`tlcore.metrics.accuracy_change`, not a rule of its own: it decides nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tlcore.metrics import accuracy_change

NOT_STORED = "paired test not stored by this older run"

# every test of a diagnosis (MMD², label shift, novelty) and of a run finds a difference below it
SIGNIFICANCE = 0.05


def mcnemar_p(b: int, c: int) -> float:
    """The exact two-sided McNemar p-value of ``b`` and ``c`` discordant samples (module docstring);
    ``b, c >= 0``. With ``k = min(b, c) <= m / 2`` the tail's terms grow with ``i``, so it is summed
    from its largest term down, ``C(m, i - 1) = C(m, i) · i / (m - i + 1)``, until a term no longer
    moves the float sum, times ``C(m, k) / 2^m`` from log-gamma (relative error below 1e-9 up to a
    million discordant samples): no scipy, which is slow to import for a command that only reads runs."""
    if b < 0 or c < 0:
        raise ValueError(f"need b, c >= 0, got b={b}, c={c}")
    m, k = b + c, min(b, c)
    if 2 * k >= m:  # the tail holds half the mass or more: p is clipped to 1
        return 1.0
    ratio_sum, term = 0.0, 1.0
    for i in range(k, -1, -1):
        ratio_sum += term
        term *= i / (m - i + 1)
        if term < ratio_sum * 1e-17:
            break
    log_largest = math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1) - m * math.log(2)
    return min(1.0, 2 * ratio_sum * math.exp(log_largest))


def p_text(p: float) -> str:
    """``McNemar p = 0.38``, ``p = 1.0``, ``p = 0.002``, ``p < 0.001``: two significant digits."""
    if p < 0.001:
        return "McNemar p < 0.001"
    return "McNemar p = 1.0" if p >= 0.995 else f"McNemar p = {p:.2g}"


@dataclass(frozen=True)
class PairedChange:
    """Two models scored on the same ``n`` test samples: ``b`` right before and wrong after, ``c``
    wrong before and right after (``before``: the source-only model, ``after``: the adapted one)."""

    b: int
    c: int
    n: int

    @classmethod
    def of(cls, before: Sequence[bool], after: Sequence[bool]) -> PairedChange:
        """From each sample's correctness under both models (same samples, same order)."""
        if len(before) != len(after):
            raise ValueError(f"need one correctness per sample, got {len(before)} and {len(after)}")
        b = sum(1 for x, y in zip(before, after, strict=True) if x and not y)
        c = sum(1 for x, y in zip(before, after, strict=True) if y and not x)
        return cls(b, c, len(before))

    @property
    def p_value(self) -> float:
        """:func:`mcnemar_p` of ``b`` and ``c``."""
        return mcnemar_p(self.b, self.c)

    @property
    def within_chance(self) -> bool:
        """Whether the paired change is within chance: ``p >=``
        :data:`SIGNIFICANCE`."""
        return self.p_value >= SIGNIFICANCE

    def text(self) -> str:
        """``1 more wrong of 30, 2 right to wrong and 1 wrong to right; McNemar p = 1.0: within chance``."""
        net = self.b - self.c
        moved = f"{abs(net):,} more {'wrong' if net > 0 else 'right'}" if net else "as many right"
        swaps = f"{self.b:,} right to wrong and {self.c:,} wrong to right"
        chance = ": within chance" if self.within_chance else ""
        return f"{moved} of {self.n:,}, {swaps}; {p_text(self.p_value)}{chance}"

    def to_dict(self) -> dict[str, Any]:
        return {"b": self.b, "c": self.c, "n": self.n, "p_value": self.p_value}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PairedChange | None:
        """What :meth:`to_dict` wrote; None for a result stored before runs kept the test."""
        if not data:
            return None
        return cls(int(data["b"]), int(data["c"]), int(data["n"]))


def described_change(
    after: float, before: float, paired: PairedChange | None, against: str = "", *, brief: bool = False
) -> str:
    """A target accuracy's change from the source-only ``before`` to the adapted ``after`` by the
    display rule (:mod:`tlcore.metrics.accuracy_change`), ``against`` after it, with the paired test
    as its evidence: ``fell 3.3 points (1 more wrong of 30, ...; McNemar p = 1.0: within chance)``,
    ``unchanged``; ``(paired test not stored by this older run)`` when a change shows and ``paired``
    is None; ``brief`` (a table cell): the evidence only when it says ``(within chance)``."""
    way = accuracy_change.direction(after, before)
    moved = (
        way if way == "unchanged" else f"{way} {abs(accuracy_change.shown_points(after, before)):.1f} points"
    )
    moved += f" {against}" if against else ""
    if brief:
        return f"{moved} (within chance)" if shown_within_chance(after, before, paired) else moved
    if paired is None:
        return moved if way == "unchanged" else f"{moved} ({NOT_STORED})"
    return f"{moved} ({paired.text()})"


def shown_within_chance(after: float, before: float, paired: PairedChange | None) -> bool:
    """Whether the change from ``before`` to ``after`` shows (:mod:`tlcore.metrics.accuracy_change`)
    and its paired test calls it within chance: the rule of :func:`described_change`'s ``(within
    chance)``, the Compare page's boxes and the accuracy chart's colours. False without a test."""
    moved = accuracy_change.direction(after, before) != "unchanged"
    return paired is not None and moved and paired.within_chance
