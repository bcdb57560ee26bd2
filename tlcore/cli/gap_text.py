"""A gap's numbers as text, in one layout: ``diagnose``'s measured gap and a run's stored gaps before and
after adapting (``runs show``, ``adapt``; CLI audit: they read ``mmd2=0.167  p_value=0.000999 ...``
where ``diagnose`` labels them). No torch: a stored gap is read as its dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tlcore.cli.output import wrapped
from tlcore.metrics.domain_test import FOLDS, beyond_chance_p
from tlcore.metrics.gap_names import GAP_LABELS
from tlcore.numbers import p_is, significant

LABEL, VALUE = 18, 12  # the columns of a gap line's label and of its number


def gap_lines(gap: Mapping[str, Any], indent: str = "  ") -> list[str]:
    """``gap`` (:meth:`~tlcore.metrics.gap.Gap.to_dict`, or a run's stored ``gap_before`` /
    ``gap_after``) labelled by :data:`~tlcore.metrics.gap_names.GAP_LABELS`, a line each after ``indent``:
    MMD² and its permutation test, CORAL, the mean distance, the proxy A-distance and its domain
    classifier's error and test against chance
    (:func:`~tlcore.metrics.domain_test.beyond_chance_p`). A number a gap stored by an older version
    lacks (None or absent) leaves out its line, or the words that need it."""
    get = gap.get
    mmd = "" if get("p_value") is None else f"p = {gap['p_value']:.3g}"
    n, tested, bandwidth = get("n_permutations"), get("mmd_test_samples"), get("bandwidth")
    if mmd and n is not None and tested is not None and bandwidth is not None:
        mmd += f" ({n} permutations on {tested[0]} vs {tested[1]} samples, bandwidth {bandwidth:.3g})"
    error, counts = get("domain_error"), (get("n_source"), get("n_target"))
    domain = ""
    if error is not None and None not in counts:
        p = beyond_chance_p(error, counts[0], counts[1], FOLDS)
        domain = f"domain classifier error {100 * error:.1f}% ({p_is(p)} against chance)"
    values = {
        "mmd2": (get("mmd2"), significant, mmd),
        "coral": (get("coral"), significant, ""),
        "mean_distance": (get("mean_distance"), significant, ""),
        "a_distance": (get("a_distance"), "{:.3f}".format, domain),
    }
    lines = []
    for key, (value, shown, reading) in values.items():
        if value is not None:
            first = f"{indent}{GAP_LABELS[key]:<{LABEL}}{shown(value):<{VALUE}}"
            lines += wrapped(reading, first) if reading else [first.rstrip()]
    return lines
