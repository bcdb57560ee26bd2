"""A paired step no done run of its composition timed: a probe of its own loss terms, scaled to
the workspace's runs.

A paired step's cost depends on the terms it trains (FixMatch's strong view is a third batch in the
forward pass: 1.5-1.8 times a DANN step on a loaded 2-core CPU, QA helper-123), so neither other
compositions' paired steps nor two single steps time it. The probe (:mod:`tlcore.runs.probe`) times a
few paired steps with the composition's own terms; the runs say how much slower a real step is than a
probe's (its epoch's scoring, a busier machine). Per run ``r`` that timed paired steps of another
composition ``c``, the scale is ``paired_r / probe_paired(c)``; with none, per run that timed single
steps ``single_r / probe_single``. The paired rate is ``median(scale) * probe_paired`` (the slowest:
``max(scale) * the probe's slowest``).
"""

from __future__ import annotations

import statistics
from dataclasses import replace

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import RunPair
from tlcore.runs.estimate import Measured, Rates, Workload
from tlcore.runs.probe import probe_rates
from tlcore.workspace import Workspace

PAIR_STEPS = "steps on a source + target batch pair"  # the note's subject


def own_paired_rate(
    cfg: AdaptConfig,
    pair: RunPair,
    work: Workload,
    workspace: Workspace,
    *,
    found: list[Measured],
    rates: Rates,
) -> tuple[Rates, str]:
    """``rates`` with the paired rate of ``cfg``'s composition probed and scaled to the runs ``found``
    (none of them of its composition timed a paired step; see the module doc), and the line's note."""
    own, _, _ = probe_rates(cfg, pair, work, workspace)
    label = "+".join(cfg.methods)
    others = [m for m in found if m.paired is not None]
    if others:
        scales = [
            m.paired
            / probe_rates(replace(cfg, methods=m.methods, params={}), pair, work, workspace)[0].paired[0]
            for m in others
            if m.paired is not None
        ]
        names = ", ".join(dict.fromkeys("+".join(m.methods) for m in others))
        scaled = f"scaled to runs of other compositions here: {names}"
    else:
        scales = [m.single / own.single[0] for m in found if m.single is not None]
        scaled = "scaled to the single steps of runs here (none trained a pair)"
    paired = (statistics.median(scales) * own.paired[0], max(scales) * own.paired[1])
    return replace(rates, paired=paired), f"{PAIR_STEPS} timed by a probe of {label}'s own, {scaled}"
