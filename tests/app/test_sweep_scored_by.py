"""The Sweep page's rule where a sweep's seeds were judged in pools ranked by different validators
(every seed's score is then its BNM, :attr:`~tlcore.runs.summary.SweepSummary.scored_by`): the page
says so in the engine's words (:func:`~tlcore.views.sweep.rule`), as ``sweeps show`` does
(tests/sweeps/test_sweep_mixed_validators.py); a sweep ranked by one validator keeps the plain rule.
The pools are built by hand and the runs stored without training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean, plain
from tests.selection.helpers import BASELINE, COLLAPSED, GOOD, GOOD_TOO, candidate, pair_pool
from tests.sweeps.test_sweep_mixed_validators import STRONG, WEAK, stored_sweep
from tlcore.runs import sweep_selection
from tlcore.views.sweep import rule
from tlcore.workspace import Workspace


@pytest.mark.parametrize("mixed", [True, False], ids=["BNM on every seed", "EnsV on every seed"])
def test_the_page_says_a_sweep_is_scored_by_bnm_on_every_seed_only_where_it_is(
    app: Callable[..., AppTest], workspace: Path, monkeypatch: pytest.MonkeyPatch, mixed: bool
) -> None:
    """Seed 0's pool with weight 0.3's run collapsed is outvoted (BNM), seed 1's two good runs rank by
    EnsV: scored by BNM on every seed. Both seeds' pools of two good runs rank by EnsV: the plain rule."""
    _, _, runs = stored_sweep(Workspace.resolve(workspace))
    seed0 = (GOOD, COLLAPSED) if mixed else (GOOD_TOO, GOOD)  # weight 0.1's model, then 0.3's
    pools = [
        pair_pool(candidate(runs[WEAK, seed], BASELINE, one), candidate(runs[STRONG, seed], BASELINE, two))
        for seed, (one, two) in enumerate([seed0, (GOOD_TOO, GOOD)])
    ]
    monkeypatch.setattr(sweep_selection, "load_pools", lambda store, source, target: pools)
    sweep_selection.ranked_pools.cache_clear()
    at = app("sweep")
    assert_clean(at)
    (recommended,) = at.success
    shown, other = (rule("bnm"), rule()) if mixed else (rule(), rule("bnm"))
    assert f"({shown}: the passed column)" in plain(recommended.value)
    assert other not in plain(recommended.value)
