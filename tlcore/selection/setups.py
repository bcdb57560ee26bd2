"""Pools whose runs are of several setups: other networks or other target-label budgets.

A label-free score does not compare across networks: EnsV and the source-only guardrails judge each run
against its own source-only model, and one network's models can agree with the pool's ensemble more than
another's whatever their accuracy (a collapsed network's source-only model, predicting one class, can
outscore a better network's). So a pool of several setups is ranked once per setup
(:func:`tlcore.selection.ranking.rank`, its ``parts``): each run scored on the whole pool's ensemble
(the numbers a sweep shows), each setup with its own recommendation, and the comparison with another
config's source-only model (:mod:`tlcore.selection.baselines`) only within a setup. A sweep over
networks recommends the same way (:data:`tlcore.runs.sweep_selection.SETUP_KEYS`); in a pool of one setup
nothing changes.

A run's setup is :attr:`~tlcore.selection.pool.Candidate.setup`, ``model=cnn`` or
``model=cnn|target_labels=10`` (:func:`tlcore.runs.candidates.setup_label`).
"""

from __future__ import annotations

SETUPS_REASON = (
    "this pool holds runs of several setups (the network, its target labels): each setup is ranked "
    "against its own source-only models with a recommendation of its own, as a sweep over them does; "
    "one network's label-free score is no reason to pick it over another's"
)
